package dev.valarm.bench;

import java.util.concurrent.TimeUnit;
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
 * What the scheduler benchmarks share: the settings, the {@code impl} parameter, the peer's life cycle and
 * the CPU meter around each iteration (JMH inherits annotations and fixtures from a superclass). A subclass
 * starts its workload in {@link #start()} and counts its operations in {@link #ops}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@State(Scope.Thread)
public abstract class SchedulerBenchmarkBase {
    /** How long a benchmark waits for tasks that should run before it gives up. */
    static final long WAIT_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** {@code valarm} (InstanceScheduler), {@code stpe} or {@code nettyHwt}. */
    @Param({"valarm", "stpe", "nettyHwt"})
    public String impl;

    SchedulerPeers.Peer peer;
    /** Operations so far (for the CPU meter). */
    long ops;
    private final SchedulerCpuMeter cpu = new SchedulerCpuMeter();

    /** The workload's name in the CPU meter's records. */
    abstract String label();

    /** The most tasks the peer will hold. */
    abstract int capacity();

    /** The size parameter for the records (0 if none). */
    int size() {
        return 0;
    }

    /** Starts the workload on {@link #peer}. */
    abstract void start();

    /** Checks the workload before the peer stops. */
    void check() {
    }

    /** Starts the peer and the workload. */
    @Setup(Level.Trial)
    public void setUp() {
        peer = SchedulerPeers.create(impl, capacity());
        start();
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
        cpu.end(ops, label(), impl, size(), iteration);
    }

    /** Stops the peer. */
    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            check();
        } finally {
            peer.close();
        }
    }

    /**
     * Waits until {@code counter} reaches {@code target}: spins briefly, then yields (the machine has two
     * cores and the scheduler's threads need one).
     *
     * @return the counter's value
     * @throws IllegalStateException if it does not get there within {@link #WAIT_LIMIT_NANOS}
     */
    static long awaitCount(final java.util.concurrent.atomic.AtomicLong counter, final long target, final String impl) {
        long v = counter.get();
        int spins = 0;
        long start = 0L;
        while (v < target) {
            if (++spins < 200) {
                Thread.onSpinWait();
            } else {
                if (start == 0L) {
                    start = System.nanoTime();
                } else if (System.nanoTime() - start > WAIT_LIMIT_NANOS) {
                    throw new IllegalStateException(impl + ": " + (target - v) + " tasks did not run within "
                            + TimeUnit.NANOSECONDS.toSeconds(WAIT_LIMIT_NANOS) + " s");
                }
                Thread.yield();
            }
            v = counter.get();
        }
        return v;
    }
}
