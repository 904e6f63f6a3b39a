package dev.valarm.bench;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.jdk.JdkHostClocks;
import dev.valarm.impl.jdk.NoWakeRtcBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Workload L1, fire lateness on the real clock: how long after its deadline a waiter gets the alarm.
 * {@code WAITERS} threads each loop: arm an alarm 1 to 20 ms ahead, block until it fires, record
 * (time the wait returned) - (deadline) in an HdrHistogram. For the multiplexer each thread owns one
 * instance ({@code set(ELAPSED_REALTIME)} + {@code await()}); for {@code ScheduledThreadPoolExecutor}
 * (one worker, like the device's one dispatcher) each thread schedules a no-op task and blocks in
 * {@code get()}. Both read the deadline on {@code System.nanoTime()} (the JDK backend's boot-time
 * clock), so the two are measured the same way. Phases alternate (device, executor, device, executor)
 * in one JVM so that both see the same machine load. Not JMH: the quantity is a latency distribution,
 * not an average cost.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.valarm.bench.MuxLateness
 * benchmarks/results/lateness.json [--quick]} (or {@code benchmarks/run.sh mux}).
 *
 * <p>Thread-safety: a command-line tool; each waiter thread records into its own histogram.
 */
public final class MuxLateness {
    private static final AlarmType TYPE = AlarmType.ELAPSED_REALTIME;
    private static final int WAITERS = 16;
    private static final long MIN_DELAY = 1_000_000L;
    private static final long MAX_DELAY = 20_000_000L;

    private MuxLateness() {
    }

    private interface Waiter {
        /** Arms an alarm {@code delay} ns ahead, blocks until it fires, returns its lateness in ns. */
        long fireAfter(long delay) throws Exception;
    }

    private static final class Result {
        final Histogram histogram = new Histogram(3);
        final AtomicLong early = new AtomicLong();
    }

    private static void phase(final List<Waiter> waiters, final long nanos, final Result result, final long seed)
            throws InterruptedException {
        final long end = System.nanoTime() + nanos;
        final List<Thread> threads = new ArrayList<>();
        final List<Histogram> local = new ArrayList<>();
        for (int w = 0; w < waiters.size(); w++) {
            final Waiter waiter = waiters.get(w);
            final Histogram h = new Histogram(3);
            local.add(h);
            final SplittableRandom r = new SplittableRandom(seed + w);
            final Thread t = new Thread(() -> {
                try {
                    while (System.nanoTime() < end) {
                        final long late = waiter.fireAfter(MIN_DELAY + r.nextLong(MAX_DELAY - MIN_DELAY));
                        if (late < 0) {
                            result.early.incrementAndGet();
                        }
                        h.recordValue(Math.max(0, late));
                    }
                } catch (final Exception e) {
                    throw new IllegalStateException("waiter failed", e);
                }
            }, "lateness-waiter-" + w);
            threads.add(t);
            t.start();
        }
        for (final Thread t : threads) {
            t.join();
        }
        synchronized (result) {
            for (final Histogram h : local) {
                result.histogram.add(h);
            }
        }
    }

    private static String json(final String impl, final Result r) {
        final Histogram h = r.histogram;
        return String.format(Locale.ROOT,
                "{\"impl\":\"%s\",\"count\":%d,\"early\":%d,\"mean\":%.0f,\"p50\":%d,\"p90\":%d,\"p99\":%d,"
                        + "\"p999\":%d,\"max\":%d}",
                impl, h.getTotalCount(), r.early.get(), h.getMean(), h.getValueAtPercentile(50),
                h.getValueAtPercentile(90), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
    }

    /**
     * Runs the phases, prints and writes the percentiles.
     *
     * @param args output file, then optionally {@code --quick}
     * @throws Exception on failure
     */
    public static void main(final String[] args) throws Exception {
        final Path out = args.length > 0 ? Path.of(args[0]) : null;
        final boolean quick = args.length > 1 && "--quick".equals(args[1]);
        final long phaseNanos = TimeUnit.SECONDS.toNanos(quick ? 10 : 30);
        final int rounds = 2;

        final JdkHostClocks clocks = new JdkHostClocks();
        final ValarmDevice device = Valarm.builder().hostClocks(clocks).rtcBackend(new NoWakeRtcBackend(clocks))
                .build();
        final List<Waiter> valarm = new ArrayList<>();
        for (int w = 0; w < WAITERS; w++) {
            final AlarmHandle h = device.createInstance().open(OpenMode.READ_WRITE);
            // The instance's ELAPSED_REALTIME clock is System.nanoTime() plus a fixed offset on the JDK
            // backend; estimate the offset once (the largest of many "instance time - nanoTime" reads is
            // the closest), so each deadline is one nanoTime value, the same for the device and for us.
            long offset = Long.MIN_VALUE;
            for (int i = 0; i < 1000; i++) {
                offset = Math.max(offset, h.getTime(TYPE).toNanos() - System.nanoTime());
            }
            final long instanceOffset = offset;
            valarm.add(delay -> {
                final long deadline = System.nanoTime() + delay;
                h.set(TYPE, Timespec.ofNanos(deadline + instanceOffset));
                final AlarmEvents events = h.await();
                final long late = System.nanoTime() - deadline;
                if (!events.fired(TYPE)) {
                    throw new IllegalStateException("await returned without the alarm: " + events);
                }
                return late;
            });
        }
        final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
        executor.setRemoveOnCancelPolicy(true);
        final Runnable task = () -> { };
        final List<Waiter> stpe = new ArrayList<>();
        for (int w = 0; w < WAITERS; w++) {
            stpe.add(delay -> {
                final long deadline = System.nanoTime() + delay;
                final ScheduledFuture<?> f = executor.schedule(task, delay, TimeUnit.NANOSECONDS);
                f.get();
                return System.nanoTime() - deadline;
            });
        }

        final Result valarmResult = new Result();
        final Result stpeResult = new Result();
        // a short warm-up of both, not recorded
        phase(valarm, TimeUnit.SECONDS.toNanos(2), new Result(), 1);
        phase(stpe, TimeUnit.SECONDS.toNanos(2), new Result(), 2);
        for (int round = 0; round < rounds; round++) {
            phase(valarm, phaseNanos, valarmResult, 100 + round);
            phase(stpe, phaseNanos, stpeResult, 200 + round);
        }
        device.close();
        executor.shutdownNow();

        final String text = String.format(Locale.ROOT,
                "{\"waiters\":%d,\"delayNs\":[%d,%d],\"phaseSeconds\":%d,\"rounds\":%d,\"results\":[%n  %s,%n  %s%n]}%n",
                WAITERS, MIN_DELAY, MAX_DELAY, TimeUnit.NANOSECONDS.toSeconds(phaseNanos), rounds,
                json("valarm", valarmResult), json("executor", stpeResult));
        System.out.print(text);
        if (out != null) {
            Files.writeString(out, text, StandardCharsets.UTF_8);
        }
    }
}
