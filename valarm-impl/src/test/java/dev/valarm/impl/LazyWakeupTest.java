package dev.valarm.impl;

import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC_WAKEUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.impl.sim.RtcCall;
import dev.valarm.impl.sim.SimulatedRtc.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A CLEAR, or a SET to a later time, of a wakeup alarm that is not its type's head changes nothing in the
 * heaps (as for a non-wakeup alarm, see {@code Device.alarmCleared}); the dispatcher makes the head exact
 * under its instance's lock before each hardware decision ({@code Device.validateWakeHeads}). None of that
 * may be visible: the hardware alarm is always the earliest armed wakeup deadline, a cleared alarm never
 * fires nor wakes the machine, and a head's own change reaches the hardware at once.
 */
class LazyWakeupTest extends SimFixture {

    private List<RtcCall> programs() {
        return machine.rtc().calls(Op.PROGRAM);
    }

    private long rtcNowSeconds() {
        return machine.rtc().readTime().seconds();
    }

    private AlarmHandle owner() {
        return device.createInstance().open(OpenMode.READ_WRITE);
    }

    private Timespec programmed() {
        return machine.rtc().alarm().time();
    }

    @Test
    void aClearedAlarmBehindTheHeadIsNeitherProgrammedNorFired() throws Exception {
        final long rtc = rtcNowSeconds();
        final AlarmHandle a = owner();
        final AlarmHandle b = owner();
        final AlarmHandle c = owner();
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 5));
        b.set(RTC_WAKEUP, in(b, RTC_WAKEUP, 10));
        c.set(ELAPSED_REALTIME_WAKEUP, in(c, ELAPSED_REALTIME_WAKEUP, 20));
        machine.awaitIdle();
        final int writes = programs().size();
        b.clear(RTC_WAKEUP);
        machine.awaitIdle();
        assertEquals(writes, programs().size(), "a CLEAR behind the head does not touch the hardware: " + programs());
        advanceSeconds(5);
        assertEquals(RTC_WAKEUP.mask(), a.await(Duration.ZERO).mask());
        assertEquals(Timespec.ofSeconds(rtc + 20), programmed(), "the next armed wakeup alarm, not the cleared one");
        advanceSeconds(10);
        assertEquals(AlarmEvents.NONE, b.await(Duration.ZERO), "the cleared alarm never fires");
        advanceSeconds(5);
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), c.await(Duration.ZERO).mask());
        for (final RtcCall p : programs()) {
            assertTrue(!p.argument().equals(Timespec.ofSeconds(rtc + 10)), "the cleared second was programmed: " + programs());
        }
        assertFalse(machine.rtc().alarm().enabled(), "nothing left to wake for");
    }

    @Test
    void aLaterSetBehindTheHeadIsProgrammedAtItsNewTimeOnly() throws Exception {
        final long rtc = rtcNowSeconds();
        final AlarmHandle a = owner();
        final AlarmHandle b = owner();
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 5));
        b.set(ELAPSED_REALTIME_WAKEUP, in(b, ELAPSED_REALTIME_WAKEUP, 10));
        machine.awaitIdle();
        b.set(ELAPSED_REALTIME_WAKEUP, in(b, ELAPSED_REALTIME_WAKEUP, 30)); // later, not the head: nothing queued
        machine.awaitIdle();
        assertEquals(List.of(Timespec.ofSeconds(rtc + 5)), arguments(), "only the head was ever written");
        advanceSeconds(5);
        assertEquals(RTC_WAKEUP.mask(), a.await(Duration.ZERO).mask());
        assertEquals(Timespec.ofSeconds(rtc + 30), programmed(), "the alarm's new time, not its old key");
        advanceSeconds(10);
        assertEquals(AlarmEvents.NONE, b.await(Duration.ZERO), "not at its old time");
        advanceSeconds(15);
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), b.await(Duration.ZERO).mask());
        assertEquals(List.of(Timespec.ofSeconds(rtc + 5), Timespec.ofSeconds(rtc + 30)), arguments());
    }

    @Test
    void theHeadsOwnClearOrLaterSetReachesTheHardwareAtOnce() {
        final long rtc = rtcNowSeconds();
        final AlarmHandle a = owner();
        final AlarmHandle b = owner();
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 5));
        b.set(RTC_WAKEUP, in(b, RTC_WAKEUP, 10));
        machine.awaitIdle();
        assertEquals(Timespec.ofSeconds(rtc + 5), programmed());
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 20));
        machine.awaitIdle();
        assertEquals(Timespec.ofSeconds(rtc + 10), programmed(), "the head moved later: the next one is programmed");
        b.clear(RTC_WAKEUP);
        machine.awaitIdle();
        assertEquals(Timespec.ofSeconds(rtc + 20), programmed(), "the head cleared: the next one is programmed");
        a.clear(RTC_WAKEUP);
        machine.awaitIdle();
        assertFalse(machine.rtc().alarm().enabled(), "the last one cleared: cancelled");
    }

    @Test
    void aClearedAlarmSetAgainEarlierBecomesTheHead() throws Exception {
        final long rtc = rtcNowSeconds();
        final AlarmHandle a = owner();
        final AlarmHandle b = owner();
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 5));
        b.set(RTC_WAKEUP, in(b, RTC_WAKEUP, 10));
        b.clear(RTC_WAKEUP);
        b.set(RTC_WAKEUP, in(b, RTC_WAKEUP, 2)); // the tombstone revived, earlier than everything
        machine.awaitIdle();
        assertEquals(Timespec.ofSeconds(rtc + 2), programmed());
        advanceSeconds(2);
        assertEquals(RTC_WAKEUP.mask(), b.await(Duration.ZERO).mask());
        assertEquals(Timespec.ofSeconds(rtc + 5), programmed());
    }

    @Test
    void aTombstoneThatBecomesTheHeadIsDropped() {
        final long rtc = rtcNowSeconds();
        final AlarmHandle a = owner();
        final AlarmHandle b = owner();
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 10));
        b.set(RTC_WAKEUP, in(b, RTC_WAKEUP, 20));
        machine.awaitIdle();
        b.clear(RTC_WAKEUP); // behind the head: a tombstone
        a.clear(RTC_WAKEUP); // the head: the tombstone behind it is the new head and must go too
        machine.awaitIdle();
        assertFalse(machine.rtc().alarm().enabled(), "no armed wakeup alarm: " + programs());
        b.set(RTC_WAKEUP, in(b, RTC_WAKEUP, 30));
        machine.awaitIdle();
        assertEquals(Timespec.ofSeconds(rtc + 30), programmed());
    }

    /**
     * Random SETs, CLEARs and closes of both wakeup types over many instances, with time moving: after every
     * step the hardware alarm is exactly the earliest armed wakeup deadline (rounded up to the RTC's second),
     * or none, and every alarm fires once, at its time, and no cleared one ever fires.
     */
    @Test
    void theHardwareAlwaysHoldsTheEarliestArmedWakeupDeadline() throws Exception {
        final SplittableRandom rnd = new SplittableRandom(0x1A2B);
        final int n = 40;
        final AlarmHandle[] h = new AlarmHandle[n];
        final long[][] deadline = new long[n][2]; // seconds on the RTC's clock, Long.MAX_VALUE when not armed
        final AlarmType[] types = {RTC_WAKEUP, ELAPSED_REALTIME_WAKEUP};
        for (int i = 0; i < n; i++) {
            h[i] = owner();
            deadline[i][0] = Long.MAX_VALUE;
            deadline[i][1] = Long.MAX_VALUE;
        }
        for (int step = 0; step < 3000; step++) {
            final int i = rnd.nextInt(n);
            final int k = rnd.nextInt(2);
            final int op = rnd.nextInt(10);
            if (op < 5) {
                final int ahead = 1 + rnd.nextInt(60);
                h[i].set(types[k], in(h[i], types[k], ahead));
                deadline[i][k] = rtcNowSeconds() + ahead;
            } else if (op < 9) {
                h[i].clear(types[k]);
                deadline[i][k] = Long.MAX_VALUE;
            } else {
                advanceSeconds(1 + rnd.nextInt(3));
                final long now = rtcNowSeconds();
                for (int j = 0; j < n; j++) {
                    final int mask = h[j].await(Duration.ZERO).mask() & ~AlarmEvents.TIME_CHANGE_MASK;
                    for (int t = 0; t < 2; t++) {
                        final boolean due = deadline[j][t] <= now;
                        assertEquals(due, (mask & types[t].mask()) != 0, "step " + step + ": instance " + j + " "
                                + types[t] + " due at " + deadline[j][t] + ", now " + now);
                        if (due) {
                            deadline[j][t] = Long.MAX_VALUE;
                        }
                    }
                }
            }
            machine.awaitIdle();
            long earliest = Long.MAX_VALUE;
            for (int j = 0; j < n; j++) {
                earliest = Math.min(earliest, Math.min(deadline[j][0], deadline[j][1]));
            }
            if (earliest == Long.MAX_VALUE) {
                assertFalse(machine.rtc().alarm().enabled(), "step " + step + ": nothing armed, yet " + programmed());
            } else {
                assertTrue(machine.rtc().alarm().enabled(), "step " + step + ": " + earliest + " armed, hardware off");
                assertEquals(Timespec.ofSeconds(earliest), programmed(), "step " + step);
            }
        }
    }

    private List<Timespec> arguments() {
        final List<Timespec> out = new ArrayList<>();
        for (final RtcCall p : programs()) {
            out.add(p.argument());
        }
        return out;
    }
}
