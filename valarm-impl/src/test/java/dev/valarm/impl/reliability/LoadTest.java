package dev.valarm.impl.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.DeviceStats;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.jdk.JdkHostClocks;
import dev.valarm.impl.jdk.NoWakeRtcBackend;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.spi.WakeAlarm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Load: 8 worker threads on thousands of instances for a bounded time, checked by {@link LoadHarness}.
 * On the simulated machine a ninth thread drives time (and, in the fault variant, jumps the host clock a
 * day forward and back); on the real clock (the portable JDK backend) the run is short.
 */
class LoadTest {
    static final int WORKERS = 8;
    /** How long an operation (a bounded WAIT included) may take before the thread counts as stuck. */
    static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(10);

    @Test
    void simulatedClocks() throws Exception {
        final Report r = runSimulated("load-simulated", 4000, Duration.ofMillis((long) (8000 * Math.max(0.25, Report.scale()))),
                false, null);
        assertTrue((Long) r.get("operations") > 10_000, "too few operations: " + r.get("operations"));
    }

    @Test
    void realClock() throws Exception {
        final long seed = Report.seed(0x10ad_4ea1L);
        final Random rnd = new Random(seed);
        final LoadHarness.ListenerCount listener = new LoadHarness.ListenerCount();
        final ValarmDevice device = Valarm.builder().hostClocks(new JdkHostClocks())
                .rtcBackend(new NoWakeRtcBackend(new JdkHostClocks())).listener(listener).threadName("valarm-load-real").build();
        listener.deviceLock = DriverAccess.lock(device);
        final LoadHarness h = new LoadHarness(device, 4096, Duration.ofMillis(300), Duration.ofSeconds(2),
                Duration.ofSeconds(1));
        try {
            final List<List<Integer>> parts = h.createInstances(800, WORKERS, rnd);
            final long stopAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3000);
            final List<Thread> threads = startWorkers(h, parts, seed, stopAt);
            joinWorkers(h, threads);
            // Drain: wait (on events, with timeouts) until every armed alarm has fired.
            final long drainEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (h.anyArmed() && System.nanoTime() < drainEnd) {
                h.awaitOneArmed(Duration.ofSeconds(1));
            }
            assertFalse(h.anyArmed(), "alarms still armed 20 s after the run");
            h.collectAll();
            h.checkAccounts();
            final DeviceStats stats = device.stats();
            assertEquals(h.fired, stats.alarmsFired(), "the device's count of firings");
            assertEquals(h.sets, stats.alarmsSet(), "the device's count of SETs");
            h.closeAll();
            assertEquals(0, device.stats().armedAlarms(), "heaps empty");
            assertEquals(0, device.stats().instances());
            device.close(); // the delivery thread runs what is queued before close returns
            assertEquals(h.fired, listener.fired.get(), "the listener saw every firing");
            h.violations.addAll(listener.violations);
            final Report rep = new Report("load-real-clock").put("seed", seed).put("instances", 800)
                    .put("threads", WORKERS).put("backend", device.describe());
            h.report(rep);
            rep.write();
            assertTrue(h.violations.isEmpty(), () -> "violations: " + first(h));
        } finally {
            device.close();
        }
    }

    static String first(final LoadHarness h) {
        return h.violations.size() + " " + h.violations.stream().limit(10).toList();
    }

    static List<Thread> startWorkers(final LoadHarness h, final List<List<Integer>> parts, final long seed,
            final long stopAt) {
        final List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < parts.size(); w++) {
            final List<Integer> mine = parts.get(w);
            final long s = seed * 31 + w;
            final Thread t = new Thread(() -> h.work(mine, s, System::nanoTime, stopAt), "load-worker-" + w);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        return threads;
    }

    static void joinWorkers(final LoadHarness h, final List<Thread> threads) throws InterruptedException {
        for (final Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
            if (t.isAlive()) {
                h.violations.add("worker stuck: " + t.getName() + " " + List.of(t.getStackTrace()));
            }
        }
        if (h.maxOpNanos.get() > STUCK_NANOS) {
            h.violations.add("an operation took " + h.maxOpNanos.get() / 1_000_000 + " ms");
        }
    }

    /**
     * The simulated run: workers plus a time-driving thread, then a drain, the checks and the report.
     *
     * @param hostJumps whether the time thread jumps the host clock a day forward and back
     * @param during run by the time thread once per step (fault injection), or null
     */
    static Report runSimulated(final String name, final int instances, final Duration runFor, final boolean hostJumps,
            final java.util.function.BiConsumer<SimulatedMachine, Random> during) throws Exception {
        final long seed = Report.seed(0x51_0ad_5eedL ^ name.hashCode());
        final Random rnd = new Random(seed);
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        final LoadHarness.ListenerCount listener = new LoadHarness.ListenerCount();
        final ValarmDevice device = machine.newDevice(b -> b.listener(listener).maxInstances(8192).threadName("valarm-" + name));
        listener.deviceLock = DriverAccess.lock(device);
        final LoadHarness h = new LoadHarness(device, 8192, Duration.ofSeconds(30), Duration.ofMinutes(60),
                Duration.ofSeconds(2));
        try {
            final List<List<Integer>> parts = h.createInstances(instances, WORKERS, rnd);
            final long stopAt = System.nanoTime() + runFor.toNanos();
            final List<Thread> threads = startWorkers(h, parts, seed, stopAt);
            final AtomicBoolean workersDone = new AtomicBoolean();
            final AtomicLong steps = new AtomicLong();
            final AtomicLong jumps = new AtomicLong();
            final long[] simNanos = new long[1];
            final Random trnd = new Random(seed ^ 0x7173);
            final Thread timeDriver = new Thread(() -> {
                long net = 0;
                while (!workersDone.get()) {
                    final boolean ending = System.nanoTime() >= stopAt;
                    if (ending) {
                        h.measureLateness = false;
                    }
                    if (ending && net < 0) {
                        machine.jumpRealtime(Duration.ofDays(1));
                        net += 1;
                        jumps.incrementAndGet();
                    }
                    final long step = ending ? TimeUnit.MINUTES.toNanos(10) : TimeUnit.MILLISECONDS.toNanos(1 + trnd.nextInt(100));
                    machine.advance(Duration.ofNanos(step));
                    if (!ending) {
                        simNanos[0] += step;
                    }
                    steps.incrementAndGet();
                    if (!ending && hostJumps && trnd.nextInt(200) == 0) {
                        final int dir = net > 0 ? -1 : 1;
                        machine.jumpRealtime(Duration.ofDays(dir));
                        net += dir;
                        jumps.incrementAndGet();
                    }
                    if (!ending && during != null) {
                        during.accept(machine, trnd);
                    }
                }
            }, "load-time-driver");
            timeDriver.setDaemon(true);
            timeDriver.start();
            joinWorkers(h, threads);
            workersDone.set(true);
            timeDriver.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(timeDriver.isAlive(), "time driver stuck");

            // Drain: every armed alarm is at most 30 s plus one hour of SET_RTC (plus a day of host jump) away.
            machine.advance(Duration.ofDays(3));
            assertFalse(h.anyArmed(), "alarms still armed three simulated days after the run");
            h.collectAll();
            h.checkAccounts();
            final DeviceStats stats = device.stats();
            assertEquals(h.fired, stats.alarmsFired(), "the device's count of firings");
            assertEquals(h.sets, stats.alarmsSet(), "the device's count of SETs");
            assertEquals(h.fired, listener.fired.get(), "the listener saw every firing (advance waited for it)");
            h.violations.addAll(listener.violations);
            h.closeAll();
            machine.awaitIdle();
            final DeviceStats end = device.stats();
            assertEquals(0, end.armedAlarms(), "heaps empty");
            assertEquals(0, end.instances());
            assertEquals(WakeAlarm.DISABLED, machine.rtc().alarm(), "no hardware alarm left programmed");
            final Report rep = new Report(name).put("seed", seed).put("instances", instances).put("threads", WORKERS)
                    .put("timeSteps", steps.get()).put("simulatedSecondsUnderLoad", simNanos[0] / 1_000_000_000L)
                    .put("hostClockJumps", jumps.get()).put("hardwareWrites", end.hardwareWrites())
                    .put("hardwareCancels", end.hardwareCancels()).put("backendFaults", end.backendFaults())
                    .put("backendRetries", end.backendRetries()).put("lateDeliveries", end.lateDeliveries())
                    .put("hostClockChangesSeen", end.clockChanges()).put("runMillis", runFor.toMillis());
            h.report(rep);
            rep.write();
            assertTrue(h.violations.isEmpty(), () -> "violations: " + first(h));
            // Simulated time moves in steps of at most 100 ms while workers arm alarms concurrently: an alarm
            // armed inside a step fires at the end of that step at the latest. Two steps of margin.
            assertTrue(h.maxLateNanos <= TimeUnit.MILLISECONDS.toNanos(200), "late by " + h.maxLateNanos + " ns: "
                    + h.worstLate);
            return rep;
        } finally {
            device.close();
        }
    }
}
