package dev.valarm.impl.sim;

import dev.valarm.ClockBase;
import dev.valarm.impl.internal.Sat;
import dev.valarm.spi.SuspendBlocker;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A suspend blocker whose timeouts run on simulated MONOTONIC time (like the kernel's wakeup sources,
 * which run on jiffies). A held blocker makes {@link SimulatedMachine#suspend} refuse, as a held
 * wakelock aborts a real suspend.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class SimulatedSuspendBlocker implements SuspendBlocker {
    private final SimulatedClocks clocks;
    private final Map<String, Long> expiry = new HashMap<>();
    private long acquisitions;

    /**
     * Creates a blocker.
     *
     * @param clocks whose MONOTONIC clock runs the timeouts, not null
     */
    public SimulatedSuspendBlocker(final SimulatedClocks clocks) {
        this.clocks = Objects.requireNonNull(clocks, "clocks");
    }

    @Override
    public synchronized void acquire(final String tag, final Duration timeout) {
        expiry.put(tag, Sat.add(clocks.nanos(ClockBase.MONOTONIC), Sat.nanos(timeout)));
        acquisitions++;
    }

    @Override
    public synchronized void release(final String tag) {
        expiry.remove(tag);
    }

    /**
     * Whether {@code tag} holds the blocker now (acquired, not released, not timed out).
     *
     * @param tag the holder, such as {@code "valarm[0]"}
     * @return true if held
     */
    public synchronized boolean isHeld(final String tag) {
        final Long e = expiry.get(tag);
        return e != null && e > clocks.nanos(ClockBase.MONOTONIC);
    }

    /**
     * The tags holding the blocker now.
     *
     * @return a sorted copy
     */
    public synchronized Set<String> heldTags() {
        final long now = clocks.nanos(ClockBase.MONOTONIC);
        final Set<String> held = new TreeSet<>();
        expiry.forEach((tag, e) -> {
            if (e > now) {
                held.add(tag);
            }
        });
        return held;
    }

    /**
     * How many times the blocker was acquired.
     *
     * @return the count
     */
    public synchronized long acquisitions() {
        return acquisitions;
    }
}
