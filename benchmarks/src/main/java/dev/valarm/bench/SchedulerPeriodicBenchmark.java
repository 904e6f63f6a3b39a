package dev.valarm.bench;

import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;

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
public class SchedulerPeriodicBenchmark extends SchedulerBenchmarkBase {
    private static final long PERIOD = 100_000L;

    private final AtomicLong ran = new AtomicLong();
    private long seen;

    @Override
    String label() {
        return "periodic";
    }

    @Override
    int capacity() {
        return 16;
    }

    @Override
    void start() {
        peer.scheduleRepeating(new SchedulerPeers.Task() {
            @Override
            public void run() {
                ran.incrementAndGet();
            }
        }, PERIOD);
    }

    /**
     * Waits for the periodic task's next run.
     *
     * @return the runs so far
     */
    @Benchmark
    public long periodicRun() {
        ops++;
        seen = awaitCount(ran, seen + 1, impl);
        return seen;
    }
}
