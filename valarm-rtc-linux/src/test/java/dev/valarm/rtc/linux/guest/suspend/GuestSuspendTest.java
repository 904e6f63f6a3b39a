package dev.valarm.rtc.linux.guest.suspend;

import static dev.valarm.rtc.linux.guest.suspend.GuestClocks.secs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.valarm.AlarmType;
import dev.valarm.Errno;
import dev.valarm.Timespec;
import dev.valarm.rtc.linux.guest.InGuest;
import dev.valarm.rtc.linux.guest.RawRtc;
import dev.valarm.rtc.linux.internal.Native;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeAlarm;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real suspend-to-RAM (ACPI S3) in the qemu guest, for each wake backend of the Linux provider in turn:
 * the wakeup alarms valarm multiplexed onto the one RTC wake the machine, the others wait for it.
 *
 * <p>Every suspend is announced to the host's {@link dev.valarm.rtc.linux.qemu.SuspendWatcher}, which
 * sees qemu's SUSPEND and WAKEUP events and says whether the guest woke by itself or had to be woken (a
 * suspend that should end on an alarm is ended by the host after a bound, and the test fails). Times
 * in the host's terms come from its event timestamps and a clock sync around each suspend; the guest's
 * own clocks after a resume carry the kernel's injected sleep, which it reads from the 1 s CMOS clock.
 * The figures (wake error, time slept, lateness per alarm type) go to the output and to the figures
 * file the host test prints.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
final class GuestSuspendTest {

    private static final long S = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    /** When the non-wakeup alarms are due, after arming: during the first suspend. */
    private static final long NON_WAKEUP_DUE = 5 * S;
    /** The earliest wakeup alarm (instance A, RTC_WAKEUP): ends the first suspend. */
    private static final long FIRST_WAKE = 9 * S;
    /** Another instance's later wakeup alarm (B, ELAPSED_REALTIME_WAKEUP): ends the second suspend. */
    private static final long SECOND_WAKE = 19 * S;
    /** The third instance's wakeup alarm, far away (C, RTC_WAKEUP). */
    private static final long FAR_WAKE = 2 * 3600 * S;
    /** A wake at the alarm is within the RTC's 1 s resolution, plus this much of qemu and guest latency. */
    private static final long WAKE_SLACK = 300 * MS;
    /**
     * How long after the later of the guest's user space running again and the alarm's time (on the guest's
     * clock) an alarm that came due in a suspend may be delivered: valarm's own part, under TCG. A wakeup
     * alarm's lateness on its instance's clock adds the wake's error (the RTC's 1 s resolution), the step of the
     * guest's clock across the resume (the kernel injects the sleep it read from the 1 s CMOS clock) and the
     * kernel's resume of its devices before it thaws user space; those are measured against the host and
     * reported, none is valarm's.
     */
    private static final long RESUME_DELIVERY = 2 * S;
    /** rtc_cmos's furthest alarm. */
    private static final long DAY_WINDOW = 86_399 * S;
    /** A suspend that an alarm must end is ended by the host after this (and the test fails). */
    private static final Duration SELF_WAKE_MAX = Duration.ofSeconds(30);

    @BeforeEach
    void onlyInGuest() {
        InGuest.assumeGuest();
    }

    /** The first test's timeline must not pay for opening the control port and loading the device's classes. */
    @BeforeAll
    static void warmUp() {
        if (Boolean.getBoolean(InGuest.PROPERTY)) {
            HostControl.get().sync();
            try (SuspendRig rig = SuspendRig.open(SuspendRig.ALARM_TIMERFD)) {
                rig.tenant("warm-up", Duration.ZERO, Duration.ZERO).handle().getTime(AlarmType.RTC_WAKEUP);
            }
        }
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {SuspendRig.ALARM_TIMERFD, SuspendRig.RTC_DEVICE, SuspendRig.SYSFS_WAKEALARM})
    void theEarliestWakeupAlarmOfAllInstancesWakesTheMachineAndNonWakeupAlarmsWaitForIt(final String spec)
            throws InterruptedException {
        try (SuspendRig rig = SuspendRig.open(spec)) {
            final String be = rig.name();
            assertTrue(rig.device.rtcCapabilities().canWake(), be + " must be able to wake the guest");
            final SuspendRig.Tenant a = rig.tenant("A", Duration.ofDays(1).plusHours(3), Duration.ZERO);
            final SuspendRig.Tenant b = rig.tenant("B", Duration.ofDays(-400), Duration.ofHours(3));
            final SuspendRig.Tenant c = rig.tenant("C", Duration.ofHours(7).plusMinutes(13), Duration.ZERO);

            // Each instance: one wakeup and one non-wakeup alarm, on its own clocks.
            final int mark0 = rig.hw.last();
            final GuestClocks.Reading arm = GuestClocks.Reading.now();
            final long aWakeDue = at(a, AlarmType.RTC_WAKEUP, FIRST_WAKE);
            final long aRtcDue = at(a, AlarmType.RTC, NON_WAKEUP_DUE);
            final long bWakeDue = at(b, AlarmType.ELAPSED_REALTIME_WAKEUP, SECOND_WAKE);
            final long bElapsedDue = at(b, AlarmType.ELAPSED_REALTIME, NON_WAKEUP_DUE);
            final long cWakeDue = at(c, AlarmType.RTC_WAKEUP, FAR_WAKE);
            final long cSystemDue = at(c, AlarmType.SYSTEMTIME, NON_WAKEUP_DUE);
            // The same instants on the guest's own clocks (instance clock minus the instance's offset).
            final long aWakeGuestReal = aWakeDue - a.instance().wallClockOffset().toNanos();
            final long nonWakeupGuestReal = arm.real() + NON_WAKEUP_DUE;
            final long bWakeGuestBoot = bWakeDue - Duration.ofHours(3).toNanos();
            final long cSystemGuestMono = cSystemDue;

            // ---- first suspend: A's RTC_WAKEUP is the earliest wakeup alarm over all three instances. The
            // dispatcher programs the hardware asynchronously: suspend once it has.
            awaitProgrammed(rig, mark0, arm.boot() + FIRST_WAKE, "A's RTC_WAKEUP");
            final int mark1 = rig.hw.last();
            final HostControl.Ticket t1 = rig.host.expectSelfWake(SELF_WAKE_MAX);
            assertTrue(GuestClocks.real() < nonWakeupGuestReal - 1500 * MS, "the guest is too slow to suspend before "
                    + "its non-wakeup alarms are due; this test cannot tell anything");
            final SuspendRig.Suspended s1 = rig.suspend(t1);
            assertTrue(s1.done().wokeByItself(), be + ": the guest did not wake by itself on A's alarm; the host ended "
                    + "the suspend after " + SELF_WAKE_MAX.toSeconds() + " s (" + s1.done() + ")");
            assertTrue(s1.done().suspendedNs() < s1.hostBefore(nonWakeupGuestReal) - 500 * MS,
                    be + ": the suspend began too late to test the non-wakeup alarms");
            final long err1 = s1.done().wokenNs() - s1.hostBefore(aWakeGuestReal);
            assertTrue(Math.abs(err1) <= S + WAKE_SLACK, be + ": the machine woke " + secs(err1)
                    + " from A's RTC_WAKEUP alarm, beyond the RTC's 1 s resolution");

            final Waiter.Delivery aWake = a.waiter().await(AlarmType.RTC_WAKEUP, Duration.ofSeconds(10));
            assertNotNull(aWake, be + ": A's RTC_WAKEUP alarm was not delivered after the wake");
            final WakeupLateness aWakeLate = assertWakeupDelivered(be, "A's RTC_WAKEUP", s1, aWake,
                    AlarmType.RTC_WAKEUP, aWakeDue, aWakeGuestReal);

            // The non-wakeup alarms that came due during the suspend: delivered after the resume, not before.
            final Waiter.Delivery aRtc = a.waiter().await(AlarmType.RTC, Duration.ofSeconds(10));
            final Waiter.Delivery bElapsed = b.waiter().await(AlarmType.ELAPSED_REALTIME, Duration.ofSeconds(10));
            assertNotNull(aRtc, be + ": A's RTC (non-wakeup) alarm was not delivered after the resume");
            assertNotNull(bElapsed, be + ": B's ELAPSED_REALTIME alarm was not delivered after the resume");
            assertDeliveredRightAfterResume(be, "A's RTC", s1, aRtc);
            assertDeliveredRightAfterResume(be, "B's ELAPSED_REALTIME", s1, bElapsed);
            final long aRtcLate = aRtc.instanceClock(AlarmType.RTC) - aRtcDue;
            final long bElapsedLate = bElapsed.instanceClock(AlarmType.ELAPSED_REALTIME) - bElapsedDue;
            // SYSTEMTIME runs on MONOTONIC, which stopped: it is due once MONOTONIC gets there after the resume,
            // i.e. late by the time slept, while BOOTTIME (ELAPSED) counted the sleep.
            final Waiter.Delivery cSystem = c.waiter().await(AlarmType.SYSTEMTIME, Duration.ofSeconds(20));
            assertNotNull(cSystem, be + ": C's SYSTEMTIME alarm was not delivered");
            final long cMonoLate = cSystem.instanceClock(AlarmType.SYSTEMTIME) - cSystemDue;
            assertTrue(cMonoLate >= 0 && cMonoLate <= S, be + ": SYSTEMTIME delivered " + secs(cMonoLate)
                    + " from its time on MONOTONIC");
            final long monoLeftAtSuspend = cSystemGuestMono - s1.before().mono();
            final long cAfterWake = s1.hostAfter(cSystem.at().real()) - s1.done().wokenNs();
            assertTrue(cAfterWake >= monoLeftAtSuspend - 500 * MS, be + ": SYSTEMTIME delivered " + secs(cAfterWake)
                    + " after the wake, but MONOTONIC still had " + secs(monoLeftAtSuspend) + " to go");
            final long cBootLate = cSystem.at().boot() - (arm.boot() + NON_WAKEUP_DUE);
            assertTrue(cBootLate >= s1.injectedNs() - 200 * MS, be + ": SYSTEMTIME is only " + secs(cBootLate)
                    + " late on BOOTTIME, expected the time slept (" + secs(s1.injectedNs()) + ") or more");
            assertTrue(bElapsedLate < cBootLate - S, be + ": ELAPSED_REALTIME " + secs(bElapsedLate)
                    + " late, SYSTEMTIME " + secs(cBootLate) + ": the BOOTTIME alarm should not wait for MONOTONIC");
            assertFalse(c.waiter().delivered(AlarmType.RTC_WAKEUP), be + ": C's far RTC_WAKEUP alarm fired");
            assertFalse(b.waiter().delivered(AlarmType.ELAPSED_REALTIME_WAKEUP), be + ": B's wakeup fired early");

            // ---- second suspend: B's later ELAPSED_REALTIME_WAKEUP, another instance and clock base.
            awaitProgrammed(rig, mark1, bWakeGuestBoot, "B's ELAPSED_REALTIME_WAKEUP");
            final long left = bWakeGuestBoot - GuestClocks.boot();
            assertTrue(left > 3 * S, be + ": only " + secs(left) + " left before B's alarm: the guest is too slow");
            final HostControl.Ticket t2 = rig.host.expectSelfWake(SELF_WAKE_MAX);
            final SuspendRig.Suspended s2 = rig.suspend(t2);
            assertTrue(s2.done().wokeByItself(), be + ": the guest did not wake by itself on B's alarm (" + s2.done()
                    + ")");
            final long bWakeGuestReal = s2.before().real() + (bWakeGuestBoot - s2.before().boot());
            final long err2 = s2.done().wokenNs() - s2.hostBefore(bWakeGuestReal);
            assertTrue(Math.abs(err2) <= S + WAKE_SLACK, be + ": the machine woke " + secs(err2)
                    + " from B's ELAPSED_REALTIME_WAKEUP alarm");
            final Waiter.Delivery bWake = b.waiter().await(AlarmType.ELAPSED_REALTIME_WAKEUP, Duration.ofSeconds(10));
            assertNotNull(bWake, be + ": B's ELAPSED_REALTIME_WAKEUP alarm was not delivered");
            final WakeupLateness bWakeLate = assertWakeupDelivered(be, "B's ELAPSED_REALTIME_WAKEUP", s2, bWake,
                    AlarmType.ELAPSED_REALTIME_WAKEUP, bWakeDue, bWakeGuestReal);
            assertFalse(c.waiter().delivered(AlarmType.RTC_WAKEUP), be + ": C's far RTC_WAKEUP alarm fired");

            // The hardware now holds C's far alarm, the only wakeup alarm left.
            final long cLeft = cWakeDue - c.handle().getTime(AlarmType.RTC_WAKEUP).toNanos();
            assertTrue(GuestClocks.await(() -> Math.abs(armedAhead(rig) - cLeft) <= 3 * S, Duration.ofSeconds(10)),
                    be + ": the wake alarm is " + secs(armedAhead(rig)) + " ahead, expected C's, " + secs(cLeft));

            rig.host.figure(String.join("\t", "wake", be, "A RTC_WAKEUP (1st suspend)",
                    "slept " + secs(s1.done().sleptNs()), "kernel-injected " + secs(s1.injectedNs()),
                    "wake error " + secs(err1)));
            rig.host.figure(String.join("\t", "wake", be, "B ELAPSED_REALTIME_WAKEUP (2nd suspend)",
                    "slept " + secs(s2.done().sleptNs()), "kernel-injected " + secs(s2.injectedNs()),
                    "wake error " + secs(err2)));
            rig.host.figure(String.join("\t", "late", be, "RTC_WAKEUP " + aWakeLate,
                    "ELAPSED_REALTIME_WAKEUP " + bWakeLate, "RTC " + secs(aRtcLate),
                    "ELAPSED_REALTIME " + secs(bElapsedLate), "SYSTEMTIME " + secs(cMonoLate) + " on MONOTONIC, "
                            + secs(cBootLate) + " on BOOTTIME"));
        }
    }

    @Order(2)
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {SuspendRig.ALARM_TIMERFD, SuspendRig.RTC_DEVICE, SuspendRig.SYSFS_WAKEALARM})
    void withNoWakeupAlarmLeftTheMachineDoesNotWakeByItself(final String spec) throws InterruptedException {
        try (SuspendRig rig = SuspendRig.open(spec)) {
            final String be = rig.name();
            final SuspendRig.Tenant d = rig.tenant("D", Duration.ofHours(5), Duration.ZERO);
            final int mark = rig.hw.last();
            d.handle().set(AlarmType.RTC_WAKEUP, plus(d.handle().getTime(AlarmType.RTC_WAKEUP), 3600 * S));
            assertNotNull(rig.hw.await(mark, e -> e.kind() == HardwareLog.Kind.PROGRAMMED, Duration.ofSeconds(10)),
                    be + ": the wakeup alarm was never programmed");
            if (rig.programsTheRtc()) {
                assertEquals(1, SuspendRig.rtcAlarm()[0], be + ": the RTC alarm is not enabled after programming");
            }
            final int mark2 = rig.hw.last();
            d.handle().clear(AlarmType.RTC_WAKEUP);
            assertNotNull(rig.hw.await(mark2, e -> e.kind() == HardwareLog.Kind.CANCELLED, Duration.ofSeconds(10)),
                    be + ": clearing the last wakeup alarm did not cancel the hardware alarm");
            // What the driver holds: RTC_WKALM_RD and /proc/driver/rtc say no alarm (the alarm-clock backend
            // leaves the RTC to the kernel, which programs it at suspend only for a pending alarm timer).
            assertEquals(0, SuspendRig.rtcAlarm()[0], be + ": RTC_WKALM_RD still enabled");
            final String proc = SuspendRig.procDriverRtc();
            assertTrue(proc.contains("alarm_IRQ : no"), be + ": /proc/driver/rtc: " + proc);
            assertFalse(rig.rtc.readAlarm().enabled(), be + ": the backend still reports an alarm");
            // A non-wakeup alarm due during the suspend must not wake the machine either.
            final long due = at(d, AlarmType.ELAPSED_REALTIME, 2 * S);

            final Duration bound = Duration.ofSeconds(4);
            final HostControl.Ticket t = rig.host.expectNoWake(bound);
            final SuspendRig.Suspended s = rig.suspend(t);
            assertFalse(s.done().wokeByItself(), be + ": the machine woke by itself after "
                    + secs(s.done().sleptNs()) + " with no wakeup alarm armed");
            assertEquals("suspended", s.done().status(), be + ": qemu's status before the host's wakeup");
            assertTrue(s.done().sleptNs() >= bound.toNanos() - 100 * MS, be + ": slept only " + secs(s.done().sleptNs()));
            assertEquals(0, SuspendRig.rtcAlarm()[0], be + ": an RTC alarm appeared across the suspend");
            final Waiter.Delivery late = d.waiter().await(AlarmType.ELAPSED_REALTIME, Duration.ofSeconds(10));
            assertNotNull(late, be + ": the non-wakeup alarm was not delivered after the resume");
            assertDeliveredRightAfterResume(be, "D's ELAPSED_REALTIME", s, late);
            rig.host.figure(String.join("\t", "no-wake", be, "slept " + secs(s.done().sleptNs())
                    + " until the host's system_wakeup (bound " + bound.toSeconds() + " s)",
                    "user space ran " + secs(s.hostAfter(s.after().real()) - s.done().wokenNs()) + " after it",
                    "ELAPSED_REALTIME " + secs(late.instanceClock(AlarmType.ELAPSED_REALTIME) - due) + " late"));
        }
    }

    /**
     * Why the alarm-clock backend clamps too: this kernel (6.1, before alarm_offset_max) programs rtc_cmos at
     * suspend with whatever the earliest alarm timer asks and fails the whole suspend when that is beyond
     * 24 h - 1 s. Without any valarm device, so that the raw timer is the earliest.
     */
    @Order(3)
    @org.junit.jupiter.api.Test
    void thisKernelRefusesToSuspendWhileAnAlarmTimerIsBeyondTheRtcWindow() {
        final int raw = RawRtc.armedAlarmTimer(30 * 3600);
        try {
            HostControl.get().expectNoWake(Duration.ofSeconds(3)); // should it suspend after all: the host ends it
            final RtcException refused = assertThrows(RtcException.class,
                    () -> Native.get().writeSmallFile("/sys/power/state", "mem"),
                    "the kernel suspended with an alarm timer 30 h ahead");
            assertEquals(Errno.EINVAL, refused.errno(), refused.getMessage());
        } finally {
            RawRtc.closeFd(raw);
        }
        HostControl.get().figure(String.join("\t", "clamp", "kernel",
                "an alarm-clock timer 30 h ahead makes echo mem fail with EINVAL (rtc_cmos: up to 24 h - 1 s)"));
    }

    @Order(4)
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {SuspendRig.ALARM_TIMERFD, SuspendRig.RTC_DEVICE, SuspendRig.SYSFS_WAKEALARM})
    void aWakeupAlarmBeyondTheRtcWindowIsClampedAndRearmed(final String spec) throws InterruptedException {
        long movedRtc = 0;
        long movedReal = 0;
        try (SuspendRig rig = SuspendRig.open(spec)) {
            final String be = rig.name();
            final SuspendRig.Tenant e = rig.tenant("E", Duration.ofDays(2), Duration.ZERO);
            final int mark = rig.hw.last();
            final long due = at(e, AlarmType.RTC_WAKEUP, 30 * 3600 * S);
            assertNotNull(rig.hw.await(mark, x -> x.kind() == HardwareLog.Kind.PROGRAMMED && x.clamped(),
                    Duration.ofSeconds(10)), be + ": a 30 h wakeup alarm was not programmed clamped");
            final long ahead0 = armedAhead(rig);
            assertTrue(Math.abs(ahead0 - DAY_WINDOW) <= 2 * S, be + ": a 30 h alarm is armed " + secs(ahead0)
                    + " ahead, expected the 24 h - 1 s clamp");

            final String first;
            if (rig.programsTheRtc()) {
                // Bring the clamped RTC alarm 4 s close by moving the RTC alone: the suspend ends on it.
                final long[] alarm = SuspendRig.rtcAlarm();
                final long j = alarm[2] - SuspendRig.rtcNow() - 4;
                SuspendRig.moveRtc(j);
                movedRtc += j;
                final int m1 = rig.hw.last();
                final SuspendRig.Suspended s = rig.suspend(rig.host.expectSelfWake(SELF_WAKE_MAX));
                assertTrue(s.done().wokeByItself(), be + ": the clamped RTC alarm did not wake the machine (" + s.done()
                        + ")");
                assertTrue(s.done().sleptNs() <= 6 * S, be + ": slept " + secs(s.done().sleptNs())
                        + " on an alarm 4 s ahead");
                // Early wake: the alarm is not due; the device re-arms, clamped again.
                final HardwareLog.Entry re = rig.hw.await(m1, x -> x.kind() == HardwareLog.Kind.PROGRAMMED && x.clamped(),
                        Duration.ofSeconds(10));
                assertNotNull(re, be + ": after the early wake the device did not re-arm the clamped alarm");
                assertTrue(GuestClocks.await(() -> Math.abs(armedAhead(rig) - DAY_WINDOW) <= 2 * S, Duration.ofSeconds(10)),
                        () -> be + ": re-armed " + secs(armedAhead(rig)) + " ahead; RTC_WKALM_RD "
                                + java.util.Arrays.toString(SuspendRig.rtcAlarm()) + ", RTC " + SuspendRig.rtcNow()
                                + ", " + SuspendRig.procDriverRtc() + "; device decisions " + rig.hw.all());
                final long ahead1 = armedAhead(rig);
                first = "woke at the clamp after " + secs(s.done().sleptNs()) + ", re-armed " + secs(ahead1) + " ahead";
            } else {
                // The kernel programs the RTC at suspend from the earliest alarm timer: valarm's clamped one is
                // accepted (unclamped, this kernel refuses; see the previous test); a few seconds do not reach it.
                final int m1 = rig.hw.last();
                final Timespec armed = rig.hw.all().stream().filter(x -> x.kind() == HardwareLog.Kind.PROGRAMMED)
                        .reduce((x, y) -> y).orElseThrow().rtcTime();
                final SuspendRig.Suspended s = rig.suspend(rig.host.expectNoWake(Duration.ofSeconds(3)));
                assertFalse(s.done().wokeByItself(), be + ": woke by itself with the only alarm 24 h away");
                // The resume is a host clock change: the device reads its clocks again and leaves the clamped
                // alarm as it is, still ahead and not after a new clamp (it wakes early, and is re-armed then).
                assertNotNull(rig.hw.await(m1, x -> x.kind() == HardwareLog.Kind.UNCHANGED && armed.equals(x.rtcTime()),
                        Duration.ofSeconds(10)), be + ": after the resume the device did not look at the clamped alarm"
                        + " again (armed at " + armed + "): " + rig.hw.all());
                assertTrue(rig.hw.all().stream().noneMatch(x -> x.seq() > m1 && x.kind() == HardwareLog.Kind.PROGRAMMED),
                        () -> be + ": the clamped alarm still served but was written again: " + rig.hw.all());
                final long moved = rig.rtc.readAlarm().time().toNanos() - armed.toNanos();
                assertTrue(Math.abs(moved) < S, () -> be + ": the armed alarm moved by " + secs(moved));
                final long ahead1 = armedAhead(rig);
                first = "suspended with the clamped timer (the host ended it), left armed " + secs(ahead1) + " ahead";
            }
            assertFalse(e.waiter().delivered(AlarmType.RTC_WAKEUP), be + ": the 30 h alarm fired a day early");

            // Move the RTC and then the host clock forward until the alarm is 5 s away: re-armed unclamped. (The
            // RTC first: the device re-programs when it sees the host clock change, relative to the RTC's clock;
            // an RTC moved after that would leave the programmed alarm in its past, and the kernel drops it.)
            final long left = due - e.handle().getTime(AlarmType.RTC_WAKEUP).toNanos();
            final long jump = left - 5 * S;
            SuspendRig.moveRtc(jump / S);
            movedRtc += jump / S;
            final int m2 = rig.hw.last();
            RawRtc.clockSet(RawRtc.CLOCK_REALTIME, GuestClocks.real() + jump);
            movedReal += jump;
            assertNotNull(rig.hw.await(m2, x -> x.kind() == HardwareLog.Kind.PROGRAMMED && !x.clamped()
                    && x.remainingNanos() < 10 * S, Duration.ofSeconds(10)),
                    be + ": after the clock moved the alarm was not re-armed for its last seconds: " + rig.hw.all());
            final SuspendRig.Suspended s = rig.suspend(rig.host.expectSelfWake(SELF_WAKE_MAX));
            assertTrue(s.done().wokeByItself(), be + ": the re-armed alarm did not wake the machine (" + s.done() + ")");
            final long dueGuestReal = due - e.instance().wallClockOffset().toNanos();
            // The RTC moved by whole seconds, the host clock by the exact jump: up to 1 s more between them.
            final long err = s.done().wokenNs() - s.hostBefore(dueGuestReal);
            assertTrue(Math.abs(err) <= 2 * S + WAKE_SLACK, be + ": the machine woke " + secs(err)
                    + " from the re-armed alarm, beyond the RTC's 1 s resolution and the RTC's sub-second move");
            final Waiter.Delivery d = e.waiter().await(AlarmType.RTC_WAKEUP, Duration.ofSeconds(10));
            assertNotNull(d, be + ": the 30 h alarm was not delivered");
            final WakeupLateness late = assertWakeupDelivered(be, "E's RTC_WAKEUP", s, d, AlarmType.RTC_WAKEUP, due,
                    dueGuestReal);
            rig.host.figure(String.join("\t", "clamp", be, "30 h alarm armed " + secs(ahead0) + " ahead", first,
                    "then clocks moved forward: woke after " + secs(s.done().sleptNs()) + ", delivered " + late));
        } finally {
            if (movedReal != 0) {
                RawRtc.clockSet(RawRtc.CLOCK_REALTIME, GuestClocks.real() - movedReal);
            }
            if (movedRtc != 0) {
                SuspendRig.moveRtc(-movedRtc);
            }
        }
    }

    /**
     * Waits until the device programmed the wake alarm (after log position {@code mark}) for the wakeup alarm
     * due at guest BOOTTIME {@code dueBoot}.
     */
    private static void awaitProgrammed(final SuspendRig rig, final int mark, final long dueBoot, final String what)
            throws InterruptedException {
        final HardwareLog.Entry e = rig.hw.await(mark, x -> x.kind() == HardwareLog.Kind.PROGRAMMED
                && Math.abs(x.boot() + x.remainingNanos() - dueBoot) <= 1500 * MS, Duration.ofSeconds(10));
        assertNotNull(e, rig.name() + ": the wake alarm was not programmed for " + what + " within 10 s: "
                + rig.hw.all());
    }

    /** Sets {@code type} on the tenant {@code in} nanoseconds ahead of its own clock; returns the due time. */
    private static long at(final SuspendRig.Tenant t, final AlarmType type, final long in) {
        final Timespec due = plus(t.handle().getTime(type), in);
        t.handle().set(type, due);
        return due.toNanos();
    }

    private static Timespec plus(final Timespec t, final long nanos) {
        return Timespec.ofNanos(t.toNanos() + nanos);
    }

    /** How far ahead of the RTC's (or, for the alarm-clock backend, the host's) clock the wake alarm is armed. */
    private static long armedAhead(final SuspendRig rig) {
        if (rig.programsTheRtc()) {
            final long[] alarm = SuspendRig.rtcAlarm();
            return alarm[0] == 0 ? Long.MIN_VALUE : (alarm[2] - SuspendRig.rtcNow()) * S;
        }
        final WakeAlarm w = rig.rtc.readAlarm();
        return w.enabled() ? w.time().toNanos() - GuestClocks.real() : Long.MIN_VALUE;
    }

    /**
     * A delivery after the resume (never while the machine slept), at most {@link #RESUME_DELIVERY} after the
     * guest's user space ran again (the suspending thread's return from {@code echo mem}).
     */
    private static void assertDeliveredRightAfterResume(final String be, final String what,
            final SuspendRig.Suspended s, final Waiter.Delivery d) {
        final long afterWake = s.hostAfter(d.at().real()) - s.done().wokenNs();
        final long thaw = s.hostAfter(s.after().real()) - s.done().wokenNs();
        final long afterThaw = d.at().real() - s.after().real();
        final String parts = " (the guest's user space ran " + secs(thaw) + " after qemu's WAKEUP, the delivery "
                + secs(afterThaw) + " after that)";
        assertTrue(afterWake >= -100 * MS - s.afterSync().uncertainty(), be + ": " + what + " delivered "
                + secs(-afterWake) + " before the machine woke" + parts);
        assertTrue(afterThaw <= RESUME_DELIVERY, be + ": " + what + " delivered only " + secs(afterWake)
                + " after the wake" + parts);
        assertTrue(d.at().mono() >= s.before().mono(), be + ": " + what + " delivered before the suspend");
    }

    /**
     * A wakeup alarm's lateness on its instance's clock and its parts, all on the guest's clock after the resume.
     *
     * @param late on the instance's clock, from its time to the delivery
     * @param wake when the machine woke (qemu's WAKEUP), from the alarm's time
     * @param step how far the guest's clock fell behind the host's across the suspend (the kernel's injected
     *        sleep, from the 1 s CMOS clock, short of the time slept)
     * @param thaw from the wake to the guest's user space running again
     * @param delivery from the later of the user space running again and the alarm's time to the delivery
     */
    private record WakeupLateness(long late, long wake, long step, long thaw, long delivery) {
        @Override
        public String toString() {
            return secs(late) + " late: woke " + secs(wake) + " from its time on the guest's clock (" + secs(wake + step)
                    + " in the host's terms; the guest's clock stepped " + secs(-step) + " against the host's across"
                    + " the resume), user space ran " + secs(thaw) + " after the wake, the delivery " + secs(delivery)
                    + " after the later of that and its time";
        }
    }

    /**
     * A wakeup alarm's delivery after a suspend it ended: never before its time on its instance's clock, never
     * before the suspend or the wake, and at most {@link #RESUME_DELIVERY} after the later of the guest's user
     * space running again and its time (on the guest's clock after the resume). Its time is {@code dueInstance}
     * on the instance's clock of {@code type} and {@code dueGuestReal} on the guest's REALTIME.
     */
    private static WakeupLateness assertWakeupDelivered(final String be, final String what,
            final SuspendRig.Suspended s, final Waiter.Delivery d, final AlarmType type, final long dueInstance,
            final long dueGuestReal) {
        if (d.at().mono() < s.before().mono()) {
            fail(be + ": " + what + " was delivered before the suspend");
        }
        final long step = s.afterSync().hostMinusGuest() - s.ticket().sync().hostMinusGuest();
        final long wokeGuest = s.done().wokenNs() - s.afterSync().hostMinusGuest();
        final WakeupLateness l = new WakeupLateness(d.instanceClock(type) - dueInstance, wokeGuest - dueGuestReal, step,
                s.after().real() - wokeGuest, d.at().real() - Math.max(s.after().real(), dueGuestReal));
        assertTrue(l.late() >= 0, be + ": " + what + " delivered early on its instance's clock: " + l);
        final long uncertainty = s.afterSync().uncertainty() + s.ticket().sync().uncertainty();
        assertTrue(d.at().real() - wokeGuest >= -100 * MS - uncertainty, be + ": " + what
                + " delivered before the machine woke: " + l);
        assertTrue(l.delivery() <= RESUME_DELIVERY, be + ": " + what + " delivered too long after the resume: " + l);
        return l;
    }
}
