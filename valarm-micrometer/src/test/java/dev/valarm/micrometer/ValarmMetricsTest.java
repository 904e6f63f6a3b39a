package dev.valarm.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.DeviceStats;
import dev.valarm.InstanceConfig;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.DeviceListener;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.sim.SimulatedMachine;
// The README snippet imports these; same package here.
import dev.valarm.micrometer.InstanceMetrics;
import dev.valarm.micrometer.ValarmMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Micrometer binding against Micrometer's {@link SimpleMeterRegistry}, on simulated time. */
final class ValarmMetricsTest {
    private static final long SEC = 1_000_000_000L;
    private final MeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void theClassExampleWorks() {
        // The example of ValarmMetrics' class comment, as written (on this machine's default device).
        ValarmMetrics metrics = ValarmMetrics.builder(registry).tag("device", "edge-1").build();
        try (ValarmDevice device = Valarm.openDefault(b -> b.listener(metrics.listener()))) {
            metrics.bind(device);                                 // the DeviceStats meters
            ValarmInstance tenant = device.createInstance(InstanceConfig.builder().name("tenant-a").build());
            try (InstanceMetrics perTenant = metrics.bindInstance(tenant)) {   // opt-in: an instance tag
                assertEquals(1.0, registry.get(ValarmMetrics.INSTANCES).tag("device", "edge-1").gauge().value());
                assertEquals(AlarmType.COUNT, registry.get(ValarmMetrics.INSTANCE_LATENESS)
                        .tag("instance", "tenant-a").timers().size());
                assertEquals("tenant-a", perTenant.name());
            }
        }
        assertTrue(registry.find(ValarmMetrics.INSTANCE_LATENESS).meters().isEmpty(), "closed: its timers are gone");
    }

    @Test
    void theDeviceStatsMetersReadTheDevicesCounters() throws Exception {
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        final ValarmMetrics metrics = ValarmMetrics.builder(registry).build();
        try (ValarmDevice device = machine.newDevice(b -> b.listener(metrics.listener()))) {
            metrics.bind(device);
            final AlarmHandle a = device.createInstance().open(OpenMode.READ_WRITE);
            device.createInstance();
            a.set(AlarmType.RTC_WAKEUP, in(a, AlarmType.RTC_WAKEUP, 5));
            a.set(AlarmType.ELAPSED_REALTIME, in(a, AlarmType.ELAPSED_REALTIME, 60));
            machine.awaitIdle();
            assertEquals(2.0, gauge(ValarmMetrics.INSTANCES));
            assertEquals(2.0, gauge(ValarmMetrics.ALARMS_ARMED));
            assertEquals(2.0, counter(ValarmMetrics.ALARMS_SET));
            machine.advance(Duration.ofSeconds(5));
            machine.jumpRealtime(Duration.ofMinutes(1));
            final DeviceStats st = device.stats();
            assertEquals(1, st.alarmsFired());
            assertEquals(st.armedAlarms(), gauge(ValarmMetrics.ALARMS_ARMED));
            assertEquals(st.alarmsFired(), counter(ValarmMetrics.ALARMS_FIRED));
            assertEquals(st.lateDeliveries(), counter(ValarmMetrics.ALARMS_LATE));
            assertEquals(st.hardwareWrites(), counter(ValarmMetrics.HARDWARE_WRITES));
            assertTrue(st.hardwareWrites() >= 1, st.toString());
            assertEquals(st.hardwareCancels(), counter(ValarmMetrics.HARDWARE_CANCELS));
            assertEquals(st.hardwareWakes(), counter(ValarmMetrics.HARDWARE_WAKES));
            assertEquals(st.missedWakeInterrupts(), counter(ValarmMetrics.MISSED_INTERRUPTS));
            assertEquals(st.clockChanges(), counter(ValarmMetrics.CLOCK_CHANGES));
            assertEquals(1.0, counter(ValarmMetrics.CLOCK_CHANGES));
            assertThrows(IllegalStateException.class, () -> metrics.bind(device), "one device per binding");
        }
    }

    @Test
    void backendFaultsAndRetriesAreCounted() throws Exception {
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        final ValarmMetrics metrics = ValarmMetrics.builder(registry).build();
        try (ValarmDevice device = machine.newDevice(b -> b.listener(metrics.listener()))) {
            metrics.bind(device);
            machine.rtc().failNext(dev.valarm.impl.sim.SimulatedRtc.Op.PROGRAM, 1, dev.valarm.Errno.EIO);
            final AlarmHandle a = device.createInstance().open(OpenMode.READ_WRITE);
            a.set(AlarmType.RTC_WAKEUP, in(a, AlarmType.RTC_WAKEUP, 30));
            machine.advance(Duration.ofSeconds(1)); // past the first retry
            final DeviceStats st = device.stats();
            assertEquals(1, st.backendFaults(), st.toString());
            assertEquals(1.0, counter(ValarmMetrics.BACKEND_FAULTS));
            assertEquals(st.backendRetries(), counter(ValarmMetrics.BACKEND_RETRIES));
            assertTrue(st.backendRetries() >= 1, st.toString());
        }
    }

    @Test
    void latenessIsATimerPerTypeAndPerBoundInstanceOnly() throws Exception {
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        final ValarmMetrics metrics = ValarmMetrics.builder(registry).tag("device", "d1").build();
        try (ValarmDevice device = machine.newDevice(b -> b.listener(metrics.listener()))) {
            metrics.bind(device);
            final ValarmInstance bound = device.createInstance(InstanceConfig.builder().name("tenant-a").build());
            final ValarmInstance other = device.createInstance(InstanceConfig.builder().name("tenant-b").build());
            final InstanceMetrics perA = metrics.bindInstance(bound);
            final AlarmHandle a = bound.open(OpenMode.READ_WRITE);
            final AlarmHandle b = other.open(OpenMode.READ_WRITE);
            // Non-wakeup alarms 10 s ahead, then an hour of suspend: they fire on resume, 3590 s late.
            a.set(AlarmType.ELAPSED_REALTIME, in(a, AlarmType.ELAPSED_REALTIME, 10));
            b.set(AlarmType.ELAPSED_REALTIME, in(b, AlarmType.ELAPSED_REALTIME, 10));
            a.set(AlarmType.RTC_WAKEUP, in(a, AlarmType.RTC_WAKEUP, 7200));
            machine.suspend(Duration.ofHours(1));
            assertEquals(AlarmType.ELAPSED_REALTIME.mask(), a.await(Duration.ZERO).mask());
            assertEquals(AlarmType.ELAPSED_REALTIME.mask(), b.await(Duration.ZERO).mask());

            final Timer type = registry.get(ValarmMetrics.LATENESS).tags("device", "d1", "type", "ELAPSED_REALTIME").timer();
            assertEquals(2, type.count());
            assertEquals(3590.0 * 2, type.totalTime(TimeUnit.SECONDS), 1e-6);
            assertEquals(3590.0, type.max(TimeUnit.SECONDS), 1e-6);
            final Timer perInstance = registry.get(ValarmMetrics.INSTANCE_LATENESS)
                    .tags("device", "d1", "instance", "tenant-a", "type", "ELAPSED_REALTIME").timer();
            assertEquals(1, perInstance.count());
            assertEquals(3590.0, perInstance.totalTime(TimeUnit.SECONDS), 1e-6);
            assertTrue(registry.find(ValarmMetrics.INSTANCE_LATENESS).tag("instance", "tenant-b").meters().isEmpty(),
                    "an instance that was not bound has no series of its own");

            machine.advance(Duration.ofHours(1)); // the wakeup alarm fires on time
            assertEquals(1, registry.get(ValarmMetrics.LATENESS).tag("type", "RTC_WAKEUP").timer().count());
            assertEquals(0.0, registry.get(ValarmMetrics.LATENESS).tag("type", "RTC_WAKEUP").timer()
                    .totalTime(TimeUnit.NANOSECONDS));

            assertThrows(IllegalStateException.class, () -> metrics.bindInstance(bound), "bound twice");
            perA.close();
            perA.close();
            assertTrue(registry.find(ValarmMetrics.INSTANCE_LATENESS).meters().isEmpty());
            try (InstanceMetrics again = metrics.bindInstance(bound)) {
                assertEquals(bound.minor(), again.minor());
            }
        }
    }

    @Test
    void everyHardwareDecisionIsCountedWithWhetherItWasWritten() throws Exception {
        final SimulatedMachine wakes = SimulatedMachine.builder().build();
        final ValarmMetrics metrics = ValarmMetrics.builder(registry).tag("rtc", "wakes").build();
        try (ValarmDevice device = wakes.newDevice(b -> b.listener(metrics.listener()))) {
            final AlarmHandle a = device.createInstance().open(OpenMode.READ_WRITE);
            a.set(AlarmType.RTC_WAKEUP, in(a, AlarmType.RTC_WAKEUP, 30));
            wakes.awaitIdle();
            a.clear(AlarmType.RTC_WAKEUP);
            wakes.awaitIdle();
            assertEquals(1.0, decisions("wakes", "program", true));
            assertEquals(1.0, decisions("wakes", "cancel", true));
            assertEquals(0.0, decisions("wakes", "program", false));
        }
        final SimulatedMachine noWake = SimulatedMachine.builder().rtcCanWake(false).build();
        final ValarmMetrics decided = ValarmMetrics.builder(registry).tag("rtc", "no-wake").build();
        try (ValarmDevice device = noWake.newDevice(b -> b.listener(decided.listener()))) {
            final AlarmHandle a = device.createInstance().open(OpenMode.READ_WRITE);
            a.set(AlarmType.RTC_WAKEUP, in(a, AlarmType.RTC_WAKEUP, 30));
            noWake.awaitIdle();
            assertEquals(1.0, decisions("no-wake", "program", false), "decided and reported, never written");
            assertEquals(0.0, decisions("no-wake", "program", true));
            assertEquals(0, device.stats().hardwareWrites());
        }
    }

    @Test
    void theListenerAllocatesNothingPerFiringOrDecision() {
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        final ValarmMetrics metrics = ValarmMetrics.builder(registry).build();
        try (ValarmDevice device = machine.newDevice(b -> b.listener(metrics.listener()))) {
            final ValarmInstance inst = device.createInstance(InstanceConfig.builder().name("hot").build());
            metrics.bindInstance(inst);
            final DeviceListener l = metrics.listener();
            final int minor = inst.minor();
            final Timespec at = Timespec.ofSeconds(1);
            final Runnable burst = () -> {
                for (int i = 0; i < 100_000; i++) {
                    l.alarmFired(minor, AlarmType.RTC_WAKEUP, i, i + 1_000L + (i & 1023));
                    l.alarmFired(minor + 1, AlarmType.ELAPSED_REALTIME, i, i + 7L);
                    l.hardwareProgrammed(at, false, 5L, true);
                    l.hardwareUnchanged(at);
                }
            };
            burst.run(); // warm-up: JIT and the meters' lazily built internals
            final com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            final long id = Thread.currentThread().getId();
            final long before = threads.getThreadAllocatedBytes(id);
            burst.run();
            final long allocated = threads.getThreadAllocatedBytes(id) - before;
            // 400,000 callbacks: even 16 bytes each would be 6.4 MB; allow a little for the measurement itself.
            assertTrue(allocated < 64 * 1024, allocated + " bytes allocated by 400,000 listener calls");
            assertEquals(200_000, registry.get(ValarmMetrics.INSTANCE_LATENESS).tag("instance", "hot")
                    .tag("type", "RTC_WAKEUP").timer().count());
        }
    }

    @Test
    void closeRemovesEveryMeterAndRefusesNewBindings() {
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        final ValarmMetrics metrics = ValarmMetrics.builder(registry).build();
        try (ValarmDevice device = machine.newDevice(b -> b.listener(metrics.listener()))) {
            metrics.bind(device);
            final ValarmInstance inst = device.createInstance();
            metrics.bindInstance(inst);
            assertTrue(registry.getMeters().size() > 20, registry.getMeters().toString());
            metrics.close();
            assertEquals(0, registry.getMeters().size(), registry.getMeters().stream().map(Meter::getId).toList().toString());
            assertThrows(IllegalStateException.class, () -> metrics.bindInstance(inst));
            metrics.close();
        }
    }

    private double gauge(final String name) {
        final Gauge g = registry.get(name).gauge();
        return g.value();
    }

    private double counter(final String name) {
        final FunctionCounter c = registry.get(name).functionCounter();
        return c.count();
    }

    private double decisions(final String rtc, final String decision, final boolean written) {
        final Counter c = registry.find(ValarmMetrics.HARDWARE_DECISIONS).tags("rtc", rtc, "decision", decision,
                "written", Boolean.toString(written)).counter();
        assertTrue(c != null, "counter " + decision + "/" + written);
        return c.count();
    }

    private static Timespec in(final AlarmHandle h, final AlarmType type, final long seconds) {
        return Timespec.ofNanos(h.getTime(type).toNanos() + seconds * SEC);
    }

    @Test
    void nothingIsRecordedForAMinorThatIsNotBound() {
        final ValarmMetrics metrics = ValarmMetrics.builder(registry).build();
        metrics.listener().alarmFired(123_456, AlarmType.RTC, 0L, 5L);
        metrics.listener().alarmFired(-1, AlarmType.RTC, 10L, 5L); // early: counts as 0, no failure
        assertEquals(2, registry.get(ValarmMetrics.LATENESS).tag("type", "RTC").timer().count());
        assertNull(registry.find(ValarmMetrics.INSTANCE_LATENESS).timer());
    }
}
