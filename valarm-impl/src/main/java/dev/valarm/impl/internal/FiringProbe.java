package dev.valarm.impl.internal;

import dev.valarm.AlarmType;
import dev.valarm.ValarmInstance;

/**
 * A test-only observer of firings, called by the dispatcher <em>under the firing instance's lock</em>
 * ({@link DriverAccess#lock(ValarmInstance)}), at the moment an alarm moves from armed to pending, so that a
 * model checker that changes an instance only while it holds that lock sees the exact order of events on
 * that instance (the load tests' checker). There is no device-wide lock: firings of different instances
 * may be reported concurrently with each other and with calls on other instances. The probe is given the
 * instance itself, not only its minor, because a minor is reused once its instance is closed. It is not API
 * and not reachable through it: user code observes firings through {@link dev.valarm.impl.DeviceListener},
 * which is never called under the lock. Implementations must be fast, must not block and must not call into
 * the device, except to read the instance's clocks and offsets.
 */
@FunctionalInterface
public interface FiringProbe {
    /**
     * An alarm fired.
     *
     * @param instance the instance whose alarm fired (its lock is held by the calling thread)
     * @param type the type
     * @param hostDeadlineNanos the time it was set for on the type's host base (a window's start)
     * @param hostNowNanos the time on that base that the dispatcher read for this pass (before it took the
     *        instance's lock, so at or before the moment of firing)
     */
    void fired(ValarmInstance instance, AlarmType type, long hostDeadlineNanos, long hostNowNanos);
}
