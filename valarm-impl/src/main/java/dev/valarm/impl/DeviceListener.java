package dev.valarm.impl;

import dev.valarm.AlarmType;
import dev.valarm.Timespec;

/**
 * Observes a device's decisions: every alarm fired and every hardware wake-alarm programming. Used by
 * the demo and the timeline; useful for metrics.
 *
 * <p>Threading contract: every callback runs on the device's <em>delivery thread</em> (named after the
 * dispatcher thread with {@code "-delivery"} appended, see {@link Valarm.Builder#threadName}), one call at
 * a time, in the order in which the device made the decisions, and never under the device's lock or on
 * the dispatcher thread. The device records a decision with its values when it makes it (for
 * {@link #alarmFired}, the firing time {@code hostNowNanos} is taken in the expiry loop, so lateness
 * computed from it is exact) and the call follows shortly after; asynchronous-wait completions go through
 * the same thread, in the same order. A listener may therefore block, be slow or call into the device
 * (which then shows its state at the time of the call, possibly later than the decision reported): that
 * delays only later listener calls and completions, never firing or the hardware. An exception thrown by
 * a callback is logged and ignored. On a {@link dev.valarm.impl.sim.SimulatedMachine}, each control returns
 * only after the listener calls it caused have run. Calls stop once {@link dev.valarm.ValarmDevice#close}
 * has returned (close waits for the queued ones, up to 10 s).
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
     * @param hostDeadlineNanos the time the alarm was set for on the type's host clock base (for an alarm
     *        with a tolerance window, the window's start)
     * @param hostNowNanos the time on that base when it fired
     */
    default void alarmFired(final int minor, final AlarmType type, final long hostDeadlineNanos,
            final long hostNowNanos) {
    }

    /**
     * The hardware wake alarm was programmed (or, on a backend that cannot wake, would have been).
     *
     * @param rtcTime the alarm time on the RTC's clock
     * @param clamped whether the wanted time was beyond the RTC's furthest alarm and was clamped
     * @param remainingNanos how far ahead the earliest wakeup deadline (window end) was
     * @param written false when the backend cannot wake the machine, so nothing was written to it
     */
    default void hardwareProgrammed(final Timespec rtcTime, final boolean clamped, final long remainingNanos,
            final boolean written) {
    }

    /**
     * A programming was skipped because the wanted second did not change.
     *
     * @param rtcTime the already programmed alarm time
     */
    default void hardwareUnchanged(final Timespec rtcTime) {
    }

    /**
     * The hardware wake alarm was cancelled because no wakeup alarm is left (or, on a backend that cannot
     * wake, would have been).
     *
     * @param written false when the backend cannot wake the machine, so nothing was written to it
     */
    default void hardwareCancelled(final boolean written) {
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
