package dev.valarm.impl;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SimulatedMachine;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A simulated machine, a device on it, one instance and its owner-to-be handle. */
abstract class SimFixture {
    static final long SEC = 1_000_000_000L;
    static final Duration WAIT = Duration.ofSeconds(10);

    SimulatedMachine machine;
    ValarmDevice device;
    ValarmInstance inst;
    AlarmHandle rw;

    SimulatedMachine.Builder machineBuilder() {
        return SimulatedMachine.builder();
    }

    @BeforeEach
    void startDevice() {
        machine = machineBuilder().build();
        device = machine.newDevice();
        inst = device.createInstance();
        rw = inst.open(OpenMode.READ_WRITE);
    }

    @AfterEach
    void closeDevice() {
        device.close();
    }

    /** The instance's time on the type's clock plus {@code seconds}. */
    static Timespec in(final AlarmHandle h, final AlarmType type, final double seconds) {
        return Timespec.ofNanos(h.getTime(type).toNanos() + (long) (seconds * SEC));
    }

    long host(final ClockBase base) {
        return machine.nanos(base);
    }

    void advanceSeconds(final double seconds) {
        machine.advance(Duration.ofNanos((long) (seconds * SEC)));
    }

    /** Spins until {@code condition} holds, failing after {@link #WAIT} of real time (an event, not a sleep). */
    static void awaitTrue(final BooleanSupplier condition, final String what) {
        final long end = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + WAIT + " waiting for " + what);
            }
            Thread.onSpinWait();
        }
    }

    /** Waits until {@code n} threads are blocked inside a handle's WAIT. */
    static void awaitBlockedWaiters(final int n) {
        awaitTrue(() -> {
            int blocked = 0;
            for (final Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getState() == Thread.State.WAITING) {
                    for (final StackTraceElement e : t.getStackTrace()) {
                        if (e.getMethodName().equals("waitFor")) {
                            blocked++;
                            break;
                        }
                    }
                }
            }
            return blocked >= n;
        }, n + " waiter(s) to block in WAIT");
    }
}
