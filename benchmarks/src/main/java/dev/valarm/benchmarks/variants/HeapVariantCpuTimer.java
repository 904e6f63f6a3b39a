package dev.valarm.benchmarks.variants;

import java.util.Arrays;

/**
 * A companion to {@link HeapVariantBenchmark} for a loaded machine: runs the same workload methods, but
 * times rounds by the thread's CPU time ({@link CpuRounds}) (not wall time), so time spent descheduled by other processes
 * does not count; reports the minimum and the median over rounds. One JVM per implementation keeps the
 * adapter call sites monomorphic, as JMH's forks do.
 *
 * <pre>
 * java -cp ... dev.valarm.benchmarks.variants.HeapVariantCpuTimer tuned4 65536 [rounds] [workloads...]
 * </pre>
 *
 * <p>Output: one line per workload, {@code impl size workload min median} in ns/op.
 */
public final class HeapVariantCpuTimer {
    private static final String[] WORKLOADS = {"replace", "rescheduleRandom", "pushBack", "hold", "holdReplaceTop",
        "burst"};

    private HeapVariantCpuTimer() {
    }

    /**
     * Runs the rounds.
     *
     * @param args impl, size, optional rounds, optional workload names
     */
    public static void main(final String[] args) {
        final String impl = args[0];
        final int size = Integer.parseInt(args[1]);
        final int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        final String[] workloads = args.length > 3 ? Arrays.copyOfRange(args, 3, args.length) : WORKLOADS;
        for (final String w : workloads) {
            final HeapVariantBenchmark b = new HeapVariantBenchmark();
            b.impl = impl;
            b.size = size;
            b.setUp();
            final int perCall = "burst".equals(w) ? 64 : 1;
            CpuRounds.timeAndPrint(impl + " " + size + " " + w, rounds, Math.max(1, 100_000 / perCall), perCall,
                    calls -> loop(b, w, calls));
        }
    }

    private static long loop(final HeapVariantBenchmark b, final String w, final int calls) {
        long s = 0;
        switch (w) {
            case "replace":
                for (int i = 0; i < calls; i++) {
                    s += b.replace();
                }
                return s;
            case "rescheduleRandom":
                for (int i = 0; i < calls; i++) {
                    s += b.rescheduleRandom() ? 1 : 0;
                }
                return s;
            case "pushBack":
                for (int i = 0; i < calls; i++) {
                    s += b.pushBack() ? 1 : 0;
                }
                return s;
            case "hold":
                for (int i = 0; i < calls; i++) {
                    s += b.hold();
                }
                return s;
            case "holdReplaceTop":
                for (int i = 0; i < calls; i++) {
                    s += b.holdReplaceTop();
                }
                return s;
            case "burst":
                for (int i = 0; i < calls; i++) {
                    s += b.burst();
                }
                return s;
            default:
                throw new IllegalArgumentException("unknown workload: " + w);
        }
    }
}
