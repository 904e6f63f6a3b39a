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
 * Workload W5, build + drain: schedule {@code size} deadlines uniform over one span into an empty
 * structure, then drain them all with one expiry call at the end of the span. The score is per
 * invocation ({@code size} schedules + {@code size} expiries); {@code run.sh} divides it by
 * {@code size}. Capacity is pre-sized where the API allows, so the steady state allocates nothing.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar BuildDrainBenchmark -p impl=heap4,nettyDpq
 * -p size=65536 -prof gc -rf json -rff build.json}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class BuildDrainBenchmark {
    /** The implementation, see {@link Adapters#create}. */
    @Param({"hybrid", "hybrid-tick", "heap2", "heap4", "heap8", "heap4-tick", "pq", "stpeQueue",
        "nettyDpq", "agronaWheel"})
    public String impl;

    /** Entries per build. */
    @Param({"1024", "65536", "1048576"})
    public int size;

    private TimerAdapter adapter;
    private final CpuMeter cpu = new CpuMeter();
    private long[] deltas;
    private int index;
    private long base;

    /** Builds the empty adapter. */
    @Setup(Level.Trial)
    public void setUp() {
        adapter = Adapters.create(impl, size);
        deltas = Workloads.deltas(8);
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
        cpu.end(adapter, index, "build+drain", impl, size, "", iteration);
        Checks.size(adapter, impl, 0);
    }

    /** Releases the adapter. */
    @TearDown(Level.Trial)
    public void tearDown() {
        adapter.close();
    }

    /**
     * One build + drain.
     *
     * @return the number drained ({@code size})
     */
    @Benchmark
    public int buildDrain() {
        final long b = base;
        for (int i = 0; i < size; i++) {
            adapter.schedule(b + deltas[index++ & Workloads.MASK]);
        }
        base = b + Workloads.SPAN + Workloads.TICK;
        return adapter.expire(b + Workloads.SPAN, Integer.MAX_VALUE);
    }
}
