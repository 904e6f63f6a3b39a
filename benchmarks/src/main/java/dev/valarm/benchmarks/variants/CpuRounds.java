package dev.valarm.benchmarks.variants;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * The round loop of the CPU-time runners ({@link HeapVariantCpuTimer}, {@link QueueCpuTimer}): warm-up
 * rounds, then timed rounds by the thread's CPU time (time spent descheduled does not count), and one line
 * {@code impl size workload min median} in CPU ns per operation. Not thread-safe (one runner per JVM).
 */
final class CpuRounds {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private static volatile long sink;

    /** One round of a workload. */
    @FunctionalInterface
    interface Round {
        /**
         * Runs the workload's operation {@code calls} times.
         *
         * @param calls how many calls
         * @return a value derived from the results, so that the JIT cannot drop the work
         */
        long run(int calls);
    }

    private CpuRounds() {
    }

    /**
     * Runs {@code rounds} warm-up and {@code rounds} timed rounds of {@code calls} calls each and prints the
     * minimum and the median.
     *
     * @param label {@code impl size workload}, the start of the printed line
     * @param rounds timed rounds (as many warm up first)
     * @param calls calls per round
     * @param perCall operations per call (a burst call is 64 entries)
     * @param round the workload
     */
    static void timeAndPrint(final String label, final int rounds, final int calls, final int perCall, final Round round) {
        final double[] ns = new double[rounds];
        for (int r = -rounds; r < rounds; r++) { // the first half warms up
            final long t0 = MX.getCurrentThreadCpuTime();
            final long s = round.run(calls);
            final long t1 = MX.getCurrentThreadCpuTime();
            sink += s;
            if (r >= 0) {
                ns[r] = (double) (t1 - t0) / ((long) calls * perCall);
            }
        }
        Arrays.sort(ns);
        System.out.printf(Locale.US, "%s %.1f %.1f%n", label, ns[0], ns[rounds / 2]);
    }
}
