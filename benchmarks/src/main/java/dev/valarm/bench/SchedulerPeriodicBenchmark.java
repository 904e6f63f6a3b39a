package dev.valarm.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * A periodic task's re-arming, on the real clock: one fixed-rate task with a period of 100 µs (Netty: a
 * task that re-arms itself with {@code newTimeout}); one operation waits for its next run. The time per
 * operation is the period (or the timer's granularity: Netty's 1 ms tick); what this measures is
 * {@code -prof gc}'s bytes per run, over every thread: the cost of re-arming a periodic task and of the
 * firing that runs it.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar SchedulerPeriodicBenchmark -prof gc -rf json}
 * (or {@code benchmarks/run.sh sched}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public class SchedulerPeriodicBenchmark {
    private static final long PERIOD = 100_000L;
    private static final long WAIT_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** {@code valarm} (InstanceScheduler), {@code stpe} or {@code nettyHwt}. */
    @Param({"valarm", "stpe", "nettyHwt"})
    public String impl;

    private SchedulerPeers.Peer peer;
    private final AtomicLong ran = new AtomicLong();
    private long seen;
    private long ops;
    private final SchedulerCpuMeter cpu = new SchedulerCpuMeter();

    /** Starts the scheduler with the periodic task. */
    @Setup(Level.Trial)
    public void setUp() {
        peer = SchedulerPeers.create(impl, 16);
        peer.scheduleRepeating(new SchedulerPeers.Task() {
            @Override
            public void run() {
                ran.incrementAndGet();
            }
        }, PERIOD);
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
        cpu.end(ops, "periodic", impl, 0, iteration);
    }

    /** Stops the scheduler. */
    @TearDown(Level.Trial)
    public void tearDown() {
        peer.close();
    }

    /**
     * Waits for the periodic task's next run.
     *
     * @return the runs so far
     */
    @Benchmark
    public long periodicRun() {
        ops++;
        seen = awaitCount(ran, seen + 1, WAIT_LIMIT_NANOS, impl);
        return seen;
    }

    /**
     * Waits until {@code counter} reaches {@code target}: spins briefly, then yields (the machine has two
     * cores and the scheduler's threads need one).
     *
     * @return the counter's value
     * @throws IllegalStateException if it does not get there within {@code limitNanos}
     */
    static long awaitCount(final AtomicLong counter, final long target, final long limitNanos, final String impl) {
        long v = counter.get();
        int spins = 0;
        long start = 0L;
        while (v < target) {
            if (++spins < 200) {
                Thread.onSpinWait();
            } else {
                if (start == 0L) {
                    start = System.nanoTime();
                } else if (System.nanoTime() - start > limitNanos) {
                    throw new IllegalStateException(impl + ": " + (target - v) + " tasks did not run within "
                            + TimeUnit.NANOSECONDS.toSeconds(limitNanos) + " s");
                }
                Thread.yield();
            }
            v = counter.get();
        }
        return v;
    }
}
