package dev.valarm.benchmarks.variants;

import dev.valarm.bench.BurstBenchmark;
import dev.valarm.bench.HoldBenchmark;
import dev.valarm.bench.IdlePollBenchmark;
import dev.valarm.bench.ReplaceBenchmark;
import dev.valarm.bench.RescheduleBenchmark;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * A design-iteration companion to the JMH grid for a loaded machine: runs the grid's own workload methods
 * ({@code ReplaceBenchmark.replace}, {@code HoldBenchmark.hold}, ...: the same set-up, adapters and random
 * tables) in rounds timed by the thread's CPU time, and prints the minimum and the median over rounds
 * (time spent descheduled does not count; the minimum is the least disturbed round). One JVM per
 * implementation and workload keeps the call sites monomorphic, as JMH's forks do (pass one workload). Not a replacement for the
 * JMH numbers in BENCHMARKS.md; it is how the variants of the hybrid queue were compared.
 *
 * <pre>
 * java -Xms3g -Xmx3g -XX:+UseParallelGC -cp benchmarks/target/benchmarks.jar \
 *     dev.valarm.benchmarks.variants.QueueCpuTimer hybrid 1048576 [rounds] [workloads...]
 * </pre>
 *
 * <p>Workloads: replace, reschedule100, reschedule50, hold, burst, idle. Output: one line per workload,
 * {@code impl size workload min median} in CPU ns per operation.
 */
public final class QueueCpuTimer {
    private static final String[] WORKLOADS = {"replace", "reschedule100", "reschedule50", "hold", "burst", "idle"};

    private QueueCpuTimer() {
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
            final Workload load = workload(w, impl, size);
            final int perCall = "burst".equals(w) ? 64 : 1;
            CpuRounds.timeAndPrint(impl + " " + size + " " + w, rounds, Math.max(1, 200_000 / perCall), perCall, load::run);
            load.close();
        }
    }

    /** A workload bound to one set-up benchmark state. */
    private static final class Workload {
        private final LongSupplier op;
        private final Runnable close;

        Workload(final LongSupplier op, final Runnable close) {
            this.op = op;
            this.close = close;
        }

        long run(final int calls) {
            long s = 0;
            for (int i = 0; i < calls; i++) {
                s += op.getAsLong();
            }
            return s;
        }

        void close() {
            close.run();
        }
    }

    private static Workload workload(final String w, final String impl, final int size) {
        switch (w) {
            case "replace": {
                final ReplaceBenchmark b = new ReplaceBenchmark();
                b.impl = impl;
                b.size = size;
                b.setUp();
                return new Workload(b::replace, b::tearDown);
            }
            case "reschedule100":
            case "reschedule50": {
                final RescheduleBenchmark b = new RescheduleBenchmark();
                b.impl = impl;
                b.size = size;
                b.laterPct = w.endsWith("100") ? 100 : 50;
                b.setUp();
                return new Workload(b::reschedule, b::tearDown);
            }
            case "hold": {
                final HoldBenchmark b = new HoldBenchmark();
                b.impl = impl;
                b.size = size;
                b.setUp();
                return new Workload(b::hold, b::tearDown);
            }
            case "burst": {
                final BurstBenchmark b = new BurstBenchmark();
                b.impl = impl;
                b.size = size;
                b.setUp();
                return new Workload(b::burst, b::tearDown);
            }
            case "idle": {
                final IdlePollBenchmark b = new IdlePollBenchmark();
                b.impl = impl;
                b.size = size;
                b.setUp();
                return new Workload(b::idlePoll, b::tearDown);
            }
            default:
                throw new IllegalArgumentException("unknown workload: " + w);
        }
    }
}
