package dev.valarm.impl.internal;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A design tool, not a test: compares tunings of {@link HybridTimerQueue} (entries per bucket, heap-mode
 * limit) and {@link TimerHeap} on a loaded machine by running them <em>interleaved</em> in one JVM, one
 * round of each in turn, timed by the thread's CPU time; every candidate sees the same neighbours' load,
 * so their ratios hold up better than separate runs. Workloads as in the JMH grid (deadlines uniform over
 * 2^36 ns): replace, hold, resched (a random entry moved by up to 2^30 ns, half of them earlier) and burst
 * (64 entries due within 2^20 ns over a far background, drained). The candidates share the caches, so
 * absolute numbers are higher than the grid's; only the ranking is meant. How the tuning in the design
 * block of HybridTimerQueue and in BENCHMARKS.md was chosen.
 *
 * <pre>
 * java -Xms3g -Xmx3g -XX:+UseParallelGC -cp valarm-impl/target/classes:valarm-impl/target/test-classes \
 *     dev.valarm.impl.internal.HybridTuningComparison hold 1048576 10 16,4096 4,4096 16,1024 heap4
 * </pre>
 *
 * <p>Arguments: workload, entries, rounds, then candidates: {@code target,spill} for the hybrid queue or
 * {@code heap4}. Output: per candidate the minimum and the median CPU ns per operation over the rounds.
 */
public final class HybridTuningComparison {
    private static final long SPAN = 1L << 36;
    private static final int TABLE = 1 << 20;
    private static final TimerQueue.ExpiryHandler DRAIN = (h, d, p) -> true;

    private HybridTuningComparison() {
    }

    /**
     * Runs the comparison.
     *
     * @param args workload, entries, rounds, candidates
     * @throws ReflectiveOperationException if the JVM has no thread CPU clock
     */
    public static void main(final String[] args) throws ReflectiveOperationException {
        final String work = args[0];
        final int n = Integer.parseInt(args[1]);
        final int rounds = Integer.parseInt(args[2]);
        final String[] names = Arrays.copyOfRange(args, 3, args.length);
        final int k = names.length;
        final SplittableRandom r = new SplittableRandom(42);
        final long[] deltas = new long[TABLE];
        final int[] victims = new int[TABLE];
        for (int i = 0; i < TABLE; i++) {
            deltas[i] = r.nextLong(SPAN);
            victims[i] = r.nextInt(n);
        }
        final TimerQueue[] queues = new TimerQueue[k];
        final long[][] handles = new long[k][n];
        for (int j = 0; j < k; j++) {
            if ("heap4".equals(names[j])) {
                queues[j] = new TimerHeap(4, n + 64);
            } else {
                final String[] p = names[j].split(",");
                queues[j] = new HybridTimerQueue(n + 64, Integer.parseInt(p[1]), Integer.parseInt(p[0]), 6);
            }
            final long base = "burst".equals(work) ? 1L << 60 : 0;
            for (int i = 0; i < n; i++) {
                handles[j][i] = queues[j].schedule(base + deltas[(i * 7) & (TABLE - 1)], 0);
            }
        }
        // reflectively: the test sources are patched into the module, which does not read java.management
        final Object mx = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        final Method cpuTime = Class.forName("java.lang.management.ThreadMXBean").getMethod("getCurrentThreadCpuTime");
        final double[][] ns = new double[k][rounds];
        final int[] index = new int[k];
        final long[] now = new long[k];
        final int ops = 200_000;
        long sink = 0;
        for (int round = -rounds; round < rounds; round++) {
            for (int j = 0; j < k; j++) {
                final long t0 = (Long) cpuTime.invoke(mx);
                sink += run(work, queues[j], handles[j], victims, deltas, index, now, j, ops);
                final long t1 = (Long) cpuTime.invoke(mx);
                if (round >= 0) {
                    ns[j][round] = (double) (t1 - t0) / ops;
                }
            }
        }
        for (int j = 0; j < k; j++) {
            final double[] v = ns[j].clone();
            Arrays.sort(v);
            System.out.printf(Locale.US, "%-12s %s n=%d min %.1f median %.1f%n", names[j], work, n, v[0], v[rounds / 2]);
        }
        if (sink == 42) {
            System.out.println();
        }
    }

    private static long run(final String work, final TimerQueue q, final long[] h, final int[] victims,
            final long[] deltas, final int[] index, final long[] now, final int j, final int ops) {
        int x = index[j];
        long s = 0;
        switch (work) {
            case "replace":
                for (int o = 0; o < ops; o++) {
                    final int m = x++ & (TABLE - 1);
                    final int v = victims[m];
                    q.cancel(h[v]);
                    h[v] = q.schedule(deltas[m], 0);
                    s += h[v];
                }
                break;
            case "hold":
                for (int o = 0; o < ops; o++) {
                    final long t = q.peekDeadline();
                    s += q.replaceTop(t + deltas[x++ & (TABLE - 1)]);
                }
                break;
            case "resched":
                for (int o = 0; o < ops; o++) {
                    final int m = x++ & (TABLE - 1);
                    final long d = q.deadline(h[victims[m]]);
                    final long move = (deltas[m] & ((1L << 30) - 1)) + 1;
                    q.reschedule(h[victims[m]], (deltas[m] & 1) == 0 ? d + move : d - move);
                }
                break;
            case "burst":
                long t = now[j];
                for (int o = 0; o < ops / 64; o++) {
                    for (int b = 0; b < 64; b++) {
                        q.schedule(t + (deltas[x++ & (TABLE - 1)] & ((1 << 20) - 1)), 0);
                    }
                    t += 1 << 20;
                    s += q.pollExpired(t, DRAIN, Integer.MAX_VALUE);
                }
                now[j] = t;
                break;
            default:
                throw new IllegalArgumentException("unknown workload: " + work);
        }
        index[j] = x;
        return s;
    }
}
