package dev.valarm.impl.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.sim.SimulatedMachine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hardware wake for windows against a brute-force oracle (issue 15, defect 9): random sets of exact and
 * windowed wakeup alarms on both wakeup types, a drifting RTC, many alarms per resolution step. The wake
 * programmed must be the earliest own wake time of any alarm: the latest whole second inside its window, or
 * the first one after its end when the window holds none.
 */
class WakeDecisionTest {
    private static final long SEC = 1_000_000_000L;

    @Test
    void theProgrammedWakeIsTheEarliestOwnWakeTimeOfAnyAlarm() {
        final Random rnd = new Random(15_9);
        for (int round = 0; round < 60; round++) {
            final SimulatedMachine machine = SimulatedMachine.builder().build();
            machine.rtc().setDrift(Duration.ofNanos(rnd.nextInt(2_000_000_000) - 1_000_000_000L));
            final ValarmDevice device = machine.newDevice();
            try {
                final List<AlarmHandle> handles = new ArrayList<>();
                final int n = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 300);
                for (int i = 0; i < n; i++) {
                    handles.add(device.createInstance().open(OpenMode.READ_WRITE));
                }
                // A cluster: ends within a few seconds of each other, windows of 0 to 3 s, sub-second phases.
                final long base = 20 * SEC + rnd.nextInt(1000) * 1_000_000L;
                for (int step = 0; step < 3; step++) {
                    for (final AlarmHandle h : handles) {
                        final AlarmType type = rnd.nextBoolean() ? AlarmType.RTC_WAKEUP : AlarmType.ELAPSED_REALTIME_WAKEUP;
                        if (rnd.nextInt(6) == 0) {
                            h.clear(AlarmType.RTC_WAKEUP);
                            h.clear(AlarmType.ELAPSED_REALTIME_WAKEUP);
                            continue;
                        }
                        final long start = h.getTime(type).toNanos() + base + (long) (rnd.nextDouble() * 3 * SEC);
                        final long window = rnd.nextInt(3) == 0 ? 0 : (long) (rnd.nextDouble() * rnd.nextInt(4) * SEC);
                        h.set(type, Timespec.ofNanos(start), Duration.ofNanos(window));
                    }
                    machine.awaitIdle();
                    assertEquals(oracle(machine, handles), machine.rtc().alarm().time(), "round " + round + " step " + step
                            + " n " + n);
                }
            } finally {
                device.close();
            }
        }
    }

    /** The earliest own wake time on the RTC's clock, by brute force over every armed wakeup alarm. */
    private static Timespec oracle(final SimulatedMachine machine, final List<AlarmHandle> handles) {
        final long rtcNow = machine.nanos(ClockBase.REALTIME) + machine.rtc().drift().toNanos();
        long best = Long.MAX_VALUE;
        for (final AlarmHandle h : handles) {
            final var snapshot = h.instance().snapshot();
            for (final AlarmType type : new AlarmType[] {AlarmType.RTC_WAKEUP, AlarmType.ELAPSED_REALTIME_WAKEUP}) {
                if (snapshot.alarm(type).isEmpty()) {
                    continue;
                }
                final long now = h.getTime(type).toNanos();
                final long start = snapshot.alarm(type).get().toNanos();
                final long end = start + snapshot.window(type).get().toNanos();
                final long s = rtcNow + Math.max(0, start - now);
                final long e = rtcNow + Math.max(0, end - now);
                final long down = Math.floorDiv(e, SEC) * SEC;
                final long own = down >= s ? down : Math.floorDiv(e + SEC - 1, SEC) * SEC;
                best = Math.min(best, own);
            }
        }
        return best == Long.MAX_VALUE ? Timespec.ZERO : Timespec.ofNanos(best);
    }
}
