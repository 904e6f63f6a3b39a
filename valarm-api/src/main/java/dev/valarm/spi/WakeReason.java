package dev.valarm.spi;

/**
 * Why {@link HostClocks#awaitDeadline} returned.
 *
 * <p>Thread-safety: immutable.
 */
public enum WakeReason {
    /** A deadline on one of the bases has passed. */
    DEADLINE,
    /** The host realtime clock was set (or the machine resumed); realtime deadlines must be re-read. */
    CLOCK_SET,
    /**
     * Another thread called {@link HostClocks#wakeup()}, or the waiting thread was interrupted (an
     * implementation blocked in a native call may only notice an interrupt set before the call).
     */
    WOKEN,
    /** No reason: the caller re-reads the clocks and decides (spurious wakes are allowed). */
    SPURIOUS
}
