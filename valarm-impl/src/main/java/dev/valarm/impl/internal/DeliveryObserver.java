package dev.valarm.impl.internal;

import dev.valarm.spi.HostClocks;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Told of every piece of work a device hands to user code and of its end, so that host clocks that move
 * only when told (the simulated machine's) can tell when everything a change of time caused has run:
 * listener calls, asynchronous-wait completions with the callbacks that depend on them, and blocking
 * waiters woken (until they return from WAIT). A device built on host clocks that have an observer
 * {@link #register registered} reports to it; no other device pays anything.
 *
 * <p>Calls may come from any thread, with the device lock held or not; an implementation must be fast and
 * must not call into the device. {@link #started} always comes before the matching {@link #finished}.
 * Not API (this package is not exported).
 */
public interface DeliveryObserver {

    /**
     * Work was handed to user code.
     *
     * @param count how many pieces, positive
     */
    void started(int count);

    /**
     * Work handed to user code has finished.
     *
     * @param count how many pieces, positive
     */
    void finished(int count);

    /**
     * Registers the observer of devices built on {@code clocks} (from then on).
     *
     * @param clocks the host clocks, not null
     * @param observer the observer, not null
     */
    static void register(final HostClocks clocks, final DeliveryObserver observer) {
        Registry.MAP.put(clocks, observer);
    }

    /**
     * The observer registered for {@code clocks}.
     *
     * @param clocks the host clocks
     * @return the observer, or null if none is registered
     */
    static DeliveryObserver of(final HostClocks clocks) {
        return Registry.MAP.get(clocks);
    }

    /** The registrations, weakly keyed by the clocks. */
    final class Registry {
        static final Map<HostClocks, DeliveryObserver> MAP = Collections.synchronizedMap(new WeakHashMap<>());

        private Registry() {
        }
    }
}
