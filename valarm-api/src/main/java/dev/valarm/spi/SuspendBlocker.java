package dev.valarm.spi;

import java.time.Duration;

/**
 * The driver's wakelock: held from the moment an alarm fires until the owner acknowledges it (waits
 * again, clears it, closes) or the timeout passes, so the machine does not suspend before the owner
 * has seen the alarm.
 *
 * <p>A device owns its blocker and closes it when it closes ({@link #close()} is a no-op unless the
 * blocker holds resources, such as a kernel wakeup source).
 *
 * @implSpec Implementations must be thread-safe, must not block, must not throw from {@link #acquire} and
 *           {@link #release} (the device calls them while it holds its lock; a failure is logged), and must
 *           honour the timeout themselves. Acquiring a held tag again restarts its timeout.
 */
public interface SuspendBlocker extends AutoCloseable {

    /**
     * Holds the blocker for {@code tag} until {@link #release} or the timeout.
     *
     * @param tag the holder, such as {@code "valarm[3]"}
     * @param timeout how long at most
     */
    void acquire(String tag, Duration timeout);

    /**
     * Releases the blocker for {@code tag}; a no-op if it is not held.
     *
     * @param tag the holder
     */
    void release(String tag);

    /** Releases what the blocker holds; the default does nothing. */
    @Override
    default void close() {
        // nothing to release
    }

    /**
     * A blocker that does nothing (for machines with no suspend control).
     *
     * @return the shared no-op blocker
     */
    static SuspendBlocker none() {
        return NoSuspendBlocker.INSTANCE;
    }
}
