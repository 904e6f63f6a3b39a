package dev.valarm.impl.reliability;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.ClockBase;
import dev.valarm.InstanceConfig;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.internal.InstanceLock;
import dev.valarm.impl.sim.SimulatedMachine;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The load checker ({@link LoadHarness}) itself, with per-instance locks and the change queue (issue 14): it
 * must pass the device's real firings and catch each way a firing report could be wrong without the device
 * noticing. Each case feeds the checker's probe the report a broken device would make; with the probe of the
 * single-lock days (a minor and the dispatcher's time, trusted) each of them passed.
 */
class LoadCheckerExactnessTest {
    private static final long SEC = 1_000_000_000L;

    private SimulatedMachine machine;
    private ValarmDevice device;
    private LoadHarness harness;

    @BeforeEach
    void setUp() {
        machine = SimulatedMachine.builder().build();
        device = machine.newDevice(b -> b.maxInstances(64).threadName("valarm-checker-test"));
    }

    @AfterEach
    void tearDown() {
        device.close();
    }

    /** The checker on {@code n} instances (minors 0 to n - 1 unless taken). */
    private List<List<Integer>> model(final int n) {
        harness = new LoadHarness(device, 64, Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofSeconds(1));
        return harness.createInstances(n, 1, new Random(1));
    }

    private ValarmInstance instance(final int minor) {
        return device.instance(minor).orElseThrow();
    }

    /** Reports a firing to the checker as the dispatcher does: under the instance's lock. */
    private void reportUnderLock(final ValarmInstance in, final long hostDeadline, final long hostNow) {
        final InstanceLock il = DriverAccess.lock(in);
        il.lock();
        try {
            harness.fired(in, ELAPSED_REALTIME, hostDeadline, hostNow);
        } finally {
            il.unlock();
        }
    }

    @Test
    void realFiringsPassAndAreCounted() {
        final int m = model(2).get(0).get(0);
        harness.set(m, ELAPSED_REALTIME_WAKEUP, Duration.ofSeconds(5));
        harness.set(m, ELAPSED_REALTIME, Duration.ofSeconds(7));
        machine.advance(Duration.ofSeconds(8));
        assertEquals(List.of(), List.copyOf(harness.violations));
        assertEquals(2, harness.fired);
        harness.collectAll();
        harness.checkAccounts();
        assertEquals(List.of(), List.copyOf(harness.violations));
        assertEquals(2, harness.delivered);
    }

    @Test
    void aFiringOfAClosedInstanceIsNotTakenForItsSuccessorAtTheSameMinor() {
        final ValarmInstance old = device.createInstance(InstanceConfig.builder().minor(0).build());
        old.close(); // minor 0 is free again: the checker's first instance gets it
        final int m = model(1).get(0).get(0);
        assertEquals(0, m);
        harness.set(m, ELAPSED_REALTIME, Duration.ofSeconds(5));
        final long now = machine.nanos(ClockBase.BOOTTIME) + 10 * SEC;
        reportUnderLock(old, now, now); // a stale entry of the closed instance, fired by a broken device
        assertTrue(harness.violations.stream().anyMatch(v -> v.contains("closed")), () -> List.copyOf(harness.violations).toString());
    }

    @Test
    void aFiringReportedWithoutTheInstanceLockIsAViolation() {
        final int m = model(1).get(0).get(0);
        harness.set(m, ELAPSED_REALTIME, Duration.ofSeconds(5));
        machine.advance(Duration.ofSeconds(4)); // not due yet: the device fires nothing
        final long now = machine.nanos(ClockBase.BOOTTIME) + SEC;
        harness.fired(instance(m), ELAPSED_REALTIME, now, now);
        assertTrue(harness.violations.stream().anyMatch(v -> v.contains("without the instance's lock")),
                () -> List.copyOf(harness.violations).toString());
    }

    @Test
    void aFiringAtATimeTheClockHasNotReachedIsAViolationWhateverTheDispatcherReports() {
        final int m = model(1).get(0).get(0);
        harness.set(m, ELAPSED_REALTIME, Duration.ofSeconds(5));
        final long clock = machine.nanos(ClockBase.BOOTTIME);
        // A broken device that believes it is 5 s later than it is: its own report says "due".
        reportUnderLock(instance(m), clock + 5 * SEC, clock + 5 * SEC);
        assertTrue(harness.violations.stream().anyMatch(v -> v.contains("clock has not reached")),
                () -> List.copyOf(harness.violations).toString());
    }

    @Test
    void aFiringOfAReplacedDeadlineIsAViolation() {
        final int m = model(1).get(0).get(0);
        harness.set(m, ELAPSED_REALTIME, Duration.ofSeconds(5));
        harness.set(m, ELAPSED_REALTIME, Duration.ofSeconds(50)); // replaces it
        machine.advance(Duration.ofSeconds(6));
        assertEquals(List.of(), List.copyOf(harness.violations), "the device fired nothing");
        assertEquals(0, harness.fired);
        // A broken device firing the replaced deadline (a stale queued change) at its time.
        final long now = machine.nanos(ClockBase.BOOTTIME);
        reportUnderLock(instance(m), now - SEC, now);
        assertTrue(harness.violations.stream().anyMatch(v -> v.contains("fired early")),
                () -> List.copyOf(harness.violations).toString());
    }
}
