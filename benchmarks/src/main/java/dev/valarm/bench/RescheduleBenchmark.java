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
 * Workload W1b, reschedule: move a random live entry by up to {@link Workloads#MOVE} ns, later with
 * probability {@code laterPct} percent and earlier otherwise, deadlines wrapping inside
 * {@link Workloads#RESCHEDULE_RANGE} (so about 0.2% of the "later" moves become a jump to the start). In place where the structure can
 * (our heap's {@code reschedule}, Netty DPQ's {@code priorityChanged}), remove + insert for
 * {@code pq}, cancel + schedule for the wheels and the executor. Nothing expires.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RescheduleBenchmark -p impl=heap4,nettyDpq
 * -p size=65536 -p laterPct=100,50 -prof gc -rf json -rff reschedule.json}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class RescheduleBenchmark {
    /** The implementation, see {@link Adapters#create}. */
    @Param({"hybrid", "hybrid-tick", "heap2", "heap4", "heap8", "heap4-tick", "pq", "stpe", "nettyDpq",
        "agronaWheel", "nettyHwt"})
    public String impl;

    /** Live entries. */
    @Param({"1024", "65536", "1048576"})
    public int size;

    /** Percentage of moves that go later. */
    @Param({"100", "90", "50"})
    public int laterPct;

    private TimerAdapter adapter;
    private long[] handles;
    private long[] deadlines;
    private long[] moves;
    private int[] victims;
    private int index;
    private final CpuMeter cpu = new CpuMeter();

    /** Builds the adapter and fills it with {@code size} entries. */
    @Setup(Level.Trial)
    public void setUp() {
        adapter = Adapters.create(impl, size);
        moves = Workloads.moves(laterPct, 4);
        victims = Workloads.indices(size, 5);
        final long[] initial = Workloads.deltas(3);
        handles = new long[size];
        deadlines = new long[size];
        for (int i = 0; i < size; i++) {
            deadlines[i] = initial[i & Workloads.MASK] * (Workloads.RESCHEDULE_RANGE / Workloads.SPAN);
            handles[i] = adapter.schedule(deadlines[i]);
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
        cpu.end(adapter, index, "reschedule", impl, size, "laterPct=" + laterPct, iteration);
        Checks.size(adapter, impl, size);
    }

    /** Stops threads. */
    @TearDown(Level.Trial)
    public void tearDown() {
        adapter.close();
    }

    /**
     * One reschedule.
     *
     * @return the entry's handle afterwards
     */
    @Benchmark
    public long reschedule() {
        final int k = index++ & Workloads.MASK;
        final int i = victims[k];
        final long d = (deadlines[i] + moves[k]) & (Workloads.RESCHEDULE_RANGE - 1);
        deadlines[i] = d;
        final long h = adapter.reschedule(handles[i], d);
        handles[i] = h;
        return h;
    }
}
