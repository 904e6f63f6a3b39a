package dev.valarm.impl.schedule;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SimulatedMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A simulated machine (wall clock 2026-01-01T00:00:00Z, 1000 s since boot), a device on it, an instance and
 * a scheduler that owns it. Time moves only when a test moves it; tests wait for events (a task's future)
 * with a timeout of real time, never for time to pass.
 */
abstract class SchedulerFixture {
    static final long TIMEOUT = Await.TIMEOUT;
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    SimulatedMachine machine;
    ValarmDevice device;
    ValarmInstance inst;
    InstanceScheduler scheduler;
    private final List<InstanceScheduler> schedulers = new ArrayList<>();

    @BeforeEach
    void startScheduler() {
        machine = SimulatedMachine.builder().realtime(T0).build();
        device = machine.newDevice();
        inst = device.createInstance();
        scheduler = track(InstanceScheduler.open(inst));
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        try {
            for (final InstanceScheduler s : schedulers) {
                s.shutdownNow();
                assertTrue(s.awaitTermination(TIMEOUT, TimeUnit.SECONDS), "terminated: " + s);
            }
        } finally {
            device.close();
        }
    }

    InstanceScheduler track(final InstanceScheduler s) {
        schedulers.add(s);
        return s;
    }

    /** The instance's wall clock now. */
    static Instant wall(final ValarmInstance in) {
        return in.now(AlarmType.RTC).toInstant();
    }

    /** The instance's time on an elapsed type's clock, as a duration since its zero. */
    static Duration elapsed(final ValarmInstance in, final AlarmType type) {
        return in.now(type).toDuration();
    }

    /** Sets the instance's wall clock (SET_RTC) through a second writable handle, as another process would. */
    static void setRtc(final ValarmInstance in, final Instant time) {
        try (AlarmHandle h = in.open(OpenMode.READ_WRITE)) {
            h.setRtc(Timespec.of(time));
        }
    }

    static <T> T get(final Future<T> f) throws Exception {
        return f.get(TIMEOUT, TimeUnit.SECONDS);
    }

    static void awaitTrue(final BooleanSupplier condition, final String what) {
        Await.awaitTrue(condition, what);
    }

    /** Waits until the device holds no suspend blocker (the scheduler's next WAIT acknowledged a firing). */
    void awaitBlockerReleased() {
        awaitTrue(() -> machine.suspendBlocker().heldTags().isEmpty(), "the scheduler to acknowledge the last firing");
    }
}
