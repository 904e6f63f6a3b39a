package dev.valarm.impl;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC;
import static dev.valarm.AlarmType.RTC_WAKEUP;
import static dev.valarm.AlarmType.SYSTEMTIME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.sim.RtcCall;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SimulatedRtc.Op;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The multiplexer: how all instances' wakeup alarms reach the one hardware wake alarm. */
class MultiplexerTest extends SimFixture {

    private List<RtcCall> programs() {
        return machine.rtc().calls(Op.PROGRAM);
    }

    private long rtcNowSeconds() {
        return machine.rtc().readTime().seconds();
    }

    private AlarmHandle newOwner() {
        final AlarmHandle h = device.createInstance().open(OpenMode.READ_WRITE);
        h.clear(RTC);
        return h;
    }

    @Test
    void theEarliestWakeupDeadlineOverAllInstancesIsProgrammedRoundedUpToTheResolution() {
        final long rtcSec = rtcNowSeconds();
        final AlarmHandle a = newOwner();
        final AlarmHandle b = newOwner();
        final AlarmHandle c = newOwner();
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 30.2));
        b.set(ELAPSED_REALTIME_WAKEUP, in(b, ELAPSED_REALTIME_WAKEUP, 10.5));
        c.set(RTC_WAKEUP, in(c, RTC_WAKEUP, 20));
        machine.awaitIdle();
        final RtcCall last = programs().get(programs().size() - 1);
        assertEquals(Timespec.ofSeconds(rtcSec + 11), last.argument(), "10.5 s rounds up to the next second");
        assertEquals(Timespec.ofSeconds(rtcSec + 11), machine.rtc().alarm().time());
    }

    @Test
    void nonWakeupAlarmsNeverTouchTheHardware() {
        rw.set(RTC, in(rw, RTC, 5));
        rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 5));
        rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 5));
        advanceSeconds(10);
        assertEquals(List.of(), programs());
        assertEquals(3, device.stats().alarmsFired());
    }

    @Test
    void noHardwareWriteWhenTheProgrammedSecondDoesNotChange() {
        final AlarmHandle a = newOwner();
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 10.2));
        machine.awaitIdle();
        assertEquals(1, programs().size());
        // Later alarms on other instances, and an earlier one within the same second: no write.
        for (int i = 0; i < 50; i++) {
            final AlarmHandle h = newOwner();
            h.set(ELAPSED_REALTIME_WAKEUP, in(h, ELAPSED_REALTIME_WAKEUP, 20 + i));
        }
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 10.1));
        machine.awaitIdle();
        assertEquals(1, programs().size(), programs().toString());
        assertEquals(1, device.stats().hardwareWrites());
        // An earlier second is a change.
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 5));
        machine.awaitIdle();
        assertEquals(2, programs().size());
    }

    @Test
    void theAlarmMovesToTheNextWakeupDeadlineAfterTheEarliestFires() {
        final long rtcSec = rtcNowSeconds();
        final AlarmHandle a = newOwner();
        final AlarmHandle b = newOwner();
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 5));
        b.set(ELAPSED_REALTIME_WAKEUP, in(b, ELAPSED_REALTIME_WAKEUP, 60));
        advanceSeconds(5);
        assertEquals(Timespec.ofSeconds(rtcSec + 60), machine.rtc().alarm().time());
    }

    @Test
    void theHardwareAlarmIsCancelledWhenNoWakeupAlarmIsLeft() throws Exception {
        rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 100));
        machine.awaitIdle();
        assertTrue(machine.rtc().alarm().enabled());
        rw.clear(RTC_WAKEUP);
        machine.awaitIdle();
        assertFalse(machine.rtc().alarm().enabled());
        assertEquals(1, machine.rtc().calls(Op.CANCEL).size());
        assertEquals(1, device.stats().hardwareCancels());
    }

    @Test
    void aDeadlineBeyondTheFurthestAlarmIsClampedAndReArmedAfterTheEarlyWake() throws Exception {
        final long rtcSec = rtcNowSeconds();
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 2.5 * 86400));
        machine.awaitIdle();
        final long max = 86400 - 1;
        assertEquals(Timespec.ofSeconds(rtcSec + max), machine.rtc().alarm().time(), "clamped to 24 h - 1 s");
        final SuspendOutcome first = machine.suspend(Duration.ofDays(10));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, first.result());
        assertEquals(Duration.ofSeconds(max), first.slept());
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO), "the early wake fires nothing");
        assertEquals(Timespec.ofSeconds(rtcSec + 2 * max), machine.rtc().alarm().time(), "re-armed, clamped again");
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, machine.suspend(Duration.ofDays(10)).result());
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO), "the second early wake fires nothing either");
        final SuspendOutcome last = machine.suspend(Duration.ofDays(10));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, last.result());
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), rw.await(Duration.ZERO).mask());
        assertEquals(2.5 * 86400 - 2 * max, last.slept().toSeconds(), 1.0);
        assertEquals(3, device.stats().hardwareWakes());
    }

    /**
     * A host that steps its clock several times a second (a virtual machine's clock keeping): after each step the
     * device reads the RTC again, and once moved the clamped alarm on to the new "now + furthest" each time, a
     * write per step that also put the early wake off for as long as the steps went on. The clamped alarm stays
     * while it is still ahead and not after what would be written.
     */
    @Test
    void aClampedAlarmStaysArmedWhileTheHostClockIsStepped() throws Exception {
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 2.5 * 86400));
        machine.awaitIdle();
        final Timespec armed = machine.rtc().alarm().time();
        for (int i = 0; i < 40; i++) {
            machine.advance(Duration.ofMillis(137));
            machine.jumpRealtime(Duration.ofNanos(3_000));
            machine.awaitIdle();
        }
        assertEquals(1, programs().size(), "no write per host clock step: " + programs());
        assertEquals(armed, machine.rtc().alarm().time());
        assertEquals(40, device.stats().clockChanges());
        final SuspendOutcome early = machine.suspend(Duration.ofDays(10));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, early.result(), "the early wake still comes");
        assertEquals(2, programs().size(), "re-armed after it");
    }

    /**
     * The guest's clamp flake (QemuSuspendTest, sysfs-wakealarm), deterministically: the RTC is moved past the
     * clamped wake alarm behind the device's back (RTC_SET_TIME, hwclock), then the host clock changes (on
     * Linux every resume reports one too). The device re-arms from the RTC's new time, and the backend reports
     * the replaced alarm, whose time had come, right after writing the new one (as RtcAlarmWatch does). That
     * report must not consume the alarm just written: once it did, the device wrote the same alarm a second
     * time, and the sysfs backend's disable-then-write left the machine without any wake alarm in between.
     */
    @Test
    void aReportOfTheReplacedAlarmDoesNotConsumeTheAlarmJustWritten() throws Exception {
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 30 * 3600));
        machine.awaitIdle();
        final long p0 = machine.rtc().alarm().time().seconds();
        machine.rtc().setDrift(machine.rtc().drift().plusSeconds(p0 - rtcNowSeconds() + 1)); // 1 s past it
        machine.rtc().clearCalls();
        machine.jumpRealtime(Duration.ofSeconds(1));
        assertEquals(1, programs().size(), "one programming, not two: " + machine.rtc().calls());
        assertEquals(Timespec.ofSeconds(rtcNowSeconds() + 86400 - 1), machine.rtc().alarm().time(),
                "re-armed from the RTC's new time, clamped");
        assertEquals(1, device.stats().hardwareWakes(), "the replaced alarm's report was seen");
        assertEquals(0, device.stats().missedWakeInterrupts());
        assertEquals(0, rw.await(Duration.ZERO).mask() & ELAPSED_REALTIME_WAKEUP.mask(), "the early wake fires nothing");
        final SuspendOutcome o = machine.suspend(Duration.ofDays(2));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result(), "the alarm written stays armed");
        assertEquals(Duration.ofSeconds(86400 - 1), o.slept());
    }

    /** The other way round: the RTC moved forward behind the device's back, so the armed alarm came early. */
    @Test
    void aWakeAlarmThatCameEarlyBecauseTheRtcWasMovedIsConsumedAndReArmed() throws Exception {
        rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 30 * 3600));
        machine.awaitIdle();
        final long p0 = machine.rtc().alarm().time().seconds();
        machine.rtc().setDrift(machine.rtc().drift().plusSeconds(p0 - rtcNowSeconds() - 4)); // 4 s before it
        machine.rtc().clearCalls();
        final SuspendOutcome o = machine.suspend(Duration.ofDays(2));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result());
        assertEquals(Duration.ofSeconds(4), o.slept(), "woke at the alarm on the RTC's clock");
        assertEquals(1, programs().size(), "re-armed once: " + machine.rtc().calls());
        assertEquals(Timespec.ofSeconds(rtcNowSeconds() + 86400 - 1), machine.rtc().alarm().time());
        assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO), "the early wake fires nothing");
    }

    @Test
    void aWakeupAlarmEndsASuspendWithinTheResolutionAndNonWakeupAlarmsFireOnResume() throws Exception {
        final long mono = host(ClockBase.MONOTONIC);
        rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 60));
        rw.set(RTC, in(rw, RTC, 120));
        rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 30));
        final AlarmHandle other = newOwner();
        other.set(RTC_WAKEUP, in(other, RTC_WAKEUP, 600.3));
        final SuspendOutcome out = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, out.result());
        assertTrue(out.slept().compareTo(Duration.ofMillis(600_300)) >= 0);
        assertTrue(out.slept().compareTo(Duration.ofMillis(601_300)) <= 0, out.toString());
        assertEquals(mono, host(ClockBase.MONOTONIC), "MONOTONIC stood still");
        assertEquals(RTC_WAKEUP.mask(), other.await(Duration.ZERO).mask());
        assertEquals(ELAPSED_REALTIME.mask() | RTC.mask(), rw.await(Duration.ZERO).mask(),
                "the non-wakeup alarms that came due while asleep fire on resume; SYSTEMTIME did not move");
        advanceSeconds(30);
        assertEquals(SYSTEMTIME.mask(), rw.await(Duration.ZERO).mask());
    }

    @Test
    void withOnlyNonWakeupAlarmsASuspendRunsToItsLimit() {
        rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 60));
        final SuspendOutcome out = machine.suspend(Duration.ofHours(2));
        assertEquals(SuspendOutcome.Result.LIMIT_REACHED, out.result());
        assertEquals(Duration.ofHours(2), out.slept());
    }

    @Test
    void aHeldSuspendBlockerRefusesTheSuspend() {
        rw.set(RTC, in(rw, RTC, 1));
        advanceSeconds(1);
        final SuspendOutcome out = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.REFUSED, out.result());
        assertEquals(java.util.Set.of("valarm[" + inst.minor() + "]"), out.blockers());
    }

    @Test
    void hostClockJumpsKeepTheHardwareAlarmOnTheEarliestWakeup() throws Exception {
        rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 7200));
        final AlarmHandle other = newOwner();
        other.set(ELAPSED_REALTIME_WAKEUP, in(other, ELAPSED_REALTIME_WAKEUP, 3600));
        machine.awaitIdle();
        final long rtcSec = rtcNowSeconds();
        assertEquals(Timespec.ofSeconds(rtcSec + 3600), machine.rtc().alarm().time());
        // Host clock forward by 1.5 h: the RTC_WAKEUP alarm is now 30 min away and the earliest.
        machine.jumpRealtime(Duration.ofMinutes(90));
        assertEquals(AlarmEvents.TIME_CHANGE_MASK, rw.await(Duration.ZERO).mask());
        assertEquals(Timespec.ofSeconds(rtcNowSeconds() + 1800), machine.rtc().alarm().time());
        // And back by 3 h: the ELAPSED one is the earliest again.
        machine.jumpRealtime(Duration.ofMinutes(-180));
        assertEquals(Timespec.ofSeconds(rtcNowSeconds() + 3600), machine.rtc().alarm().time());
    }

    @Test
    void instanceWallClockOffsetsAreHonoured() throws Exception {
        final AlarmHandle future = device.createInstance(InstanceConfig.builder()
                .wallClockOffset(Duration.ofDays(3650)).build()).open(OpenMode.READ_WRITE);
        final AlarmHandle past = device.createInstance().open(OpenMode.READ_WRITE);
        past.setRtc(Timespec.ofSeconds(946_684_800L)); // 2000-01-01
        future.set(RTC_WAKEUP, in(future, RTC_WAKEUP, 20));
        past.set(RTC_WAKEUP, in(past, RTC_WAKEUP, 10));
        assertEquals(AlarmEvents.TIME_CHANGE_MASK, past.await(Duration.ZERO).mask());
        machine.awaitIdle();
        assertEquals(Timespec.ofSeconds(rtcNowSeconds() + 10), machine.rtc().alarm().time());
        advanceSeconds(10);
        assertEquals(RTC_WAKEUP.mask(), past.await(Duration.ZERO).mask());
        assertEquals(AlarmEvents.NONE, future.await(Duration.ZERO));
        advanceSeconds(10);
        assertEquals(RTC_WAKEUP.mask(), future.await(Duration.ZERO).mask());
    }

    @Test
    void theWakeTimeIsRelativeToTheRtcsOwnClockWhenItDrifts() {
        machine.rtc().setDrift(Duration.ofSeconds(-42));
        rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 100));
        machine.awaitIdle();
        final long hostSec = Math.floorDiv(host(ClockBase.REALTIME), SEC);
        assertEquals(Timespec.ofSeconds(hostSec - 42 + 100), machine.rtc().alarm().time());
        final SuspendOutcome out = machine.suspend(Duration.ofHours(1));
        assertEquals(Duration.ofSeconds(100), out.slept());
    }

    @Test
    void aProgrammingFailureIsRetriedAndTheAlarmStillFiresWhileAwake() throws Exception {
        machine.rtc().failNext(Op.PROGRAM, 3, Errno.EIO);
        rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 60));
        machine.awaitIdle();
        assertFalse(machine.rtc().alarm().enabled());
        advanceSeconds(2); // backoff 100 ms, 200 ms, 400 ms: all three failures used up, then written
        assertTrue(machine.rtc().alarm().enabled());
        assertEquals(3, device.stats().backendFaults());
        assertEquals(3, device.stats().backendRetries());
        advanceSeconds(58);
        assertEquals(RTC_WAKEUP.mask(), rw.await(Duration.ZERO).mask());
    }

    @Test
    void aReadFailureIsRetriedToo() {
        machine.rtc().failNext(Op.READ_TIME, 1, Errno.EBUSY);
        rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 60));
        machine.awaitIdle();
        assertFalse(machine.rtc().alarm().enabled());
        advanceSeconds(1);
        assertTrue(machine.rtc().alarm().enabled());
    }

    @Test
    void aLostInterruptIsCaughtByTheClocks() throws Exception {
        machine.rtc().loseNextInterrupts(1);
        rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 10));
        advanceSeconds(10);
        assertEquals(RTC_WAKEUP.mask(), rw.await(Duration.ZERO).mask(), "fired by the host timer while awake");
    }

    @Test
    void closingTheDeviceCancelsTheHardwareAlarm() {
        rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 100));
        machine.awaitIdle();
        device.close();
        assertFalse(machine.rtc().alarm().enabled());
        assertTrue(device.isClosed());
    }

    @Test
    void aFurthestAlarmThatShrinksIsHonouredAtTheNextProgramming() {
        rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 20 * 3600));
        machine.awaitIdle();
        assertEquals(Timespec.ofSeconds(rtcNowSeconds() + 20 * 3600), machine.rtc().alarm().time());
        machine.rtc().setMaxAlarmAhead(Duration.ofHours(1)); // the backend learned the chip's real limit
        rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 10 * 3600));
        machine.awaitIdle();
        assertEquals(Timespec.ofSeconds(rtcNowSeconds() + 3600), machine.rtc().alarm().time());
        assertEquals(0, device.stats().backendFaults(), "clamped to the new limit, never rejected");
    }

    @Test
    void aBackendThatCannotWakeIsNeverProgrammedButDecisionsAreReported() throws Exception {
        // 1 ns resolution, like the alarm timerfds: the (unwritten) wake target is the deadline itself.
        final SimulatedMachine m = SimulatedMachine.builder().rtcCanWake(false).rtcResolution(Duration.ofNanos(1))
                .build();
        final List<String> decisions = new ArrayList<>();
        try (ValarmDevice d = m.newDevice(b -> b.listener(new DeviceListener() {
            @Override
            public void hardwareProgrammed(final Timespec t, final boolean clamped, final long rem, final boolean written) {
                synchronized (decisions) {
                    decisions.add("program " + written);
                }
            }
        }))) {
            final AlarmHandle h = d.createInstance().open(OpenMode.READ_WRITE);
            final AlarmHandle later = d.createInstance().open(OpenMode.READ_WRITE);
            h.set(RTC_WAKEUP, in(h, RTC_WAKEUP, 5));
            later.set(ELAPSED_REALTIME_WAKEUP, in(later, ELAPSED_REALTIME_WAKEUP, 60));
            m.advance(Duration.ofSeconds(5));
            assertEquals(RTC_WAKEUP.mask(), h.await(Duration.ZERO).mask());
            assertEquals(List.of(), m.rtc().calls());
            m.advance(Duration.ofSeconds(60)); // the next firing is when a missed interrupt would be counted
            assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), later.await(Duration.ZERO).mask());
            assertEquals(0, d.stats().missedWakeInterrupts(), "nothing written, so no interrupt is owed");
            synchronized (decisions) {
                assertEquals(List.of("program false", "program false"), decisions.subList(0, 2));
            }
        }
    }

    @Test
    void manyInstancesShareOneHardwareAlarm() throws Exception {
        final List<AlarmHandle> hs = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            final AlarmHandle h = newOwner();
            final dev.valarm.AlarmType type = i % 2 == 0 ? RTC_WAKEUP : ELAPSED_REALTIME_WAKEUP;
            h.set(type, in(h, type, 1000 - i));
            hs.add(h);
        }
        machine.awaitIdle();
        assertEquals(Timespec.ofSeconds(rtcNowSeconds() + 501), machine.rtc().alarm().time());
        int fired = 0;
        for (int s = 0; s < 10; s++) {
            final SuspendOutcome out = machine.suspend(Duration.ofHours(1));
            assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, out.result());
            for (final AlarmHandle h : hs) {
                final AlarmEvents ev = h.await(Duration.ZERO);
                if (!ev.isEmpty()) {
                    fired++;
                    h.await(Duration.ZERO); // acknowledge, releasing the blocker
                }
            }
        }
        assertEquals(10, fired, "each suspend ends at exactly the next second that has an alarm");
    }
}
