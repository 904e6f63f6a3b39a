package dev.valarm.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.IterationParams;

/**
 * Schedule and fire, end to end on the real clock: one invocation schedules {@value #BATCH} tasks due
 * 50 to 113 µs ahead and waits until all of them ran; the score is per task (schedule, the timer firing,
 * the hand-over to a thread, the run). {@code -prof gc} counts every thread's allocation, so B/op is
 * everything one task costs: its object(s), and its share of each firing (for valarm: the device's
 * asynchronous WAIT and the hop onto its callback executor, per firing of the instance's driver alarm;
 * for Netty: nothing extra; for the executor: its worker's wait nodes). Netty's wheel fires on its 1 ms
 * tick, so its time per task is at least a tick per batch.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar SchedulerFireBenchmark -prof gc -rf json}
 * (or {@code benchmarks/run.sh sched}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class SchedulerFireBenchmark {
    /** Tasks per invocation. */
    public static final int BATCH = 256;
    private static final long FIRST = 50_000L;
    private static final long WAIT_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** {@code valarm} (InstanceScheduler), {@code stpe} or {@code nettyHwt}. */
    @Param({"valarm", "stpe", "nettyHwt"})
    public String impl;

    private SchedulerPeers.Peer peer;
    private final AtomicLong ran = new AtomicLong();
    private long scheduled;
    private long ops;
    private final SchedulerCpuMeter cpu = new SchedulerCpuMeter();
    private final SchedulerPeers.Task task = new SchedulerPeers.Task() {
        @Override
        public void run() {
            ran.incrementAndGet();
        }
    };

    /** Starts the scheduler. */
    @Setup(Level.Trial)
    public void setUp() {
        peer = SchedulerPeers.create(impl, BATCH * 2);
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
        cpu.end(ops, "fire", impl, 0, iteration);
    }

    /** Stops the scheduler. */
    @TearDown(Level.Trial)
    public void tearDown() {
        peer.close();
    }

    /**
     * Schedules a batch and waits for every task of it to run.
     *
     * @return the tasks run so far
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long fire() {
        for (int i = 0; i < BATCH; i++) {
            peer.schedule(task, FIRST + (i & 63) * 1_000L);
        }
        scheduled += BATCH;
        ops += BATCH;
        return SchedulerPeriodicBenchmark.awaitCount(ran, scheduled, WAIT_LIMIT_NANOS, impl);
    }
}
