package dev.valarm.bench;

import java.util.SplittableRandom;
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
 * Schedule and cancel through the public API of each task scheduler ({@link SchedulerPeers}): {@code size}
 * live one-shot tasks, two to three minutes ahead so that nothing fires during a fork; one operation
 * cancels a random live task and schedules a new one at a random delay (the timeout churn of a server).
 * {@code -prof gc} gives the bytes per operation: the new task's object(s) plus whatever cancelling costs.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar SchedulerChurnBenchmark -prof gc -rf json}
 * (or {@code benchmarks/run.sh sched}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class SchedulerChurnBenchmark {
    private static final SchedulerPeers.Task TASK = new SchedulerPeers.Task() {
        @Override
        public void run() {
            throw new AssertionError("a churn task fired: the fork ran longer than " + Workloads.REAL_MIN_DELAY + " ns");
        }
    };

    /** {@code valarm} (InstanceScheduler), {@code stpe} or {@code nettyHwt}. */
    @Param({"valarm", "stpe", "nettyHwt"})
    public String impl;

    /** Live tasks. */
    @Param({"65536"})
    public int size;

    private SchedulerPeers.Peer peer;
    private Object[] handles;
    private long[] delays;
    private int[] victims;
    private int index;
    private long ops;
    private final SchedulerCpuMeter cpu = new SchedulerCpuMeter();

    /** Starts the scheduler and fills it. */
    @Setup(Level.Trial)
    public void setUp() {
        peer = SchedulerPeers.create(impl, size);
        final SplittableRandom r = new SplittableRandom(Workloads.SEED);
        delays = new long[Workloads.RANDOMS];
        for (int i = 0; i < delays.length; i++) {
            delays[i] = Workloads.REAL_MIN_DELAY + r.nextLong(Workloads.SPAN);
        }
        victims = Workloads.indices(size, 1);
        handles = new Object[size];
        for (int i = 0; i < size; i++) {
            handles[i] = peer.schedule(TASK, delays[i & Workloads.MASK]);
        }
    }

    /** Starts the CPU meter (on the benchmark thread). */
    @Setup(Level.Iteration)
    public void beginIteration() {
        cpu.begin(ops);
    }

    /**
     * Records the iteration's CPU time per operation.
     *
     * @param iteration JMH's iteration parameters
     */
    @TearDown(Level.Iteration)
    public void endIteration(final IterationParams iteration) {
        cpu.end(ops, "schedule/cancel", impl, size, iteration);
    }

    /** Stops the scheduler. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (peer.queued() < size * 9 / 10 && !"nettyHwt".equals(impl)) {
            throw new IllegalStateException(impl + ": " + peer.queued() + " tasks queued, expected " + size);
        }
        peer.close();
    }

    /**
     * Cancels a random live task and schedules a new one.
     *
     * @return the slot touched
     */
    @Benchmark
    public int scheduleCancel() {
        ops++;
        final int k = index++;
        final int v = victims[k & Workloads.MASK];
        peer.cancel(handles[v]);
        handles[v] = peer.schedule(TASK, delays[k & Workloads.MASK]);
        return v;
    }
}
