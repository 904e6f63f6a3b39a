package dev.valarm.impl.coalesce;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.InstanceConfig;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.DeviceListener;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A synthetic wakeup workload for measuring coalescing: many instances, each with a periodic
 * ELAPSED_REALTIME_WAKEUP stream and/or a random RTC_WAKEUP stream on its own wall clock, with mixed
 * tolerance windows. It runs on a {@link SimulatedMachine} that is suspended whenever nothing is due, so
 * every delivery needs a hardware wake, and it counts those wakes for exact delivery (every window
 * forced to 0) and for coalesced delivery, next to the offline optimum (greedy earliest-end stabbing
 * of all windows). Not thread-safe.
 *
 * <p>Every occurrence of every stream is drawn up front from the seed, and the next occurrence of a
 * stream never starts before the previous one's window ends, so both runs and the optimum see exactly
 * the same set of windows whatever the delivery times.
 */
public final class CoalescingWorkload {
    static final long SEC = 1_000_000_000L;

    /** One alarm stream: one (instance, type) with its occurrences on the common time axis. */
    static final class Stream {
        final int instance;
        final AlarmType type;
        final long[] start;
        final long[] window;

        Stream(final int instance, final AlarmType type, final long[] start, final long[] window) {
            this.instance = instance;
            this.type = type;
            this.start = start;
            this.window = window;
        }
    }

    /**
     * What one run measured.
     *
     * @param mode exact or coalesced
     * @param hardwareWakes suspends ended by the RTC alarm
     * @param emptyWakes of those, wakes that fired nothing
     * @param delivered alarms delivered
     * @param outsideWindow deliveries before the start or after the first whole second at or after the
     *        end (the RTC's resolution): must be 0
     * @param windowedPastEnd windowed alarms delivered after their end (but by that whole second)
     * @param maxLateNanos the largest delivery time minus window end
     * @param wallNanos how long the run took on the JVM's clock
     */
    public record Result(String mode, int hardwareWakes, int emptyWakes, long delivered, long outsideWindow,
            long windowedPastEnd, long maxLateNanos, long wallNanos) {
    }

    final String name;
    final String description;
    final int instances;
    final long horizon;
    final boolean wholeSeconds;
    final List<Stream> streams = new ArrayList<>();
    final long[] wallClockOffset;

    private CoalescingWorkload(final String name, final String description, final int instances,
            final Duration horizon, final boolean wholeSeconds) {
        this.name = name;
        this.description = description;
        this.instances = instances;
        this.horizon = horizon.toNanos();
        this.wholeSeconds = wholeSeconds;
        this.wallClockOffset = new long[instances];
    }

    /**
     * Builds a workload.
     *
     * @param name a short name
     * @param instances how many instances
     * @param horizon how long to simulate
     * @param periodic whether each instance has a periodic ELAPSED_REALTIME_WAKEUP stream
     * @param random whether each instance has a random RTC_WAKEUP stream
     * @param windowFractions the periodic windows as fractions of the period (drawn uniformly)
     * @param wholeSeconds whether times and windows are whole seconds (else nanosecond-random)
     * @param seed the random seed
     * @return the workload
     */
    public static CoalescingWorkload create(final String name, final int instances, final Duration horizon,
            final boolean periodic, final boolean random, final double[] windowFractions,
            final boolean wholeSeconds, final long seed) {
        final String desc = (periodic ? "periodic(30 s..1 h, window " + Arrays.toString(windowFractions) + " x period)" : "")
                + (periodic && random ? " + " : "")
                + (random ? "random(mean gap 10 min, window 0/10 s/1 min/5 min)" : "")
                + (wholeSeconds ? ", whole-second times" : ", nanosecond times");
        final CoalescingWorkload w = new CoalescingWorkload(name, desc, instances, horizon, wholeSeconds);
        final Random rnd = new Random(seed);
        final long[] periods = {30 * SEC, 60 * SEC, 300 * SEC, 900 * SEC, 3600 * SEC};
        final long[] randomWindows = {0, 10 * SEC, 60 * SEC, 300 * SEC};
        for (int i = 0; i < instances; i++) {
            // Each instance's wall clock is off the host's by up to a year, either way.
            w.wallClockOffset[i] = w.round((long) ((rnd.nextDouble() * 2 - 1) * 365 * 86400) * SEC + rnd.nextInt(1_000_000_000));
            if (periodic) {
                final long period = periods[rnd.nextInt(periods.length)];
                final long window = w.round((long) (period * windowFractions[rnd.nextInt(windowFractions.length)]));
                final long first = w.round((long) (rnd.nextDouble() * period));
                final int n = (int) Math.max(0, (w.horizon - first + period - 1) / period);
                final long[] s = new long[n];
                final long[] win = new long[n];
                for (int k = 0; k < n; k++) {
                    s[k] = first + k * period;
                    win[k] = window;
                }
                w.streams.add(new Stream(i, AlarmType.ELAPSED_REALTIME_WAKEUP, s, win));
            }
            if (random) {
                final List<long[]> occ = new ArrayList<>();
                long t = w.round((long) (-Math.log(1 - rnd.nextDouble()) * 600 * SEC));
                while (t < w.horizon) {
                    final long window = randomWindows[rnd.nextInt(randomWindows.length)];
                    occ.add(new long[] {t, window});
                    t += window + Math.max(SEC, w.round((long) (-Math.log(1 - rnd.nextDouble()) * 600 * SEC)));
                }
                final long[] s = new long[occ.size()];
                final long[] win = new long[occ.size()];
                for (int k = 0; k < s.length; k++) {
                    s[k] = occ.get(k)[0];
                    win[k] = occ.get(k)[1];
                }
                w.streams.add(new Stream(i, AlarmType.RTC_WAKEUP, s, win));
            }
        }
        return w;
    }

    private long round(final long nanos) {
        return wholeSeconds ? Math.floorDiv(nanos, SEC) * SEC : nanos;
    }

    /**
     * The number of alarms in the workload.
     *
     * @return the count of occurrences over all streams
     */
    public long alarms() {
        long n = 0;
        for (final Stream s : streams) {
            n += s.start.length;
        }
        return n;
    }

    /**
     * The offline optimum: the fewest points that hit every window (greedy by earliest end).
     *
     * @return the minimum number of wakes that can serve every window
     */
    public int optimum() {
        return stab(windows());
    }

    /**
     * The offline optimum for an RTC that wakes only on whole seconds: each window becomes its whole
     * seconds, or, if it holds none, the first whole second after it (where the driver's rounding puts
     * an exact alarm); then greedy earliest-end stabbing.
     *
     * @return the minimum number of whole-second wakes that can serve every alarm
     */
    public int gridOptimum() {
        final long[][] w = windows();
        for (final long[] iv : w) {
            final long lo = -Math.floorDiv(-iv[0], SEC) * SEC;
            final long hi = Math.floorDiv(iv[1], SEC) * SEC;
            if (lo <= hi) {
                iv[0] = lo;
                iv[1] = hi;
            } else {
                final long up = -Math.floorDiv(-iv[1], SEC) * SEC;
                iv[0] = up;
                iv[1] = up;
            }
        }
        return stab(w);
    }

    private static int stab(final long[][] w) {
        Arrays.sort(w, (a, b) -> Long.compare(a[1], b[1]));
        int points = 0;
        long last = Long.MIN_VALUE;
        for (final long[] iv : w) {
            if (points > 0 && iv[0] <= last) {
                continue;
            }
            last = iv[1];
            points++;
        }
        return points;
    }

    /**
     * The number of distinct alarm times: the wakes exact delivery needs on an ideal (nanosecond) RTC.
     *
     * @return distinct window starts
     */
    public int distinctTimes() {
        final long[][] w = windows();
        return (int) Arrays.stream(w).mapToLong(iv -> iv[0]).distinct().count();
    }

    private long[][] windows() {
        final List<long[]> all = new ArrayList<>();
        for (final Stream s : streams) {
            for (int k = 0; k < s.start.length; k++) {
                all.add(new long[] {s.start[k], s.start[k] + s.window[k]});
            }
        }
        return all.toArray(new long[0][]);
    }

    /**
     * Runs the workload on a fresh simulated machine (1-second RTC) that suspends whenever it can.
     *
     * @param exact true to set every alarm exactly (window 0), false to give each its window
     * @return what was measured
     * @throws InterruptedException never in practice (waits use a zero timeout)
     */
    public Result run(final boolean exact) throws InterruptedException {
        final long t0 = System.nanoTime();
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        final ConcurrentLinkedQueue<long[]> fired = new ConcurrentLinkedQueue<>();
        final DeviceListener listener = new DeviceListener() {
            @Override
            public void alarmFired(final int minor, final AlarmType type, final long hostDeadlineNanos,
                    final long hostNowNanos) {
                fired.add(new long[] {minor, type.number(), hostNowNanos});
            }
        };
        int wakes = 0;
        int empty = 0;
        long delivered = 0;
        long outside = 0;
        long rounded = 0;
        long maxLate = 0;
        try (ValarmDevice device = machine.newDevice(b -> b.listener(listener))) {
            final AlarmHandle[] handles = new AlarmHandle[instances];
            final int[] minorToIndex = new int[instances + 1];
            for (int i = 0; i < instances; i++) {
                final ValarmInstance in = device.createInstance(InstanceConfig.builder()
                        .wallClockOffset(Duration.ofNanos(wallClockOffset[i])).build());
                handles[i] = in.open(OpenMode.READ_WRITE);
                if (in.minor() >= minorToIndex.length) {
                    throw new IllegalStateException("unexpected minor " + in.minor());
                }
                minorToIndex[in.minor()] = i;
            }
            // The common axis: 0 = now; each type's host base and each instance's clock start here.
            final long hostRt0 = machine.nanos(ClockBase.REALTIME);
            final long hostBt0 = machine.nanos(ClockBase.BOOTTIME);
            final Stream[][] byInstanceType = new Stream[instances][AlarmType.COUNT];
            final int[][] cursor = new int[instances][AlarmType.COUNT];
            for (final Stream s : streams) {
                byInstanceType[s.instance][s.type.number()] = s;
            }
            final long[][] instanceOrigin = new long[instances][AlarmType.COUNT];
            for (int i = 0; i < instances; i++) {
                for (final AlarmType t : AlarmType.values()) {
                    instanceOrigin[i][t.number()] = handles[i].getTime(t).toNanos();
                }
            }
            for (final Stream s : streams) {
                if (s.start.length > 0) {
                    arm(handles[s.instance], s, 0, instanceOrigin[s.instance][s.type.number()], exact);
                }
            }
            while (true) {
                final long now = machine.nanos(ClockBase.BOOTTIME) - hostBt0;
                if (now >= horizon + 3600 * SEC) {
                    break;
                }
                final SuspendOutcome out = machine.suspend(Duration.ofNanos(horizon + 3600 * SEC - now));
                if (out.result() == SuspendOutcome.Result.REFUSED && fired.isEmpty()) {
                    // Refused with nothing to collect: a blocker is held for no alarm we know of.
                    throw new IllegalStateException("suspend refused by " + out.blockers());
                }
                // (Refused with events queued: an alarm set at or before "now" fired while awake.)
                if (out.result() == SuspendOutcome.Result.WOKEN_BY_ALARM) {
                    wakes++;
                    if (fired.isEmpty()) {
                        empty++;
                    }
                }
                final boolean[] touched = new boolean[instances];
                long[] ev;
                while ((ev = fired.poll()) != null) {
                    final int i = minorToIndex[(int) ev[0]];
                    final int t = (int) ev[1];
                    final Stream s = byInstanceType[i][t];
                    final int k = cursor[i][t];
                    final long at = ev[2] - (AlarmType.of(t).clockBase() == ClockBase.REALTIME ? hostRt0 : hostBt0);
                    final long start = s.start[k];
                    final long end = start + (exact ? 0 : s.window[k]);
                    // Where the RTC cannot wake inside the window it wakes on the next whole second.
                    // While asleep the RTC wakes only on whole seconds: never before the start, never
                    // after the first whole second at or after the end.
                    final long latest = -Math.floorDiv(-end, SEC) * SEC;
                    if (!exact && s.window[k] > 0 && at > end) {
                        rounded++;
                    }
                    if (at < start || at > latest) {
                        if (Boolean.getBoolean("coalesce.debug")) {
                            System.out.println("outside: " + (exact ? "exact " : "window ") + s.type + " k=" + k
                                    + " start=" + start + " end=" + end + " at=" + at + " latest=" + latest);
                        }
                        outside++;
                    }
                    maxLate = Math.max(maxLate, at - end);
                    delivered++;
                    touched[i] = true;
                }
                for (int i = 0; i < instances; i++) {
                    if (!touched[i]) {
                        continue;
                    }
                    final AlarmEvents got = handles[i].await(Duration.ZERO);
                    for (final AlarmType t : got.firedTypes()) {
                        final Stream s = byInstanceType[i][t.number()];
                        final int k = ++cursor[i][t.number()];
                        if (k < s.start.length) {
                            arm(handles[i], s, k, instanceOrigin[i][t.number()], exact);
                        }
                    }
                    handles[i].await(Duration.ZERO); // acknowledges: releases the suspend blocker
                }
            }
        }
        return new Result(exact ? "exact" : "coalesced", wakes, empty, delivered, outside, rounded, maxLate,
                System.nanoTime() - t0);
    }

    @Override
    public String toString() {
        return name + " (" + instances + " instances, " + alarms() + " alarms)";
    }

    private static void arm(final AlarmHandle h, final Stream s, final int k, final long origin, final boolean exact) {
        final Timespec at = Timespec.ofNanos(origin + s.start[k]);
        if (exact) {
            h.set(s.type, at);
        } else {
            h.set(s.type, at, Duration.ofNanos(s.window[k]));
        }
    }
}
