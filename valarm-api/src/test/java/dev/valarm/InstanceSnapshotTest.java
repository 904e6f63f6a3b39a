package dev.valarm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** The snapshot value, its binary format and its validation. */
class InstanceSnapshotTest {
    private static final long SEC = 1_000_000_000L;

    static InstanceSnapshot sample() {
        return InstanceSnapshot.builder()
                .minor(42)
                .name("tenant-ä")
                .clocks(Timespec.ofSeconds(1_767_225_600L, 123), Timespec.ofSeconds(1000, 5), Timespec.ofSeconds(900, 7))
                .wallClockOffset(Duration.ofSeconds(-3600))
                .alarm(AlarmType.RTC_WAKEUP, Timespec.ofSeconds(1_767_225_660L))
                .alarm(AlarmType.ELAPSED_REALTIME, Timespec.ofSeconds(1030), Duration.ofMillis(250))
                .alarm(AlarmType.SYSTEMTIME, Timespec.ofNanos(-5))
                .pendingEvents(AlarmEvents.of(AlarmType.RTC.mask() | AlarmEvents.TIME_CHANGE_MASK))
                .waitResultOutstanding(true)
                .build();
    }

    @Test
    void accessorsDescribeTheInstance() {
        final InstanceSnapshot s = sample();
        assertEquals(42, s.minor());
        assertEquals("tenant-ä", s.name());
        assertEquals(Timespec.ofSeconds(1_767_225_600L, 123), s.realtime());
        assertEquals(Timespec.ofSeconds(1000, 5), s.now(AlarmType.ELAPSED_REALTIME_WAKEUP));
        assertEquals(Timespec.ofSeconds(900, 7), s.clock(ClockBase.MONOTONIC));
        assertEquals(Duration.ofSeconds(-3600), s.wallClockOffset());
        assertEquals(EnumSet.of(AlarmType.RTC_WAKEUP, AlarmType.ELAPSED_REALTIME, AlarmType.SYSTEMTIME), s.armedTypes());
        assertEquals(0b11001, s.armedMask());
        assertEquals(Optional.empty(), s.alarm(AlarmType.RTC));
        assertEquals(Optional.of(Duration.ofSeconds(60).minusNanos(123)), s.remaining(AlarmType.RTC_WAKEUP));
        assertEquals(Optional.of(Duration.ofSeconds(30).minusNanos(5)), s.remaining(AlarmType.ELAPSED_REALTIME));
        assertEquals(Optional.of(Duration.ofMillis(250)), s.window(AlarmType.ELAPSED_REALTIME));
        assertEquals(Optional.of(Duration.ZERO), s.window(AlarmType.SYSTEMTIME));
        assertEquals(Optional.empty(), s.window(AlarmType.RTC));
        assertTrue(s.pendingEvents().timeChanged());
        assertTrue(s.pendingEvents().fired(AlarmType.RTC));
        assertTrue(s.waitResultOutstanding());
        assertTrue(s.toString().contains("tenant-ä"), s.toString());
    }

    @Test
    void theLayoutIsTheDocumentedOne() {
        final InstanceSnapshot s = sample();
        final byte[] bytes = s.toBytes();
        final byte[] name = "tenant-ä".getBytes(StandardCharsets.UTF_8);
        assertEquals(142 + name.length, bytes.length);
        final ByteBuffer b = ByteBuffer.wrap(bytes);
        assertArrayEquals("VALS".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(bytes, 4));
        assertEquals(2, b.getShort(4));
        assertEquals(bytes.length, b.getInt(6));
        assertEquals(1, b.getShort(10));
        assertEquals(42, b.getInt(12));
        assertEquals(1_767_225_600L * SEC + 123, b.getLong(16));
        assertEquals(1000 * SEC + 5, b.getLong(24));
        assertEquals(900 * SEC + 7, b.getLong(32));
        assertEquals(-3600 * SEC, b.getLong(40));
        assertEquals(0b11001, b.getInt(48));
        assertEquals(0x10002, b.getInt(52));
        assertEquals(1_767_225_660L * SEC, b.getLong(56));
        assertEquals(0, b.getLong(64));
        assertEquals(0, b.getLong(72));
        assertEquals(1030 * SEC, b.getLong(80));
        assertEquals(-5, b.getLong(88));
        for (int t = 0; t < 5; t++) {
            assertEquals(t == 3 ? 250_000_000L : 0L, b.getLong(96 + 8 * t), "window of type " + t);
        }
        assertEquals(name.length, b.getShort(136));
        assertArrayEquals(name, Arrays.copyOfRange(bytes, 138, 138 + name.length));
        final CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 4);
        assertEquals((int) crc.getValue(), b.getInt(bytes.length - 4));
    }

    @Test
    void bytesRoundTrip() {
        final InstanceSnapshot s = sample();
        final InstanceSnapshot back = InstanceSnapshot.fromBytes(s.toBytes());
        assertEquals(s, back);
        assertEquals(s.hashCode(), back.hashCode());
        assertArrayEquals(s.toBytes(), back.toBytes());
        final InstanceSnapshot minimal = InstanceSnapshot.builder().minor(0).name("x")
                .clocks(Timespec.ZERO, Timespec.ZERO, Timespec.ZERO).build();
        assertEquals(minimal, InstanceSnapshot.fromBytes(minimal.toBytes()));
        assertEquals(AlarmEvents.NONE, minimal.pendingEvents());
        assertFalse(minimal.waitResultOutstanding());
        assertNotEquals(s, minimal);
    }

    @Test
    void extremeValuesRoundTrip() {
        final InstanceSnapshot s = InstanceSnapshot.builder().minor(InstanceConfig.Builder.MINOR_LIMIT - 1)
                .name("\uD83D\uDE00".repeat(32))
                .clocks(Timespec.ofNanos(Long.MIN_VALUE), Timespec.ofNanos(Long.MAX_VALUE), Timespec.ofNanos(-1))
                .wallClockOffset(Duration.ofNanos(Long.MIN_VALUE))
                .alarm(AlarmType.RTC, Timespec.ofNanos(Long.MAX_VALUE))
                .alarm(AlarmType.ELAPSED_REALTIME_WAKEUP, Timespec.ofNanos(Long.MIN_VALUE))
                .pendingEvents(AlarmEvents.of(AlarmEvents.VALID_MASK))
                .build();
        final byte[] bytes = s.toBytes();
        assertEquals(142 + 128, bytes.length);
        assertEquals(s, InstanceSnapshot.fromBytes(bytes));
    }

    /** A version 1 encoding (no windows) of {@code s}, written the way version 1 was specified. */
    static byte[] version1(final InstanceSnapshot s) {
        final byte[] name = s.name().getBytes(StandardCharsets.UTF_8);
        final ByteBuffer b = ByteBuffer.allocate(102 + name.length);
        b.putInt(InstanceSnapshot.MAGIC).putShort((short) 1).putInt(102 + name.length)
                .putShort((short) (s.waitResultOutstanding() ? 1 : 0)).putInt(s.minor())
                .putLong(s.realtime().toNanos()).putLong(s.boottime().toNanos()).putLong(s.monotonic().toNanos())
                .putLong(s.wallClockOffset().toNanos()).putInt(s.armedMask()).putInt(s.pendingEvents().mask());
        for (final AlarmType t : AlarmType.values()) {
            b.putLong(s.alarm(t).map(Timespec::toNanos).orElse(0L));
        }
        b.putShort((short) name.length).put(name).putInt(0);
        final byte[] bytes = b.array();
        reseal(bytes);
        return bytes;
    }

    @Test
    void version1IsStillReadWithExactAlarms() {
        final InstanceSnapshot exact = InstanceSnapshot.builder().minor(3).name("old")
                .clocks(Timespec.ofSeconds(1_700_000_000L), Timespec.ofSeconds(50), Timespec.ofSeconds(40))
                .alarm(AlarmType.ELAPSED_REALTIME_WAKEUP, Timespec.ofSeconds(80))
                .pendingEvents(AlarmEvents.of(AlarmEvents.TIME_CHANGE_MASK)).build();
        final byte[] v1 = version1(exact);
        assertEquals(exact, InstanceSnapshot.fromBytes(v1));
        assertEquals(Optional.of(Duration.ZERO), InstanceSnapshot.fromBytes(v1).window(AlarmType.ELAPSED_REALTIME_WAKEUP));
        // A windowed snapshot read as version 1 loses nothing but the window.
        final InstanceSnapshot back = InstanceSnapshot.fromBytes(version1(sample()));
        assertEquals(Optional.of(Duration.ZERO), back.window(AlarmType.ELAPSED_REALTIME));
        assertEquals(sample().alarm(AlarmType.ELAPSED_REALTIME), back.alarm(AlarmType.ELAPSED_REALTIME));
        for (int n = 0; n < v1.length; n++) {
            final int len = n;
            assertEquals(Errno.EBADMSG, assertThrows(InvalidSnapshotException.class,
                    () -> InstanceSnapshot.fromBytes(Arrays.copyOf(v1, len))).errno(), "version 1, length " + n);
        }
    }

    @Test
    void everyTruncationAndExtensionIsRejectedAsCorrupt() {
        final byte[] bytes = sample().toBytes();
        for (int n = 0; n < bytes.length; n++) {
            final int len = n;
            assertEquals(Errno.EBADMSG, assertThrows(InvalidSnapshotException.class,
                    () -> InstanceSnapshot.fromBytes(Arrays.copyOf(bytes, len))).errno(), "length " + n);
        }
        assertEquals(Errno.EBADMSG, assertThrows(InvalidSnapshotException.class,
                () -> InstanceSnapshot.fromBytes(Arrays.copyOf(bytes, bytes.length + 1))).errno());
    }

    @Test
    void aBadMagicOrChecksumIsCorrupt() {
        final byte[] bytes = sample().toBytes();
        bytes[0] ^= 1;
        final InvalidSnapshotException magic = assertThrows(InvalidSnapshotException.class,
                () -> InstanceSnapshot.fromBytes(bytes));
        assertEquals(Errno.EBADMSG, magic.errno());
        assertTrue(magic.getMessage().contains("magic"), magic.getMessage());
        bytes[0] ^= 1;
        bytes[20] ^= 0x40;
        final InvalidSnapshotException crc = assertThrows(InvalidSnapshotException.class,
                () -> InstanceSnapshot.fromBytes(bytes));
        assertEquals(Errno.EBADMSG, crc.errno());
        assertTrue(crc.getMessage().contains("checksum"), crc.getMessage());
    }

    @Test
    void anIntactFutureVersionIsUnsupportedAndVersionZeroCorrupt() {
        final byte[] bytes = sample().toBytes();
        ByteBuffer.wrap(bytes).putShort(4, (short) 3);
        reseal(bytes);
        final InvalidSnapshotException e = assertThrows(InvalidSnapshotException.class,
                () -> InstanceSnapshot.fromBytes(bytes));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertTrue(e.getMessage().contains("version 3"), e.getMessage());
        ByteBuffer.wrap(bytes).putShort(4, (short) 0);
        reseal(bytes);
        assertEquals(Errno.EBADMSG, assertThrows(InvalidSnapshotException.class,
                () -> InstanceSnapshot.fromBytes(bytes)).errno());
    }

    @Test
    void intactButInvalidFieldsAreEinval() {
        assertInvalid(Errno.EINVAL, b -> b.putShort(10, (short) 2), "reserved flag");
        assertInvalid(Errno.EINVAL, b -> b.putInt(12, -1), "minor");
        assertInvalid(Errno.EINVAL, b -> b.putInt(12, 1 << 20), "minor");
        assertInvalid(Errno.EINVAL, b -> b.putInt(48, 0x20), "armed mask");
        assertInvalid(Errno.EINVAL, b -> b.putLong(64, 7), "not armed");
        assertInvalid(Errno.EINVAL, b -> b.putInt(52, 0x20), "pending mask");
        assertInvalid(Errno.EINVAL, b -> b.putLong(120, -1), "negative window");
        assertInvalid(Errno.EINVAL, b -> b.putLong(104, 1), "not armed but has a window");
        assertInvalid(Errno.EINVAL, b -> b.put(138, (byte) 7), "control");
        assertInvalid(Errno.EBADMSG, b -> b.put(138, (byte) 0xff), "UTF-8");
        assertInvalid(Errno.EBADMSG, b -> b.putShort(136, (short) 3), "name length");
    }

    private interface Mutation {
        void apply(ByteBuffer b);
    }

    private static void assertInvalid(final int errno, final Mutation m, final String what) {
        final byte[] bytes = sample().toBytes();
        m.apply(ByteBuffer.wrap(bytes));
        reseal(bytes);
        final InvalidSnapshotException e = assertThrows(InvalidSnapshotException.class,
                () -> InstanceSnapshot.fromBytes(bytes), what);
        assertEquals(errno, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains(what), e.getMessage());
    }

    /** Recomputes the checksum so that field validation is reached. */
    static void reseal(final byte[] bytes) {
        final CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());
    }

    /**
     * Either a clean, typed rejection, or a valid snapshot that encodes back to exactly these bytes.
     *
     * @return true if accepted
     */
    static boolean decodesCleanlyOrNot(final byte[] bytes) {
        final InstanceSnapshot s;
        try {
            s = InstanceSnapshot.fromBytes(bytes);
        } catch (final InvalidSnapshotException e) {
            assertTrue(e.errno() == Errno.EBADMSG || e.errno() == Errno.EINVAL || e.errno() == Errno.EOPNOTSUPP,
                    e.getMessage());
            return false;
        } catch (final RuntimeException e) {
            fail("not a clean rejection of " + Arrays.toString(bytes), e);
            return false;
        }
        if (ByteBuffer.wrap(bytes).getShort(4) == InstanceSnapshot.FORMAT_VERSION) {
            assertArrayEquals(bytes, s.toBytes(), "an accepted snapshot is exactly what the bytes say");
        } else {
            assertEquals(s, InstanceSnapshot.fromBytes(s.toBytes()), "an older version converts losslessly");
        }
        return true;
    }

    @Test
    void fuzzedBytesAreRejectedCleanlyOrValid() {
        final SplittableRandom rnd = new SplittableRandom(20261128L);
        final byte[] good = sample().toBytes();
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            final byte[] bytes;
            switch (i % 4) {
                case 0: { // random bit flips, checksum left alone
                    bytes = good.clone();
                    final int flips = 1 + rnd.nextInt(4);
                    for (int f = 0; f < flips; f++) {
                        bytes[rnd.nextInt(bytes.length)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    break;
                }
                case 1: { // truncation or extension
                    bytes = Arrays.copyOf(good, rnd.nextInt(good.length * 2));
                    break;
                }
                case 2: { // random field bytes behind a valid checksum: exercises field validation
                    bytes = good.clone();
                    final int changes = 1 + rnd.nextInt(3);
                    for (int f = 0; f < changes; f++) {
                        bytes[4 + rnd.nextInt(bytes.length - 8)] = (byte) rnd.nextInt(256);
                    }
                    reseal(bytes);
                    break;
                }
                default: { // noise
                    bytes = new byte[rnd.nextInt(400)];
                    for (int k = 0; k < bytes.length; k++) {
                        bytes[k] = (byte) rnd.nextInt(256);
                    }
                    if (bytes.length >= 14 && rnd.nextBoolean()) {
                        ByteBuffer.wrap(bytes).putInt(0, InstanceSnapshot.MAGIC).putInt(6, bytes.length);
                        reseal(bytes);
                    }
                }
            }
            if (decodesCleanlyOrNot(bytes) && !Arrays.equals(bytes, good)) {
                accepted++;
            }
        }
        // Resealed mutations of clock values are valid snapshots; make sure both outcomes were exercised.
        assertTrue(accepted > 0, "some resealed mutations are valid snapshots");
    }

    @Test
    void theBuilderRejectsBadValues() {
        final InstanceSnapshot.Builder b = InstanceSnapshot.builder();
        assertThrows(IllegalArgumentException.class, () -> b.minor(-1));
        assertThrows(IllegalArgumentException.class, () -> b.minor(1 << 20));
        assertThrows(IllegalArgumentException.class, () -> b.name(""));
        assertThrows(IllegalArgumentException.class, () -> b.name("a\nb"));
        assertThrows(IllegalArgumentException.class, () -> b.name("x".repeat(65)));
        assertThrows(NullPointerException.class, () -> b.name(null));
        assertThrows(IllegalArgumentException.class,
                () -> b.alarm(AlarmType.RTC, Timespec.ofSeconds(Long.MAX_VALUE)));
        assertThrows(IllegalArgumentException.class,
                () -> b.clocks(Timespec.ZERO, Timespec.ofSeconds(Long.MIN_VALUE), Timespec.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> b.alarm(AlarmType.RTC, Timespec.ZERO, Duration.ofNanos(-1)));
        assertThrows(IllegalArgumentException.class,
                () -> b.alarm(AlarmType.RTC, Timespec.ZERO, Duration.ofSeconds(Long.MAX_VALUE)));
        assertThrows(IllegalStateException.class, b::build);
        b.minor(1);
        assertThrows(IllegalStateException.class, b::build);
        b.name("n");
        assertThrows(IllegalStateException.class, b::build);
        b.clocks(Timespec.ZERO, Timespec.ZERO, Timespec.ZERO);
        b.alarm(AlarmType.RTC, Timespec.ofSeconds(5)).alarm(AlarmType.RTC, null);
        final InstanceSnapshot s = b.build();
        assertEquals(0, s.armedMask());
        assertEquals(s, InstanceSnapshot.fromBytes(s.toBytes()));
    }

    @Test
    void restoreOptionsValidate() {
        assertEquals(RestoreOptions.SNAPSHOT_MINOR, RestoreOptions.defaults().minor());
        assertEquals(RestoreOptions.WallClock.FOLLOW_HOST, RestoreOptions.defaults().wallClock());
        assertThrows(IllegalArgumentException.class, () -> RestoreOptions.builder().minor(-3));
        assertThrows(IllegalArgumentException.class, () -> RestoreOptions.builder().minor(1 << 20));
        assertThrows(IllegalArgumentException.class, () -> RestoreOptions.builder().name("\t"));
        final RestoreOptions o = RestoreOptions.builder().minor(InstanceConfig.ANY_MINOR).name("n")
                .wallClock(RestoreOptions.WallClock.CONTINUE).build();
        assertEquals(InstanceConfig.ANY_MINOR, o.minor());
        assertEquals("n", o.name());
        assertEquals(RestoreOptions.WallClock.CONTINUE, o.wallClock());
        assertTrue(o.toString().contains("any"), o.toString());
    }
}
