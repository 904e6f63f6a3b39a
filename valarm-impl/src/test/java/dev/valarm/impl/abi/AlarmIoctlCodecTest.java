package dev.valarm.impl.abi;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.RTC;
import static dev.valarm.AlarmType.RTC_WAKEUP;
import static dev.valarm.AlarmType.SYSTEMTIME;
import static dev.valarm.impl.abi.AlarmIoctlCodec.CLEAR;
import static dev.valarm.impl.abi.AlarmIoctlCodec.GET_TIME;
import static dev.valarm.impl.abi.AlarmIoctlCodec.GET_TIME_COMPAT;
import static dev.valarm.impl.abi.AlarmIoctlCodec.SET;
import static dev.valarm.impl.abi.AlarmIoctlCodec.SET_AND_WAIT;
import static dev.valarm.impl.abi.AlarmIoctlCodec.SET_COMPAT;
import static dev.valarm.impl.abi.AlarmIoctlCodec.SET_RTC;
import static dev.valarm.impl.abi.AlarmIoctlCodec.SET_RTC_COMPAT;
import static dev.valarm.impl.abi.AlarmIoctlCodec.WAIT;
import static dev.valarm.impl.abi.AlarmIoctlCodec.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.abi.AlarmIoctlCodec.Abi;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.internal.InstanceState;
import dev.valarm.impl.sim.SimulatedMachine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ABI codec: numbers, argument layouts, order of checks, and one test per quirk listed in its javadoc. */
class AlarmIoctlCodecTest {
    private static final long SEC = 1_000_000_000L;
    private static final AlarmIoctlCodec LP64 = AlarmIoctlCodec.of(Abi.LP64);
    private static final AlarmIoctlCodec COMPAT = AlarmIoctlCodec.of(Abi.COMPAT32);

    private SimulatedMachine machine;
    private ValarmDevice device;
    private ValarmInstance inst;
    private AlarmHandle rw;
    private AlarmHandle other;
    private AlarmHandle ro;

    @BeforeEach
    void start() {
        machine = SimulatedMachine.builder().build();
        device = machine.newDevice();
        inst = device.createInstance();
        rw = inst.open(OpenMode.READ_WRITE);
        other = inst.open(OpenMode.READ_WRITE);
        ro = inst.open(OpenMode.READ_ONLY);
    }

    @AfterEach
    void stop() {
        device.close();
    }

    static byte[] ts64(final long sec, final long nsec) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(sec).putLong(nsec).array();
    }

    static byte[] ts32(final int sec, final int nsec) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(sec).putInt(nsec).array();
    }

    private byte[] in(final AlarmType type, final double seconds) {
        final Timespec t = Timespec.ofNanos(inst.now(type).toNanos() + (long) (seconds * SEC));
        return ts64(t.seconds(), t.nanos());
    }

    private InstanceState state() {
        return DriverAccess.state(inst);
    }

    @Test
    void requestNumbersAreTheDriversOnX8664() {
        assertEquals(0x6100, request(CLEAR, RTC_WAKEUP));
        assertEquals(0x6140, request(CLEAR, SYSTEMTIME));
        assertEquals(0x40106102, request(SET, RTC_WAKEUP));
        assertEquals(0x40106112, request(SET, RTC));
        assertEquals(0x40106143, request(SET_AND_WAIT, SYSTEMTIME));
        assertEquals(0x40106134, request(GET_TIME, ELAPSED_REALTIME));
        assertEquals(0x40086122, request(SET_COMPAT, AlarmType.ELAPSED_REALTIME_WAKEUP));
        assertEquals(0x40106105, SET_RTC);
        assertEquals(0x40086105, SET_RTC_COMPAT);
        assertEquals(0x6101, WAIT);
        assertEquals(16, Abi.LP64.timespecSize());
        assertEquals(8, Abi.COMPAT32.timespecSize());
    }

    @Test
    void setArmsWaitReturnsThePositiveMask() {
        assertEquals(0, LP64.ioctl(rw, request(SET, ELAPSED_REALTIME), in(ELAPSED_REALTIME, 2)));
        assertTrue(rw.isOwner());
        machine.advance(Duration.ofSeconds(2));
        assertEquals(ELAPSED_REALTIME.mask(), LP64.ioctl(rw, WAIT, (byte[]) null));
    }

    @Test
    void waitReturnsTheTimeChangeBitAsAPositiveValue() {
        assertEquals(0, LP64.ioctl(other, SET_RTC, in(RTC, 60)));
        assertEquals(AlarmEvents.TIME_CHANGE_MASK, LP64.ioctl(rw, WAIT, new byte[0]));
    }

    @Test
    void setAndWaitSetsThenBlocksAndReturnsTheMask() throws Exception {
        final byte[] arg = in(SYSTEMTIME, 3);
        final CompletableFuture<Integer> f = CompletableFuture.supplyAsync(
                () -> LP64.ioctl(rw, request(SET_AND_WAIT, SYSTEMTIME), arg));
        while (state().enabled() == 0) {
            Thread.onSpinWait();
        }
        machine.advance(Duration.ofSeconds(3));
        assertEquals(SYSTEMTIME.mask(), f.get(10, TimeUnit.SECONDS));
    }

    @Test
    void waitBlocksLikeTheHandle() throws Exception {
        assertEquals(0, LP64.ioctl(rw, request(SET, RTC), in(RTC, 5)));
        final CompletableFuture<Integer> f = CompletableFuture.supplyAsync(() -> LP64.ioctl(rw, WAIT, (byte[]) null));
        machine.advance(Duration.ofSeconds(4));
        assertFalse(f.isDone());
        machine.advance(Duration.ofSeconds(1));
        assertEquals(RTC.mask(), f.get(10, TimeUnit.SECONDS));
    }

    @Test
    void anInterruptedWaitReturnsEintrAndKeepsTheInterruptAndTheAlarm() {
        assertEquals(0, LP64.ioctl(rw, request(SET, RTC), in(RTC, 5)));
        Thread.currentThread().interrupt();
        assertEquals(-Errno.EINTR, LP64.ioctl(rw, WAIT, (byte[]) null));
        assertTrue(Thread.interrupted());
        assertEquals(RTC.mask(), state().enabled());
    }

    @Test
    void quirk1_getTimeIsNumberedWriteButWritesItsResultAndIgnoresTheInput() {
        final byte[] arg = ts64(-42, -42); // garbage in: never read
        assertEquals(0, LP64.ioctl(ro, request(GET_TIME, ELAPSED_REALTIME), arg));
        final ByteBuffer b = ByteBuffer.wrap(arg).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(machine.nanos(ClockBase.BOOTTIME), b.getLong(0) * SEC + b.getLong(8));
        assertEquals(0x40000000, request(GET_TIME, RTC) & 0xc0000000, "the direction bits say _IOW");
        assertFalse(ro.isOwner());
        assertEquals(-Errno.EFAULT, LP64.ioctl(ro, GET_TIME, new byte[15]), "too short to copy out");
        assertEquals(-Errno.EFAULT, LP64.ioctl(ro, GET_TIME, ByteBuffer.allocate(16).asReadOnlyBuffer()));
        assertEquals(-Errno.EFAULT, LP64.ioctl(ro, GET_TIME, (ByteBuffer) null));
    }

    @Test
    void getTimeWritesAtTheBufferPositionWithoutMovingIt() {
        final ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.BIG_ENDIAN);
        b.position(4);
        assertEquals(0, LP64.ioctl(rw, request(GET_TIME, SYSTEMTIME), b));
        assertEquals(4, b.position());
        final ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(machine.nanos(ClockBase.MONOTONIC), le.getLong(4) * SEC + le.getLong(12));
        assertFalse(rw.isOwner(), "GET_TIME never claims ownership");
    }

    @Test
    void quirk2_anUnknownCommandClaimsOwnershipThenFailsWithEinval() {
        assertEquals(-Errno.EINVAL, LP64.ioctl(rw, 0x6106, (byte[]) null));
        assertTrue(rw.isOwner(), "ownership was taken before validation");
        assertEquals(-Errno.EBUSY, LP64.ioctl(other, request(CLEAR, RTC), (byte[]) null));
        assertEquals(-Errno.EBUSY, LP64.ioctl(other, 0x12345608, (byte[]) null), "unknown, but busy first");
    }

    @Test
    void quirk2_aWrongSizeOrMagicWithAValidTypeAlsoClaimsOwnership() {
        assertEquals(-Errno.EINVAL, LP64.ioctl(rw, SET_COMPAT, ts32(1, 0)), "the compat number natively");
        assertTrue(rw.isOwner());
        assertEquals(0, state().enabled(), "nothing was armed");
    }

    @Test
    void aTypeNibbleOfFiveOrMoreIsEinvalBeforeAnythingElse() {
        for (int type = 5; type < 16; type++) {
            assertEquals(-Errno.EINVAL, LP64.ioctl(ro, CLEAR | type << 4, (byte[]) null), "before EPERM");
            assertEquals(-Errno.EINVAL, LP64.ioctl(rw, WAIT | type << 4, (byte[]) null));
            assertEquals(-Errno.EINVAL, LP64.ioctl(rw, 0x7777700f | type << 4, (byte[]) null));
        }
        assertFalse(rw.isOwner(), "no claim before the type check");
    }

    @Test
    void quirk3_setRtcWithATypeNibbleClaimsOwnership() {
        assertEquals(0, LP64.ioctl(rw, SET_RTC, in(RTC, 100)));
        assertFalse(rw.isOwner(), "the exact SET_RTC number is exempt");
        assertEquals(0, LP64.ioctl(rw, SET_RTC | 0x10, in(RTC, 100)));
        assertTrue(rw.isOwner(), "SET_RTC with type 1 claims");
        assertEquals(-Errno.EBUSY, LP64.ioctl(other, SET_RTC | 0x20, in(RTC, 100)));
        assertEquals(0, LP64.ioctl(other, SET_RTC, in(RTC, 100)), "the exact number still works for a non-owner");
    }

    @Test
    void quirk3_waitWithATypeNibbleIsAcceptedAsWait() {
        assertEquals(0, LP64.ioctl(other, SET_RTC, in(RTC, 1)));
        assertEquals(AlarmEvents.TIME_CHANGE_MASK, LP64.ioctl(rw, WAIT | 0x40, (byte[]) null));
        assertTrue(rw.isOwner());
    }

    @Test
    void quirk4_readOnlyIsEpermAndAnotherOwnerIsEbusy() {
        assertEquals(-Errno.EPERM, LP64.ioctl(ro, request(CLEAR, RTC), (byte[]) null));
        assertEquals(-Errno.EPERM, LP64.ioctl(ro, SET_RTC, in(RTC, 1)));
        assertEquals(-Errno.EPERM, LP64.ioctl(ro, 0x6106, (byte[]) null), "unknown commands too");
        assertEquals(0, LP64.ioctl(rw, request(CLEAR, RTC), (byte[]) null));
        assertEquals(-Errno.EBUSY, LP64.ioctl(other, request(SET, RTC), in(RTC, 1)));
        assertEquals(-Errno.EPERM, LP64.ioctl(ro, request(SET, RTC), in(RTC, 1)), "EPERM before EBUSY");
    }

    @Test
    void efaultComesFirstCopyBeforeOwnership() {
        assertEquals(-Errno.EFAULT, LP64.ioctl(ro, request(SET, RTC), new byte[15]), "before EPERM");
        assertEquals(-Errno.EFAULT, LP64.ioctl(rw, SET | 0x70, new byte[3]), "before the type check");
        assertEquals(-Errno.EFAULT, LP64.ioctl(rw, request(SET_AND_WAIT, RTC), (byte[]) null));
        assertEquals(-Errno.EFAULT, LP64.ioctl(rw, SET_RTC | 0x10, new byte[8]));
        assertFalse(rw.isOwner(), "S1 copies before the ownership step: a fault claims nothing");
        assertEquals(-Errno.EFAULT, COMPAT.ioctl(rw, request(SET_COMPAT, RTC), new byte[7]));
        assertFalse(rw.isOwner());
        assertEquals(0, LP64.ioctl(rw, request(SET, RTC), new byte[40]), "a longer buffer is fine");
    }

    @Test
    void quirk5_setKeepsAStalePendingBit() {
        assertEquals(0, LP64.ioctl(rw, request(SET, RTC), in(RTC, 1)));
        machine.advance(Duration.ofSeconds(1));
        assertEquals(0, LP64.ioctl(rw, request(SET, RTC), in(RTC, 10)));
        assertEquals(RTC.mask(), LP64.ioctl(rw, WAIT, (byte[]) null));
        machine.advance(Duration.ofSeconds(10));
        assertEquals(RTC.mask(), LP64.ioctl(rw, WAIT, (byte[]) null));
    }

    @Test
    void quirk6_aWaiterThatLosesTheRaceGetsZero() throws Exception {
        // Two blocked WAITs on one file: both are woken, one gets the event, the other returns 0.
        final CompletableFuture<Integer> a = CompletableFuture.supplyAsync(() -> LP64.ioctl(rw, WAIT, (byte[]) null));
        final CompletableFuture<Integer> b = CompletableFuture.supplyAsync(() -> LP64.ioctl(rw, WAIT, (byte[]) null));
        while (state().blockingWaiters() < 2) {
            Thread.onSpinWait();
        }
        assertEquals(0, LP64.ioctl(other, SET_RTC, in(RTC, 1)));
        final int ra = a.get(10, TimeUnit.SECONDS);
        final int rb = b.get(10, TimeUnit.SECONDS);
        assertEquals(AlarmEvents.TIME_CHANGE_MASK, ra | rb);
        assertEquals(0, Math.min(ra, rb));
    }

    @Test
    void quirk9_compatTranslatesOnlyTheCompatNumbers() {
        final byte[] out = new byte[16];
        assertEquals(0, COMPAT.ioctl(ro, request(GET_TIME, RTC), out), "the 64-bit GET_TIME through compat");
        final ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals((int) (machine.nanos(ClockBase.REALTIME) / SEC), b.getInt(0), "a compat timespec is written");
        assertEquals(0, b.getLong(8), "and only 8 bytes");
        assertEquals(-Errno.EINVAL, COMPAT.ioctl(rw, request(SET, RTC), ts64(1, 0)),
                "the 64-bit SET through compat: the driver would use an uninitialised timespec");
        assertTrue(rw.isOwner(), "after the usual checks");
        assertEquals(0, state().enabled());
        assertEquals(-Errno.EINVAL, COMPAT.ioctl(other, SET_RTC, ts64(1, 0)));
    }

    @Test
    void compatSetSignExtendsAndGetTimeTruncatesSeconds() {
        assertEquals(0, COMPAT.ioctl(rw, request(SET_COMPAT, SYSTEMTIME), ts32(-1, 0)));
        machine.awaitIdle();
        assertEquals(SYSTEMTIME.mask(), COMPAT.ioctl(rw, WAIT, (byte[]) null), "-1 s fires at once");
        final long far = (1L << 32) + 5; // 2106: inside the clock range, beyond 32 bits
        rw.setRtc(Timespec.ofSeconds(far));
        final byte[] out = new byte[8];
        assertEquals(0, COMPAT.ioctl(ro, request(GET_TIME_COMPAT, RTC), out));
        assertEquals((int) far, ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
        assertEquals(-Errno.EFAULT, COMPAT.ioctl(ro, request(GET_TIME_COMPAT, RTC), new byte[7]));
    }

    @Test
    void compatSetAndSetRtcUseTheEightByteLayout() {
        final Timespec t = Timespec.ofNanos(inst.now(RTC).toNanos() + 30 * SEC);
        assertEquals(0, COMPAT.ioctl(rw, request(SET_COMPAT, RTC), ts32((int) t.seconds(), t.nanos())));
        assertEquals(t.toNanos(), state().armedTimes().get(RTC.number()));
        assertEquals(0, COMPAT.ioctl(other, SET_RTC_COMPAT, ts32(1_900_000_000, 5)));
        assertEquals(1_900_000_000L, inst.now(RTC).seconds());
        assertFalse(other.isOwner());
    }

    @Test
    void quirk10_clearCopiesNoArgument() {
        assertEquals(0, LP64.ioctl(rw, request(SET, RTC), in(RTC, 100)));
        assertEquals(0, LP64.ioctl(rw, request(CLEAR, RTC), (byte[]) null));
        assertEquals(0, LP64.ioctl(rw, request(CLEAR, RTC), new byte[1]));
        assertEquals(0, state().enabled());
    }

    @Test
    void quirk11_tvNsecIsNotValidatedButAddedAsTheKernelDoes() {
        final long base = inst.now(RTC).seconds() + 100;
        assertEquals(0, LP64.ioctl(rw, request(SET, RTC), ts64(base, -1)));
        assertEquals(base * SEC - 1, state().armedTimes().get(RTC.number()), "(s, -1) is s - 1 ns");
        assertEquals(0, LP64.ioctl(rw, request(SET, RTC), ts64(base, 1_500_000_000L)));
        assertEquals(base * SEC + 1_500_000_000L, state().armedTimes().get(RTC.number()), "(s, 1.5e9) is s + 1.5 s");
        assertEquals(0, LP64.ioctl(rw, request(SET, RTC), ts64(Long.MAX_VALUE, Long.MAX_VALUE)));
        assertEquals(Long.MAX_VALUE, state().armedTimes().get(RTC.number()), "KTIME_MAX: never fires");
        assertEquals(0, LP64.ioctl(rw, request(SET, SYSTEMTIME), ts64(Long.MIN_VALUE, Long.MIN_VALUE)));
        assertEquals(0, LP64.ioctl(rw, request(SET, ELAPSED_REALTIME), ts64(0, 0)));
        machine.awaitIdle();
        assertEquals(SYSTEMTIME.mask() | ELAPSED_REALTIME.mask(), LP64.ioctl(rw, WAIT, (byte[]) null),
                "zero and negative times fire at once");
        assertEquals(RTC.mask(), state().enabled());
    }

    /**
     * Where a 64-bit kernel's {@code ktime_set} would wrap ({@code secs * 10^9 + nsecs} in two's complement,
     * below {@code KTIME_SEC_MAX}), the codec saturates instead, deliberately: the wrapped value would fire
     * a time centuries ahead at once, or never fire a time in the past.
     */
    @Test
    void quirk11_whereTheKernelWouldWrapTheCodecSaturates() {
        final long[][] cases = {
            {Long.MAX_VALUE / SEC - 1, 2 * SEC}, // 2262 + 1 s: the kernel wraps negative and fires at once
            {Long.MAX_VALUE / SEC - 1, Long.MAX_VALUE}, // likewise
            {-9_223_372_037L, 0}, // before 1677: the kernel wraps to 2262 and never fires
            {-1, Long.MIN_VALUE}, // likewise
        };
        for (final long[] c : cases) {
            final long wrapped = c[0] * SEC + c[1]; // what the kernel computes
            final java.math.BigInteger exact = java.math.BigInteger.valueOf(c[0]).multiply(java.math.BigInteger.valueOf(SEC))
                    .add(java.math.BigInteger.valueOf(c[1]));
            final long saturated = exact.signum() > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
            assertTrue(java.math.BigInteger.valueOf(wrapped).compareTo(exact) != 0, "the kernel would wrap here");
            assertEquals(0, LP64.ioctl(rw, request(SET, ELAPSED_REALTIME), ts64(c[0], c[1])));
            machine.awaitIdle();
            if (saturated == Long.MAX_VALUE) {
                assertEquals(Long.MAX_VALUE, state().armedTimes().get(ELAPSED_REALTIME.number()), "never fires");
                assertEquals(0, LP64.ioctl(rw, request(CLEAR, ELAPSED_REALTIME), (byte[]) null));
            } else {
                assertEquals(ELAPSED_REALTIME.mask(), LP64.ioctl(rw, WAIT, (byte[]) null), "a past time fires at once");
            }
        }
    }

    @Test
    void quirk11_compatNsecIsAddedToo() {
        final int base = (int) inst.now(RTC).seconds() + 100;
        assertEquals(0, COMPAT.ioctl(rw, request(SET_COMPAT, RTC), ts32(base, -500_000_000)));
        assertEquals(base * SEC - 500_000_000L, state().armedTimes().get(RTC.number()));
    }

    @Test
    void setRtcRejectsWhatDoSettimeofdayRejects() {
        final InstanceState before = state();
        assertEquals(-Errno.EINVAL, LP64.ioctl(other, SET_RTC, ts64(1_800_000_000L, 1_000_000_000L)));
        assertEquals(-Errno.EINVAL, LP64.ioctl(other, SET_RTC, ts64(1_800_000_000L, -1)));
        assertEquals(-Errno.EINVAL, LP64.ioctl(other, SET_RTC, ts64(-1, 0)));
        assertEquals(-Errno.EINVAL, LP64.ioctl(other, SET_RTC, ts64(Long.MAX_VALUE / SEC, 0)));
        assertEquals(-Errno.EINVAL, COMPAT.ioctl(other, SET_RTC_COMPAT, ts32(-5, 0)));
        assertEquals(before, state(), "no clock change, no time-change event");
        assertEquals(0, LP64.ioctl(other, SET_RTC, ts64(0, 999_999_999)), "the epoch itself is valid");
        assertEquals(0, inst.now(RTC).seconds());
    }

    @Test
    void closedHandleInstanceAndDeviceGiveTheirErrno() {
        rw.close();
        assertEquals(-Errno.EBADF, LP64.ioctl(rw, WAIT, (byte[]) null));
        assertEquals(-Errno.EBADF, LP64.ioctl(rw, request(SET, RTC), (byte[]) null), "EBADF before EFAULT");
        inst.close();
        assertEquals(-Errno.ENODEV, LP64.ioctl(other, request(GET_TIME, RTC), new byte[16]));
        final AlarmHandle h = device.createInstance().open(OpenMode.READ_WRITE);
        device.close();
        assertEquals(-Errno.ENODEV, COMPAT.ioctl(h, request(CLEAR, RTC), (byte[]) null));
    }

    @Test
    void aWaitWokenByCloseReturnsTheClosedErrno() throws Exception {
        final CompletableFuture<Integer> f = CompletableFuture.supplyAsync(() -> LP64.ioctl(rw, WAIT, (byte[]) null));
        while (state().blockingWaiters() < 1) {
            Thread.onSpinWait();
        }
        inst.close();
        assertEquals(-Errno.ENODEV, f.get(10, TimeUnit.SECONDS));
    }

    @Test
    void programmerErrors() {
        assertThrows(NullPointerException.class, () -> LP64.ioctl(null, WAIT, (byte[]) null));
        assertThrows(NullPointerException.class, () -> AlarmIoctlCodec.of(null));
        final AlarmHandle foreign = (AlarmHandle) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {AlarmHandle.class}, (p, m, a) -> m.getName().equals("mode") ? OpenMode.READ_WRITE
                        : m.getReturnType() == boolean.class ? Boolean.FALSE : null);
        assertThrows(IllegalArgumentException.class, () -> LP64.ioctl(foreign, WAIT, (byte[]) null));
        assertEquals(Abi.LP64, LP64.abi());
        assertArrayEquals(new byte[0], new byte[0]);
    }

    @Test
    void argumentSizesAreWhatTheDriverCopies() {
        for (final AlarmType t : AlarmType.values()) {
            assertEquals(16, LP64.inputSize(request(SET, t)));
            assertEquals(16, LP64.inputSize(request(SET_AND_WAIT, t)));
            assertEquals(0, LP64.inputSize(request(CLEAR, t)), "quirk 10: CLEAR copies nothing");
            assertEquals(0, LP64.inputSize(request(GET_TIME, t)), "quirk 1: GET_TIME reads nothing");
            assertEquals(16, LP64.outputSize(request(GET_TIME, t)));
            assertEquals(0, LP64.outputSize(request(SET, t)));
            assertEquals(8, COMPAT.inputSize(request(SET_COMPAT, t)));
            assertEquals(0, COMPAT.inputSize(request(SET, t)), "quirk 9: the 64-bit number copies nothing");
            assertEquals(8, COMPAT.outputSize(request(GET_TIME_COMPAT, t)));
            assertEquals(8, COMPAT.outputSize(request(GET_TIME, t)), "quirk 9: a compat timespec is written");
        }
        assertEquals(16, LP64.inputSize(SET_RTC));
        assertEquals(8, COMPAT.inputSize(SET_RTC_COMPAT));
        assertEquals(16, LP64.inputSize(SET | 0x70), "the copy precedes the type check");
        assertEquals(0, LP64.outputSize(GET_TIME | 0x50), "GET_TIME of type 5 fails before copying");
        assertEquals(0, LP64.inputSize(WAIT));
        assertEquals(0, LP64.outputSize(0x5401));
    }

    @Test
    void deferringWaitRunsTheChecksAndTheSetButDoesNotBlock() {
        assertEquals(AlarmIoctlCodec.WAIT_DEFERRED, LP64.ioctlDeferringWait(rw, WAIT, null));
        assertTrue(rw.isOwner(), "WAIT claims ownership before it is deferred");
        assertEquals(-Errno.EBUSY, LP64.ioctlDeferringWait(other, WAIT, null));
        assertEquals(-Errno.EPERM, LP64.ioctlDeferringWait(ro, WAIT, null));
        final ByteBuffer arg = ByteBuffer.wrap(in(SYSTEMTIME, 3));
        assertEquals(AlarmIoctlCodec.WAIT_DEFERRED, LP64.ioctlDeferringWait(rw, request(SET_AND_WAIT, SYSTEMTIME), arg));
        assertEquals(SYSTEMTIME.mask(), state().enabled(), "the SET half ran");
        assertEquals(-Errno.EFAULT, LP64.ioctlDeferringWait(rw, request(SET_AND_WAIT, SYSTEMTIME), null));
        assertEquals(0, LP64.ioctlDeferringWait(rw, request(CLEAR, SYSTEMTIME), null));
        final CompletableFuture<AlarmEvents> f = rw.awaitAsync();
        assertEquals(0, LP64.ioctlDeferringWait(rw, request(SET, RTC), ByteBuffer.wrap(in(RTC, 1))));
        machine.advance(Duration.ofSeconds(1));
        assertEquals(RTC.mask(), AlarmIoctlCodec.waitResult(f.join(), null));
    }

    @Test
    void waitResultMapsFailuresToTheDriversErrno() throws Exception {
        final CompletableFuture<AlarmEvents> f = rw.awaitAsync();
        rw.close();
        final Throwable failure = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> f.get(10, TimeUnit.SECONDS)).getCause();
        assertEquals(-Errno.EBADF, AlarmIoctlCodec.waitResult(null, new java.util.concurrent.CompletionException(failure)));
        assertEquals(-Errno.EINTR, AlarmIoctlCodec.waitResult(null, new java.util.concurrent.CancellationException()));
        assertEquals(-Errno.EIO, AlarmIoctlCodec.waitResult(null, new IllegalStateException("x")));
        assertEquals(0x10004, AlarmIoctlCodec.waitResult(AlarmEvents.of(0x10004), null));
    }

    @Test
    void bigEndianBuffersAreReadAndWrittenLittleEndian() {
        final ByteBuffer be = ByteBuffer.allocateDirect(16).order(ByteOrder.BIG_ENDIAN);
        assertEquals(0, LP64.ioctl(ro, request(GET_TIME, SYSTEMTIME), be));
        final long sec = be.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(inst.now(SYSTEMTIME).seconds(), sec, 1);
        final ByteBuffer in = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN);
        in.putLong(0, Long.reverseBytes(sec + 5)).putLong(8, 0);
        assertEquals(0, LP64.ioctl(rw, request(SET, SYSTEMTIME), in));
        assertEquals((sec + 5) * SEC, (long) state().armedTimes().get(SYSTEMTIME.number()));
    }
}
