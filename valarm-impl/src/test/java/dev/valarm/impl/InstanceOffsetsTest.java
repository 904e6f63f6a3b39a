package dev.valarm.impl;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC;
import static dev.valarm.AlarmType.RTC_WAKEUP;
import static dev.valarm.AlarmType.SYSTEMTIME;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.InstanceConfig;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Per-instance clock offsets, fixed at creation for BOOTTIME and MONOTONIC, for every clock and alarm type. */
class InstanceOffsetsTest extends SimFixture {
    private static final Duration WALL = Duration.ofDays(400).plusNanos(17);
    private static final Duration BOOT = Duration.ofHours(-5).plusMillis(3); // may be negative
    private static final Duration MONO = Duration.ofDays(3).plusNanos(999);

    private ValarmInstance shifted;
    private AlarmHandle h;

    private void createShifted() {
        shifted = device.createInstance(InstanceConfig.builder().name("shifted")
                .wallClockOffset(WALL).boottimeOffset(BOOT).monotonicOffset(MONO).build());
        h = shifted.open(OpenMode.READ_WRITE);
    }

    private static Duration offsetOf(final ClockBase base) {
        return base == ClockBase.REALTIME ? WALL : base == ClockBase.BOOTTIME ? BOOT : MONO;
    }

    @ParameterizedTest
    @EnumSource(AlarmType.class)
    void getTimeIsHostPlusTheOffsetOfTheTypesClock(final AlarmType type) {
        createShifted();
        final ClockBase base = type.clockBase();
        assertEquals(host(base) + offsetOf(base).toNanos(), h.getTime(type).toNanos());
        assertEquals(h.getTime(type), shifted.now(type));
        advanceSeconds(12.5);
        assertEquals(host(base) + offsetOf(base).toNanos(), h.getTime(type).toNanos(), "the offset stays fixed");
    }

    @ParameterizedTest
    @EnumSource(AlarmType.class)
    void anAlarmOnTheInstanceClockFiresAfterItsRemainingTime(final AlarmType type) throws Exception {
        createShifted();
        h.set(type, in(h, type, 5));
        // The unshifted instance, armed at the same instance-clock value, must not fire meanwhile.
        rw.set(type, h.getTime(type));
        advanceSeconds(4.999);
        assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO));
        advanceSeconds(0.001);
        assertEquals(type.mask(), h.await(Duration.ZERO).mask());
        final boolean expectRw = offsetOf(type.clockBase()).isNegative();
        // rw's alarm was at the shifted clock's "now": already due on the host when the offset is negative
        // ... or far away when it is positive.
        assertEquals(expectRw ? type.mask() : 0, rw.await(Duration.ZERO).mask(), type.toString());
    }

    @Test
    void theHardwareAlarmIsProgrammedAtTheHostMomentOfAnElapsedWakeupAlarm() throws Exception {
        createShifted();
        h.set(ELAPSED_REALTIME_WAKEUP, in(h, ELAPSED_REALTIME_WAKEUP, 90));
        final long bootBefore = host(ClockBase.BOOTTIME);
        final SuspendOutcome out = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, out.result());
        assertEquals(90 * SEC, host(ClockBase.BOOTTIME) - bootBefore);
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), h.await(WAIT).mask());
    }

    @Test
    void theHardwareAlarmIsProgrammedAtTheHostMomentOfAnRtcWakeupAlarm() {
        createShifted();
        h.set(RTC_WAKEUP, in(h, RTC_WAKEUP, 120));
        final SuspendOutcome out = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, out.result());
        assertEquals(Duration.ofSeconds(120), out.slept());
    }

    @Test
    void suspendAdvancesTheInstancesElapsedClockButNotItsSystemtime() throws Exception {
        createShifted();
        final Timespec el = h.getTime(ELAPSED_REALTIME);
        final Timespec sys = h.getTime(SYSTEMTIME);
        h.set(SYSTEMTIME, in(h, SYSTEMTIME, 30));
        h.set(ELAPSED_REALTIME, in(h, ELAPSED_REALTIME, 30));
        machine.suspend(Duration.ofSeconds(60));
        assertEquals(el.toNanos() + 60 * SEC, h.getTime(ELAPSED_REALTIME).toNanos());
        assertEquals(sys, h.getTime(SYSTEMTIME));
        assertEquals(ELAPSED_REALTIME.mask(), h.await(Duration.ZERO).mask(), "fired at resume, SYSTEMTIME did not");
        advanceSeconds(30);
        assertEquals(SYSTEMTIME.mask(), h.await(Duration.ZERO).mask());
    }

    @Test
    void setRtcMovesTheWallClockOnlyAndKeepsTheOtherOffsets() throws Exception {
        createShifted();
        h.set(ELAPSED_REALTIME, in(h, ELAPSED_REALTIME, 10));
        h.set(SYSTEMTIME, in(h, SYSTEMTIME, 10));
        h.set(RTC, in(h, RTC, 10));
        h.setRtc(Timespec.ofSeconds(h.getTime(RTC).seconds() + 5)); // wall clock 5 s ahead (truncated ns)
        assertEquals(host(ClockBase.BOOTTIME) + BOOT.toNanos(), h.getTime(ELAPSED_REALTIME).toNanos());
        assertEquals(host(ClockBase.MONOTONIC) + MONO.toNanos(), h.getTime(SYSTEMTIME).toNanos());
        assertEquals(AlarmEvents.TIME_CHANGE_MASK, h.await(Duration.ZERO).mask());
        advanceSeconds(5.1);
        assertEquals(RTC.mask(), h.await(Duration.ZERO).mask(), "the RTC alarm follows the new wall clock");
        advanceSeconds(4.9);
        assertEquals(ELAPSED_REALTIME.mask() | SYSTEMTIME.mask(), h.await(Duration.ZERO).mask());
    }

    @Test
    void aHostClockJumpMovesTheInstanceWallClockButNotItsElapsedClock() throws Exception {
        createShifted();
        final long el = h.getTime(ELAPSED_REALTIME).toNanos();
        final long wall = h.getTime(RTC).toNanos();
        machine.jumpRealtime(Duration.ofHours(2));
        assertEquals(wall + Duration.ofHours(2).toNanos(), h.getTime(RTC).toNanos());
        assertEquals(el, h.getTime(ELAPSED_REALTIME).toNanos());
        assertEquals(WALL, shifted.wallClockOffset());
    }
}
