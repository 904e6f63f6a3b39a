package dev.valarm.impl;

import dev.valarm.AlarmType;
import dev.valarm.Timespec;

/**
 * Observes a device's decisions: every alarm fired and every hardware wake-alarm programming. Used by
 * the demo and the timeline; useful for metrics.
 *
 * <p>Thread-safety: callbacks come from the device's dispatcher thread. {@link #alarmFired} is called
 * while the device's lock is held: implementations must be fast, must not block, must not call back
 * into the device and must not throw.
 */
public interface DeviceListener {

    /** A listener that ignores everything. */
    DeviceListener NONE = new DeviceListener() {
    };

    /**
     * An alarm fired (moved from enabled to pending on its instance).
     *
     * @param minor the instance's minor
     * @param type the alarm type
     * @param hostDeadlineNanos the deadline on the type's host clock base
     * @param hostNowNanos the time on that base when it fired
     */
    default void alarmFired(final int minor, final AlarmType type, final long hostDeadlineNanos,
            final long hostNowNanos) {
    }

    /**
     * The hardware wake alarm was programmed.
     *
     * @param rtcTime the alarm time on the RTC's clock
     * @param clamped whether the wanted time was beyond the RTC's furthest alarm and was clamped
     * @param remainingNanos how far ahead the earliest wakeup deadline was
     */
    default void hardwareProgrammed(final Timespec rtcTime, final boolean clamped, final long remainingNanos) {
    }

    /**
     * A programming was skipped because the wanted second did not change.
     *
     * @param rtcTime the already programmed alarm time
     */
    default void hardwareUnchanged(final Timespec rtcTime) {
    }

    /** The hardware wake alarm was cancelled (no wakeup alarm is left). */
    default void hardwareCancelled() {
    }

    /**
     * The backend reported the wake alarm firing.
     */
    default void hardwareFired() {
    }

    /**
     * A backend call failed; it will be retried.
     *
     * @param operation what failed
     * @param error the failure
     */
    default void backendFault(final String operation, final RuntimeException error) {
    }
}
