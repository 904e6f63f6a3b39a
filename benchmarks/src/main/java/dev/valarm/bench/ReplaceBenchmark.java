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
 * Workload W1a, replace: cancel a random live entry, then schedule a new deadline uniform over
 * {@link Workloads#SPAN} (the replace-churn of alarms that are re-armed before they fire). The population
 * stays at {@code size}; nothing expires (virtual time does not move).
 *
 * <p>{@code pq} is O(n) per op (linear {@code remove}) and runs only up to 65 536; {@code stpe} is the
 * executor's public API; {@code nettyHwt} also reports its worker's CPU per op ({@link WorkerCpu}).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ReplaceBenchmark -p impl=heap4,nettyDpq
 * -p size=65536 -prof gc -rf json -rff replace.json} (or {@code benchmarks/run.sh heap}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class ReplaceBenchmark {
    /** The implementation, see {@link Adapters#create}. */
    @Param({"hybrid", "hybrid-tick", "heap2", "heap4", "heap8", "heap4-tick", "pq", "stpe", "nettyDpq",
        "agronaWheel", "nettyHwt"})
    public String impl;

    /** Live entries. */
    @Param({"1024", "65536", "1048576"})
    public int size;

    private TimerAdapter adapter;
    private long[] handles;
    private long[] deltas;
    private int[] victims;
    private int index;
    private final CpuMeter cpu = new CpuMeter();

    /** Builds the adapter and fills it with {@code size} entries. */
    @Setup(Level.Trial)
    public void setUp() {
        adapter = Adapters.create(impl, size);
        deltas = Workloads.deltas(1);
        victims = Workloads.indices(size, 2);
        final long[] initial = Workloads.deltas(3);
        handles = new long[size];
        for (int i = 0; i < size; i++) {
            handles[i] = adapter.schedule(initial[i & Workloads.MASK]);
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
        cpu.end(adapter, index, "replace", impl, size, "", iteration);
        Checks.size(adapter, impl, size);
    }

    /** Stops threads. */
    @TearDown(Level.Trial)
    public void tearDown() {
        adapter.close();
    }

    /**
     * One replace.
     *
     * @return the new handle
     */
    @Benchmark
    public long replace() {
        final int k = index++ & Workloads.MASK;
        final int i = victims[k];
        adapter.cancel(handles[i]);
        final long h = adapter.schedule(deltas[k]);
        handles[i] = h;
        return h;
    }
}
