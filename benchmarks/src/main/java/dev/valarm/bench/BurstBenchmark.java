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
import org.openjdk.jmh.annotations.OperationsPerInvocation;

/**
 * Workload W3, burst expiry: over {@code size} background entries far in the future, schedule
 * {@link Workloads#BURST} entries inside one tick, advance virtual time by one tick and drain them with
 * one expiry call. Scores are per entry (one schedule plus its share of the drain).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar BurstBenchmark -p impl=heap4,agronaWheel
 * -p size=65536 -prof gc -rf json -rff burst.json}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class BurstBenchmark {
    /** The implementation, see {@link Adapters#create}. */
    @Param({"hybrid", "hybrid-tick", "heap2", "heap4", "heap8", "heap4-tick", "pq", "stpeQueue",
        "nettyDpq", "agronaWheel"})
    public String impl;

    /** Live background entries. */
    @Param({"1024", "65536", "1048576"})
    public int size;

    private TimerAdapter adapter;
    private final CpuMeter cpu = new CpuMeter();
    private long[] deltas;
    private int index;
    private long now;

    /** Builds the adapter and fills it with {@code size} far entries. */
    @Setup(Level.Trial)
    public void setUp() {
        adapter = Adapters.create(impl, size + Workloads.BURST);
        deltas = Workloads.deltas(7);
        final long[] initial = Workloads.deltas(3);
        for (int i = 0; i < size; i++) {
            adapter.schedule(Workloads.FAR + initial[i & Workloads.MASK]);
        }
        // one burst before measuring, so that a structure that must grow for it (Agrona doubles every
        // spoke when one is full) does so here rather than in the first measured iteration
        burst();
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
        cpu.end(adapter, index, "burst", impl, size, "", iteration);
        Checks.size(adapter, impl, size);
    }

    /** Releases the adapter. */
    @TearDown(Level.Trial)
    public void tearDown() {
        adapter.close();
    }

    /**
     * One burst: schedule BURST entries due within the next tick, then drain them.
     *
     * @return the number drained (BURST)
     */
    @Benchmark
    @OperationsPerInvocation(Workloads.BURST)
    public int burst() {
        final long base = now;
        for (int j = 0; j < Workloads.BURST; j++) {
            adapter.schedule(base + (deltas[index++ & Workloads.MASK] & (Workloads.TICK - 1)));
        }
        now = base + Workloads.TICK;
        return adapter.expire(now, Integer.MAX_VALUE);
    }
}
