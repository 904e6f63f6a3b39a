package dev.valarm.bench;

import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Schedule and cancel through the public API of each task scheduler ({@link SchedulerPeers}): {@code size}
 * live one-shot tasks, two to three minutes ahead so that nothing fires during a fork; one operation
 * cancels a random live task and schedules a new one at a random delay (the timeout churn of a server).
 * {@code -prof gc} gives the bytes per operation: the new task's object(s) plus whatever cancelling costs.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar SchedulerChurnBenchmark -prof gc -rf json}
 * (or {@code benchmarks/run.sh sched}).
 */
public class SchedulerChurnBenchmark extends SchedulerBenchmarkBase {
    private static final SchedulerPeers.Task TASK = new SchedulerPeers.Task() {
        @Override
        public void run() {
            throw new AssertionError("a churn task fired: the fork ran longer than " + Workloads.REAL_MIN_DELAY + " ns");
        }
    };

    /** Live tasks. */
    @Param({"65536"})
    public int size;

    private Object[] handles;
    private long[] delays;
    private int[] victims;
    private int index;

    @Override
    String label() {
        return "schedule/cancel";
    }

    @Override
    int capacity() {
        return size;
    }

    @Override
    int size() {
        return size;
    }

    @Override
    void start() {
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

    @Override
    void check() {
        // Netty counts cancelled timeouts until its worker has processed them; the others count exactly.
        if (!"nettyHwt".equals(impl) && peer.queued() != size) {
            throw new IllegalStateException(impl + ": " + peer.queued() + " tasks queued, expected " + size);
        }
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
