package dev.valarm.impl.internal;

import dev.valarm.AlarmType;

/**
 * A test-only observer of firings, called by the dispatcher <em>under the device lock</em>, at the moment
 * an alarm moves from armed to pending, so that a model checker holding the same lock sees the exact order
 * of events (the load tests' checker). It is not API and not reachable through it: user code observes
 * firings through {@link dev.valarm.impl.DeviceListener}, which is never called under the lock.
 * Implementations must be fast, must not block and must not call into the device.
 */
@FunctionalInterface
public interface FiringProbe {
    /**
     * An alarm fired.
     *
     * @param minor the instance's minor
     * @param type the type
     * @param hostDeadlineNanos the time it was set for on the type's host base (a window's start)
     * @param hostNowNanos the time on that base when it fired
     */
    void fired(int minor, AlarmType type, long hostDeadlineNanos, long hostNowNanos);
}
