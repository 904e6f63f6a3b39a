package dev.valarm.spi;

import dev.valarm.ClockBase;

/**
 * The host's three clock bases, and the one place the device's dispatcher sleeps.
 *
 * <p>Nanosecond values: {@link ClockBase#REALTIME} counts from the Unix epoch; {@link ClockBase#BOOTTIME}
 * and {@link ClockBase#MONOTONIC} count from an arbitrary origin (boot). A deadline of
 * {@link #NO_DEADLINE} means "none on this base".
 *
 * @implSpec Implementations must be thread-safe. {@link #awaitDeadline} has one caller at a time (the
 *           dispatcher); {@link #nanos} and {@link #wakeup()} may be called from any thread at any time,
 *           and {@code nanos} must not allocate.
 */
public interface HostClocks extends AutoCloseable {

    /** The deadline value meaning "no deadline on this base". */
    long NO_DEADLINE = Long.MAX_VALUE;

    /**
     * A short name, such as {@code "linux-clocks"}.
     *
     * @return the name
     */
    String name();

    /**
     * Reads one clock base.
     *
     * @param base the base, not null
     * @return its time in nanoseconds
     */
    long nanos(ClockBase base);

    /**
     * Whether {@link #setRealtime} can work here (it may still fail, for example without privilege).
     *
     * @return true if setting the host clock is implemented
     */
    boolean canSetRealtime();

    /**
     * Sets the host realtime clock.
     *
     * @param epochNanos nanoseconds since the epoch
     * @throws RtcException EPERM without the privilege, EOPNOTSUPP where not implemented, or the
     *         syscall's errno
     */
    void setRealtime(long epochNanos);

    /**
     * Blocks until the earliest of the three absolute deadlines passes on its base, the realtime clock is
     * set, another thread calls {@link #wakeup()}, or (spuriously) earlier. A wakeup that arrived
     * while nobody was waiting makes the next call return at once.
     *
     * @param realtimeDeadline absolute deadline on REALTIME, or {@link #NO_DEADLINE}
     * @param boottimeDeadline absolute deadline on BOOTTIME, or {@link #NO_DEADLINE}
     * @param monotonicDeadline absolute deadline on MONOTONIC, or {@link #NO_DEADLINE}
     * @return why it returned; {@link WakeReason#CLOCK_SET} takes precedence over the others
     * @throws RtcException if the underlying wait fails in a way that cannot be retried
     */
    WakeReason awaitDeadline(long realtimeDeadline, long boottimeDeadline, long monotonicDeadline);

    /** Makes the current (or next) {@link #awaitDeadline} return {@link WakeReason#WOKEN}. */
    void wakeup();

    /** Releases the clocks' resources; a blocked waiter returns. */
    @Override
    void close();
}
