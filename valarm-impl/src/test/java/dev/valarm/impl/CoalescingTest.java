package dev.valarm.impl;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC;
import static dev.valarm.AlarmType.RTC_WAKEUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmPermissionException;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.impl.sim.RtcCall;
import dev.valarm.impl.sim.SimulatedRtc;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tolerance windows: delivery inside the window, riding along, hardware wake placement. */
class CoalescingTest extends SimFixture {

    private static Duration secs(final double s) {
        return Duration.ofNanos((long) (s * SEC));
    }

    @Test
    void aLoneWindowedAlarmFiresAtTheEndOfItsWindow() throws Exception {
        rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 10), secs(5));
        advanceSeconds(14.999);
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO), "no firing before the window ends");
        advanceSeconds(0.001);
        assertEquals(ELAPSED_REALTIME.mask(), rw.await(Duration.ZERO).mask());
    }

    @Test
    void aWindowedAlarmRidesAlongWithAnotherInstancesFiringInsideItsWindow() throws Exception {
        final AlarmHandle other = device.createInstance().open(OpenMode.READ_WRITE);
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 10), secs(60));
        other.set(ELAPSED_REALTIME_WAKEUP, in(other, ELAPSED_REALTIME_WAKEUP, 30));
        advanceSeconds(29.9);
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
        advanceSeconds(0.1);
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), other.await(Duration.ZERO).mask());
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), rw.await(Duration.ZERO).mask(), "rode along at 30 s");
        assertEquals(0, device.stats().armedAlarms());
        assertEquals(2, device.stats().alarmsFired());
    }

    @Test
    void aWindowThatHasNotStartedDoesNotRideAlong() throws Exception {
        final AlarmHandle other = device.createInstance().open(OpenMode.READ_WRITE);
        rw.set(RTC, in(rw, RTC, 40), secs(20));
        other.set(RTC, in(other, RTC, 30));
        advanceSeconds(30);
        assertEquals(RTC.mask(), other.await(Duration.ZERO).mask());
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
        advanceSeconds(29.999);
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
        advanceSeconds(0.001);
        assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask());
    }

    @Test
    void ridingAlongCrossesTypesAndClockBases() throws Exception {
        rw.set(RTC, in(rw, RTC, 5), secs(100));
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 1), secs(100));
        rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 20));
        advanceSeconds(20);
        assertEquals(RTC.mask() | ELAPSED_REALTIME_WAKEUP.mask() | ELAPSED_REALTIME.mask(),
                rw.await(Duration.ZERO).mask());
    }

    @Test
    void reArmingExactlyDropsTheWindow() throws Exception {
        final AlarmHandle other = device.createInstance().open(OpenMode.READ_WRITE);
        rw.set(RTC, in(rw, RTC, 10), secs(100));
        rw.set(RTC, in(rw, RTC, 50));
        other.set(RTC, in(other, RTC, 20));
        advanceSeconds(20);
        assertEquals(RTC.mask(), other.await(Duration.ZERO).mask());
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO), "the exact re-arm does not ride along");
        advanceSeconds(30);
        assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask());
    }

    @Test
    void clearRemovesAWindowedAlarm() throws Exception {
        final AlarmHandle other = device.createInstance().open(OpenMode.READ_WRITE);
        rw.set(RTC, in(rw, RTC, 1), secs(100));
        rw.clear(RTC);
        other.set(RTC, in(other, RTC, 20));
        advanceSeconds(200);
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
        assertEquals(0, device.stats().armedAlarms());
    }

    @Test
    void setRtcMovesTheWholeWindow() throws Exception {
        rw.set(RTC, in(rw, RTC, 100), secs(10));
        rw.setRtc(in(rw, RTC, -50)); // the wall clock goes back 50 s: the window is now 150..160 s away
        assertEquals(AlarmEvents.TIME_CHANGE_MASK, rw.await(Duration.ZERO).mask());
        advanceSeconds(159.999);
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
        advanceSeconds(0.001);
        assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask());
    }

    @Test
    void anEndedWindowFiresAtOnceAndAZeroWindowIsExact() throws Exception {
        rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, -100), secs(10));
        assertEquals(RTC_WAKEUP.mask(), rw.await(WAIT).mask());
        rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 5), Duration.ZERO);
        advanceSeconds(4.999);
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
        advanceSeconds(0.001);
        assertEquals(RTC_WAKEUP.mask(), rw.await(Duration.ZERO).mask());
    }

    @Test
    void badArgumentsChangeNothing() {
        final Timespec t = in(rw, RTC, 10);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> rw.set(RTC, t, Duration.ofSeconds(-1)));
        assertTrue(e.getMessage().endsWith("window must not be negative: -1 s"), e.getMessage()); // not "PT-1S"
        assertThrows(NullPointerException.class, () -> rw.set(RTC, t, null));
        assertThrows(NullPointerException.class, () -> rw.set(RTC, null, Duration.ZERO));
        assertFalse(rw.isOwner(), "a refused SET does not claim ownership");
        assertEquals(0, device.stats().armedAlarms());
        final AlarmHandle ro = inst.open(OpenMode.READ_ONLY);
        assertThrows(AlarmPermissionException.class, () -> ro.set(RTC, t, Duration.ofSeconds(1)));
    }

    @Test
    void hugeWindowsSaturate() throws Exception {
        rw.set(RTC, in(rw, RTC, 10), Duration.ofSeconds(Long.MAX_VALUE));
        advanceSeconds(86400 * 365.0);
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
        assertEquals(1, device.stats().armedAlarms());
    }

    @Test
    void oneHardwareWakeServesOverlappingWindowsOfSeveralInstances() throws Exception {
        final AlarmHandle b = device.createInstance().open(OpenMode.READ_WRITE);
        final AlarmHandle c = device.createInstance().open(OpenMode.READ_WRITE);
        final long bt0 = rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos();
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 100), secs(300));
        b.set(ELAPSED_REALTIME_WAKEUP, in(b, ELAPSED_REALTIME_WAKEUP, 200.5), secs(100));
        c.set(RTC_WAKEUP, in(c, RTC_WAKEUP, 250), secs(600));
        final SuspendOutcome out = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, out.result());
        // The earliest window end is 300.5 s (b's); rounded down into b's window: 300 s after now.
        assertEquals(300 * SEC, rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos() - bt0);
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), rw.await(Duration.ZERO).mask());
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), b.await(Duration.ZERO).mask());
        assertEquals(RTC_WAKEUP.mask(), c.await(Duration.ZERO).mask());
        assertEquals(1, machine.rtc().firedCount());
        final List<RtcCall> programs = machine.rtc().calls(SimulatedRtc.Op.PROGRAM);
        final RtcCall last = programs.get(programs.size() - 1);
        assertEquals(0, last.argument().nanos(), "the RTC is programmed on whole seconds: " + last);
    }

    @Test
    void aWindowWithNoWholeSecondWakesOnTheNextOneAsAnExactAlarmDoes() throws Exception {
        final long bt0 = rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos();
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 10.2), secs(0.5));
        machine.suspend(Duration.ofHours(1));
        assertEquals(11 * SEC, rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos() - bt0);
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), rw.await(Duration.ZERO).mask());
    }

    @Test
    void aWindowEndingBeforeTheNextWholeSecondIsNotDraggedPastItsEndByAnEarlierExactAlarm() throws Exception {
        final AlarmHandle other = device.createInstance().open(OpenMode.READ_WRITE);
        final long bt0 = rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos();
        other.set(ELAPSED_REALTIME_WAKEUP, in(other, ELAPSED_REALTIME_WAKEUP, 10.2)); // exact: wakes at 11 s
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 9.5), secs(1.1)); // [9.5, 10.6] holds 10 s
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, machine.suspend(Duration.ofHours(1)).result());
        assertEquals(10 * SEC, rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos() - bt0, "woken inside the window");
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), rw.await(Duration.ZERO).mask());
        assertEquals(AlarmEvents.NONE, other.await(Duration.ZERO), "the exact alarm is not due yet");
        rw.await(Duration.ZERO); // acknowledge, so that the machine may suspend again
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, machine.suspend(Duration.ofHours(1)).result());
        assertEquals(11 * SEC, rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos() - bt0);
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), other.await(Duration.ZERO).mask());
    }

    @Test
    void aWindowedCandidateArmedAfterTheDispatcherPlannedStillMovesTheWake() throws Exception {
        final AlarmHandle other = device.createInstance().open(OpenMode.READ_WRITE);
        final long bt0 = rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos();
        other.set(ELAPSED_REALTIME_WAKEUP, in(other, ELAPSED_REALTIME_WAKEUP, 10.2)); // exact: wakes at 11 s
        machine.awaitIdle(); // the dispatcher has planned the hardware alarm for 11 s
        // Not the head (ends at 10.6 s), but within one RTC step of it: the wake must move to 10 s.
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 9.5), secs(1.1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, machine.suspend(Duration.ofHours(1)).result());
        assertEquals(10 * SEC, rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos() - bt0, "woken inside the window");
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), rw.await(Duration.ZERO).mask());
    }

    @Test
    void anUnsharedChildKeepsItsParentsWindows() throws Exception {
        rw.set(RTC, in(rw, RTC, 10), secs(100));
        final AlarmHandle child = inst.unshare(dev.valarm.InstanceConfig.defaults(), true).open(OpenMode.READ_WRITE);
        final AlarmHandle other = device.createInstance().open(OpenMode.READ_WRITE);
        other.set(RTC, in(other, RTC, 50));
        advanceSeconds(49);
        assertEquals(AlarmEvents.NONE, child.await(Duration.ZERO), "the copy is not exact at its start");
        advanceSeconds(1);
        assertEquals(RTC.mask(), other.await(Duration.ZERO).mask());
        assertEquals(RTC.mask(), child.await(Duration.ZERO).mask(), "the child's copy rode along inside its window");
    }

    @Test
    void aRestoredWindowedAlarmKeepsItsWindow() throws Exception {
        rw.set(RTC, in(rw, RTC, 10), secs(100));
        final dev.valarm.InstanceSnapshot snap = inst.snapshot(); // format version 2 carries windows
        inst.close();
        final AlarmHandle back = device.restore(snap).open(OpenMode.READ_WRITE);
        advanceSeconds(9.999);
        assertEquals(AlarmEvents.NONE, back.await(Duration.ZERO), "never before the window's start");
        advanceSeconds(100.001);
        assertEquals(RTC.mask(), back.await(Duration.ZERO).mask(), "by the window's end at the latest");
    }

    @Test
    void exactAlarmsStillRoundTheirWakeUp() {
        final long bt0 = rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos();
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 10.2));
        machine.suspend(Duration.ofHours(1));
        assertEquals(11 * SEC, rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos() - bt0);
    }

    @Test
    void aWindowedHeadChangingOnlyItsStartReprogramsTheHardware() {
        final long bt0 = rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos();
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 10.5));
        machine.awaitIdle();
        // Same end (10.5 s) but now a window that holds 10 s: the wake moves down to 10 s.
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 9.5), secs(1));
        machine.suspend(Duration.ofHours(1));
        assertEquals(10 * SEC, rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos() - bt0);
    }
}
