package dev.valarm.spi;

import java.time.Duration;

/** The no-op {@link SuspendBlocker}. Stateless. */
enum NoSuspendBlocker implements SuspendBlocker {
    INSTANCE;

    @Override
    public void acquire(final String tag, final Duration timeout) {
        // nothing to hold
    }

    @Override
    public void release(final String tag) {
        // nothing held
    }
}
