package dev.valarm.bench;

import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;

/**
 * Schedule and fire, end to end on the real clock: one invocation schedules {@value #BATCH} tasks due
 * 50 to 113 µs ahead and waits until all of them ran; the score is per task (schedule, the timer firing,
 * the hand-over to a thread, the run). {@code -prof gc} counts every thread's allocation, so B/op is
 * everything one task costs: its object(s), and its share of each firing (for valarm: the device's
 * asynchronous WAIT and the hop onto its callback executor, per firing of the instance's driver alarm).
 * Netty's wheel fires on its 1 ms tick, so its time per task is at least a tick per batch.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar SchedulerFireBenchmark -prof gc -rf json}
 * (or {@code benchmarks/run.sh sched}).
 */
public class SchedulerFireBenchmark extends SchedulerBenchmarkBase {
    /** Tasks per invocation. */
    public static final int BATCH = 256;
    private static final long FIRST = 50_000L;

    private final AtomicLong ran = new AtomicLong();
    private long scheduled;
    private final SchedulerPeers.Task task = new SchedulerPeers.Task() {
        @Override
        public void run() {
            ran.incrementAndGet();
        }
    };

    @Override
    String label() {
        return "fire";
    }

    @Override
    int capacity() {
        return BATCH * 2;
    }

    @Override
    void start() {
        // Nothing queued ahead: every invocation schedules its own batch.
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
        return awaitCount(ran, scheduled, impl);
    }
}
