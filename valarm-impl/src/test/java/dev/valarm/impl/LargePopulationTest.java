package dev.valarm.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.SplittableRandom;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The multiplexer with more armed alarms of one type than its timer structure keeps in heap mode (4096), so
 * the device's heap for that type runs on the hybrid queue's wheel: every alarm that stays armed fires
 * exactly once, exactly at its time (the simulated clock stops at each dispatcher deadline), in time
 * order; no cleared alarm fires; re-armed alarms fire at their last time only.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class LargePopulationTest {
    private static final int INSTANCES = 6000;
    private static final long SEC = 1_000_000_000L;

    /** One firing the listener saw. */
    private static final class Fired {
        final int minor;
        final long deadline;
        final long now;

        Fired(final int minor, final long deadline, final long now) {
            this.minor = minor;
            this.deadline = deadline;
            this.now = now;
        }
    }

    @ParameterizedTest
    @EnumSource(value = AlarmType.class, names = {"ELAPSED_REALTIME", "ELAPSED_REALTIME_WAKEUP", "RTC"})
    void everyAlarmOfALargePopulationFiresOnceAtItsTime(final AlarmType type) {
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        final List<Fired> fired = new ArrayList<>();
        final DeviceListener listener = new DeviceListener() {
            @Override
            public void alarmFired(final int minor, final AlarmType t, final long hostDeadlineNanos,
                    final long hostNowNanos) {
                synchronized (fired) {
                    fired.add(new Fired(minor, hostDeadlineNanos, hostNowNanos));
                }
            }
        };
        final ValarmDevice device = machine.newDevice(b -> b.listener(listener).maxInstances(INSTANCES));
        try {
            final SplittableRandom rnd = new SplittableRandom(type.ordinal() * 31L + 7);
            final AlarmHandle[] handles = new AlarmHandle[INSTANCES];
            final long[] expected = new long[INSTANCES]; // host deadline in ns, or -1 if cleared
            final int[] minorOf = new int[INSTANCES];
            final long start = machine.nanos(type == AlarmType.RTC ? ClockBase.REALTIME : ClockBase.BOOTTIME);
            for (int i = 0; i < INSTANCES; i++) {
                handles[i] = device.createInstance().open(OpenMode.READ_WRITE);
                minorOf[i] = handles[i].instance().minor();
                final long offset = handles[i].getTime(type).toNanos() - start; // instance clock - host clock
                final long at = start + SEC / 1000 + rnd.nextLong(60 * SEC);
                handles[i].set(type, Timespec.ofNanos(at + offset));
                expected[i] = at;
            }
            // Churn: re-arm a third (earlier or later), clear a tenth.
            for (int i = 0; i < INSTANCES; i++) {
                final long offset = handles[i].getTime(type).toNanos() - start;
                final int r = rnd.nextInt(30);
                if (r < 10) {
                    final long at = start + SEC / 1000 + rnd.nextLong(60 * SEC);
                    handles[i].set(type, Timespec.ofNanos(at + offset));
                    expected[i] = at;
                } else if (r < 13) {
                    handles[i].clear(type);
                    expected[i] = -1;
                }
            }
            machine.advance(Duration.ofSeconds(30));
            machine.advance(Duration.ofSeconds(35));
            final int[] count = new int[INSTANCES];
            int maxMinor = 0;
            for (int i = 0; i < INSTANCES; i++) {
                maxMinor = Math.max(maxMinor, minorOf[i]);
            }
            final int[] index = new int[maxMinor + 1];
            java.util.Arrays.fill(index, -1);
            for (int i = 0; i < INSTANCES; i++) {
                index[minorOf[i]] = i;
            }
            long last = Long.MIN_VALUE;
            synchronized (fired) {
                for (final Fired f : fired) {
                    final int i = index[f.minor];
                    assertTrue(i >= 0, "unknown minor " + f.minor);
                    count[i]++;
                    assertEquals(expected[i], f.deadline, "instance " + i + " fired for a time it was not set to");
                    assertEquals(f.deadline, f.now, "instance " + i + " not fired exactly at its time");
                    assertTrue(f.deadline >= last, "out of order at instance " + i);
                    last = f.deadline;
                }
            }
            int armed = 0;
            for (int i = 0; i < INSTANCES; i++) {
                assertEquals(expected[i] < 0 ? 0 : 1, count[i], "firings of instance " + i);
                armed += expected[i] < 0 ? 0 : 1;
            }
            assertTrue(armed > 4096, "the heap must have been in wheel mode: " + armed + " armed");
            assertEquals(0, device.stats().armedAlarms());
            for (final AlarmHandle h : handles) {
                h.instance().close();
            }
        } finally {
            device.close();
        }
    }
}
