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
 * Workload W4, idle poll: every entry is far in the future; virtual time advances by one tick per
 * call and the expiry call finds nothing due. Catches structures whose "nothing due" costs more than
 * O(1) (a wheel scans the current spoke, including entries of later rotations).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar IdlePollBenchmark -p impl=heap4,agronaWheel
 * -p size=65536 -prof gc -rf json -rff idle.json}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class IdlePollBenchmark {
    /** The implementation, see {@link Adapters#create}. */
    @Param({"hybrid", "hybrid-tick", "heap2", "heap4", "heap8", "heap4-tick", "pq", "stpeQueue",
        "nettyDpq", "agronaWheel"})
    public String impl;

    /** Live entries. */
    @Param({"1024", "65536", "1048576"})
    public int size;

    private TimerAdapter adapter;
    private final CpuMeter cpu = new CpuMeter();
    private long now;

    /** Builds the adapter and fills it with {@code size} far entries. */
    @Setup(Level.Trial)
    public void setUp() {
        adapter = Adapters.create(impl, size);
        final long[] initial = Workloads.deltas(3);
        for (int i = 0; i < size; i++) {
            adapter.schedule(Workloads.FAR + initial[i & Workloads.MASK]);
        }
    }

    /** Starts the CPU meter (on the benchmark thread). */
    @Setup(Level.Iteration)
    public void beginIteration() {
        cpu.begin(adapter, now / Workloads.TICK);
    }

    /**
     * Checks the population and records the CPU time per op.
     *
     * @param iteration JMH's iteration parameters
     */
    @TearDown(Level.Iteration)
    public void endIteration(final IterationParams iteration) {
        cpu.end(adapter, now / Workloads.TICK, "idle", impl, size, "", iteration);
        Checks.size(adapter, impl, size);
    }

    /** Releases the adapter. */
    @TearDown(Level.Trial)
    public void tearDown() {
        adapter.close();
    }

    /**
     * One idle poll.
     *
     * @return the number drained (0)
     */
    @Benchmark
    public int idlePoll() {
        now += Workloads.TICK;
        return adapter.expire(now, Integer.MAX_VALUE);
    }
}
