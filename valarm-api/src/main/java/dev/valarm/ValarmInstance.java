package dev.valarm;

import java.time.Clock;
import java.time.Duration;

/**
 * One virtual alarm device (one "minor" of {@code /dev/alarm}): one alarm per type, enabled and pending
 * masks, an owner, waiters, and its own clocks. Its wall clock is the host's plus an offset that a
 * handle can change with SET_RTC; its boot-time and monotonic clocks are the host's plus offsets fixed
 * at creation.
 *
 * <p>Callers hold the instance they were given; there is no "current" instance. Nothing reachable from
 * an instance reads or changes another instance or the host clocks.
 *
 * <p>Thread-safety: every method is safe to call from any thread.
 */
public interface ValarmInstance extends AutoCloseable {

    /**
     * The minor number, unique on the device while the instance lives.
     *
     * @return the minor
     */
    int minor();

    /**
     * The name.
     *
     * @return the name given at creation or {@code "valarm<minor>"}
     */
    String name();

    /**
     * Opens a handle, as {@code open(2)} on the device node would.
     *
     * @param mode read-only (GET_TIME only) or read-write
     * @return a new handle
     * @throws ValarmClosedException (ENODEV) if the instance or device is closed
     */
    AlarmHandle open(OpenMode mode);

    /**
     * The time of an alarm type's clock as this instance sees it (what GET_TIME returns).
     *
     * @param type the alarm type, not null
     * @return the instance's time on that type's clock
     * @throws ValarmClosedException (ENODEV) if the instance or device is closed
     */
    Timespec now(AlarmType type);

    /**
     * A {@link Clock} (UTC) view of this instance's wall clock. It follows every later SET_RTC and host
     * clock change. The view is immutable and thread-safe.
     *
     * @return the clock view
     */
    Clock clock();

    /**
     * The current wall-clock offset: instance realtime minus host realtime.
     *
     * @return the offset
     */
    Duration wallClockOffset();

    /**
     * Whether the instance was closed.
     *
     * @return true once closed
     */
    boolean isClosed();

    /**
     * Destroys the instance: cancels its alarms, discards its events, wakes its waiters with a
     * {@link ValarmClosedException} and frees its minor. Idempotent.
     */
    @Override
    void close();
}
