package dev.valarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ValuesTest {

    @Test
    void alarmTypesHaveTheDriversNumbersMasksBasesAndWakeupFlags() {
        assertEquals(5, AlarmType.COUNT);
        for (final AlarmType t : AlarmType.values()) {
            assertEquals(t.ordinal(), t.number());
            assertEquals(1 << t.number(), t.mask());
            assertSame(t, AlarmType.of(t.number()));
        }
        assertEquals(EnumSet.of(AlarmType.RTC_WAKEUP, AlarmType.ELAPSED_REALTIME_WAKEUP),
                EnumSet.copyOf(java.util.Arrays.stream(AlarmType.values()).filter(AlarmType::isWakeup).toList()));
        assertEquals(ClockBase.REALTIME, AlarmType.RTC.clockBase());
        assertEquals(ClockBase.BOOTTIME, AlarmType.ELAPSED_REALTIME_WAKEUP.clockBase());
        assertEquals(ClockBase.MONOTONIC, AlarmType.SYSTEMTIME.clockBase());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 5, 6, 16, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void lookingUpAnInvalidTypeIsEinvalNamingTheValue(final int n) {
        final InvalidAlarmException e = assertThrows(InvalidAlarmException.class, () -> AlarmType.of(n));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().endsWith(": " + n), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 1_000_000_000, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void timespecRejectsNanosOutsideTheSecond(final int nanos) {
        final InvalidAlarmException e = assertThrows(InvalidAlarmException.class, () -> new Timespec(1, nanos));
        assertTrue(e.getMessage().contains(Integer.toString(nanos)), e.getMessage());
    }

    @Test
    void timespecNanosConversionIsExactAndFloors() {
        assertEquals(new Timespec(-1, 500_000_000), Timespec.ofNanos(-500_000_000L));
        assertEquals(-500_000_000L, new Timespec(-1, 500_000_000).toNanos());
        for (final long n : new long[] {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1_234_567_890_123L}) {
            assertEquals(n, Timespec.ofNanos(n).toNanos());
        }
        assertEquals(new Timespec(0, 999_999_999), Timespec.ofSeconds(1, -1));
    }

    @Test
    void timespecToNanosSaturates() {
        assertEquals(Long.MAX_VALUE, new Timespec(Long.MAX_VALUE, 0).toNanos());
        assertEquals(Long.MIN_VALUE, new Timespec(Long.MIN_VALUE, 0).toNanos());
        assertEquals(Long.MAX_VALUE, new Timespec(Long.MAX_VALUE / 1_000_000_000L, 999_999_999).toNanos());
    }

    @Test
    void timespecInstantConversionRoundTripsAndSaturates() {
        final Instant i = Instant.parse("2031-05-06T07:08:09.123456789Z");
        assertEquals(i, Timespec.of(i).toInstant());
        assertEquals(Instant.MAX, new Timespec(Long.MAX_VALUE, 0).toInstant());
        assertEquals(Instant.MIN, new Timespec(Long.MIN_VALUE, 0).toInstant());
    }

    @Test
    void timespecDurationConversionIsExact() {
        final Duration d = Duration.ofSeconds(-3, 250);
        assertEquals(d, Timespec.of(d).toDuration());
        assertEquals(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), new Timespec(Long.MAX_VALUE, 999_999_999).toDuration());
    }

    @Test
    void timespecOrdersBySecondsThenNanos() {
        assertTrue(new Timespec(1, 0).compareTo(new Timespec(0, 999_999_999)) > 0);
        assertTrue(new Timespec(-1, 5).compareTo(new Timespec(-1, 6)) < 0);
        assertEquals("-0.5 s", Timespec.ofNanos(-500_000_000L).toString()); // exact and signed (was "-1.500000000s")
    }

    @Test
    void eventsArePrebuiltForEveryMaskAndDecodeTheirBits() {
        final AlarmEvents e = AlarmEvents.of(0x10005);
        assertSame(e, AlarmEvents.of(0x10005));
        assertTrue(e.fired(AlarmType.RTC_WAKEUP));
        assertTrue(e.fired(AlarmType.ELAPSED_REALTIME_WAKEUP));
        assertFalse(e.fired(AlarmType.RTC));
        assertTrue(e.timeChanged());
        assertEquals(5, e.typeMask());
        assertEquals(0x10005, e.mask());
        assertEquals(EnumSet.of(AlarmType.RTC_WAKEUP, AlarmType.ELAPSED_REALTIME_WAKEUP), e.firedTypes());
        assertTrue(AlarmEvents.NONE.isEmpty());
        for (int m = 0; m <= 0x1f; m++) {
            assertEquals(m, AlarmEvents.of(m).mask());
            assertEquals(m | 0x10000, AlarmEvents.of(m | 0x10000).mask());
        }
        assertEquals("AlarmEvents[0x10005: RTC_WAKEUP, ELAPSED_REALTIME_WAKEUP, TIME_CHANGE]", e.toString());
    }

    @ParameterizedTest
    @ValueSource(ints = {0x20, 0x8000, 0x20000, -1})
    void eventsRejectUnknownBits(final int mask) {
        assertThrows(InvalidAlarmException.class, () -> AlarmEvents.of(mask));
    }

    @Test
    void instanceConfigValidatesAndNamesTheBadValue() {
        assertThrows(IllegalArgumentException.class, () -> InstanceConfig.builder().minor(-2));
        assertThrows(IllegalArgumentException.class, () -> InstanceConfig.builder().minor(1 << 20));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InstanceConfig.builder().name("bad\nname"));
        assertTrue(e.getMessage().contains("bad"), e.getMessage());
        assertEquals(InstanceConfig.ANY_MINOR, InstanceConfig.defaults().minor());
    }

    @Test
    void exceptionsCarryTheirErrnoAndName() {
        assertEquals(Errno.EBUSY, new AlarmBusyException("x").errno());
        assertTrue(new AlarmBusyException("x").getMessage().startsWith("EBUSY: "));
        assertEquals(Errno.EPERM, new AlarmPermissionException("x").errno());
        assertEquals("errno 999", Errno.name(999));
    }
}
