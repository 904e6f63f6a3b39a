package dev.valarm.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmType;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.schedule.InstanceScheduler;
import dev.valarm.impl.jdk.JdkHostClocks;
import dev.valarm.impl.jdk.NoWakeRtcBackend;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's periodic re-arm and the device's firing allocate nothing per run (issue 14): every thread
 * that works for a run (the device's dispatcher and delivery thread, the scheduler's own worker) is measured
 * with the JVM's per-thread allocation counter over thousands of runs on the real clock, after a warm-up that
 * lets the JIT compile the path. (JMH's {@code -prof gc} shows the same for SchedulerPeriodicBenchmark.)
 */
class PeriodicAllocationTest {
    /** Measurement windows at most (the first clean one ends the test). */
    private static final int WINDOWS = 3;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void aPeriodicRunAllocatesNothingOnTheDevicesOrTheSchedulersThreads() throws Exception {
        final JdkHostClocks clocks = new JdkHostClocks();
        final ValarmDevice device = Valarm.builder().hostClocks(clocks).rtcBackend(new NoWakeRtcBackend(clocks))
                .threadName("valarm-alloc").build();
        final List<Thread> workers = new ArrayList<>();
        final InstanceScheduler scheduler = InstanceScheduler.builder(device.createInstance())
                .delayType(AlarmType.ELAPSED_REALTIME).threads(1).threadFactory(r -> {
                    final Thread t = new Thread(r, "alloc-worker");
                    t.setDaemon(true);
                    workers.add(t);
                    return t;
                }).build();
        try {
            final AtomicLong runs = new AtomicLong();
            final ScheduledFuture<?> f = scheduler.scheduleAtFixedRate(runs::incrementAndGet, 100, 100, TimeUnit.MICROSECONDS);
            awaitRuns(runs, 60_000); // warm-up: the JIT compiles the path
            final List<Thread> measured = new ArrayList<>(workers);
            for (final Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("valarm-alloc")) {
                    measured.add(t);
                }
            }
            // Up to three windows of 20 000 runs: a per-run object (16 B at least) shows in every window, a
            // one-off (a deoptimisation while the machine is loaded, a TLAB refill) only in the window it falls in.
            final List<String> windows = new ArrayList<>();
            boolean clean = false;
            for (int w = 0; w < WINDOWS && !clean; w++) {
                final long[] before = allocated(measured);
                final long r0 = runs.get();
                awaitRuns(runs, r0 + 20_000);
                final long[] after = allocated(measured);
                final long n = runs.get() - r0;
                long total = 0;
                final StringBuilder per = new StringBuilder();
                for (int i = 0; i < measured.size(); i++) {
                    final long b = after[i] - before[i];
                    total += b;
                    per.append(measured.get(i).getName()).append('=').append(b).append(" B; ");
                }
                final double perRun = (double) total / n;
                final String line = String.format("%.3f B per run over %d runs (%s)", perRun, n, per);
                System.out.println("periodic run allocation, window " + (w + 1) + ": " + line);
                windows.add(line);
                // A TLAB refill or a rare slow path may show up as a few bytes over thousands of runs; a
                // per-run object cannot hide under 1 B per run.
                clean = perRun < 1.0;
            }
            f.cancel(false);
            assertTrue(clean, "every window allocated 1 B per run or more: " + windows);
        } finally {
            scheduler.shutdownNow();
            device.close();
        }
    }

    private static long[] allocated(final List<Thread> threads) {
        final long[] b = new long[threads.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = THREADS.getThreadAllocatedBytes(threads.get(i).getId());
        }
        return b;
    }

    private static void awaitRuns(final AtomicLong runs, final long target) throws InterruptedException {
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (runs.get() < target) {
            assertTrue(System.nanoTime() < end, "only " + runs.get() + " of " + target + " runs within 120 s");
            Thread.sleep(5);
        }
    }
}
