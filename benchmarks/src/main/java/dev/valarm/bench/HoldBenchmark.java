package dev.valarm.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.IterationParams;

/**
 * Workload W2, hold (fire and reschedule): remove the earliest entry, let virtual time jump to its
 * deadline, insert it again at that time plus a delay uniform over {@link Workloads#SPAN}. Our heap does
 * {@code peekDeadline} + {@code replaceTop}, Netty DPQ {@code peek} + {@code priorityChanged}, the JDK
 * queues {@code poll} + {@code offer}; the wheel polls tick by tick until something fires (empty ticks
 * are part of its cost).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar HoldBenchmark -p impl=heap4,agronaWheel
 * -p size=65536 -prof gc -rf json -rff hold.json}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class HoldBenchmark {
    /** The implementation, see {@link Adapters#create}. */
    @Param({"hybrid", "hybrid-tick", "heap2", "heap4", "heap8", "heap4-tick", "pq", "stpeQueue",
        "nettyDpq", "agronaWheel"})
    public String impl;

    /** Live entries. */
    @Param({"1024", "65536", "1048576"})
    public int size;

    private TimerAdapter adapter;
    private final CpuMeter cpu = new CpuMeter();
    private long[] deltas;
    private int index;

    /** Builds the adapter and fills it with {@code size} entries. */
    @Setup(Level.Trial)
    public void setUp() {
        adapter = Adapters.create(impl, size);
        deltas = Workloads.deltas(6);
        final long[] initial = Workloads.deltas(3);
        for (int i = 0; i < size; i++) {
            adapter.schedule(initial[i & Workloads.MASK]);
        }
    }

    /** Starts the CPU meter (on the benchmark thread). */
    @Setup(Level.Iteration)
    public void beginIteration() {
        cpu.begin(adapter, index);
    }

    /**
     * Checks the population and records the CPU time per op.
     *
     * @param iteration JMH's iteration parameters
     */
    @TearDown(Level.Iteration)
    public void endIteration(final IterationParams iteration) {
        cpu.end(adapter, index, "hold", impl, size, "", iteration);
        Checks.size(adapter, impl, size);
    }

    /** Releases the adapter. */
    @TearDown(Level.Trial)
    public void tearDown() {
        adapter.close();
    }

    /**
     * One hold step.
     *
     * @return the virtual time the entry fired at
     */
    @Benchmark
    public long hold() {
        return adapter.hold(deltas[index++ & Workloads.MASK]);
    }
}
