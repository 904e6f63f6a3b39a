package dev.valarm.bench;

/**
 * Sanity checks run between iterations, so that an adapter bug fails the run instead of producing a
 * fast, wrong number. Thread-safety: stateless.
 */
final class Checks {
    private Checks() {
    }

    static void size(final TimerAdapter adapter, final String impl, final int expected) {
        if (adapter instanceof NettyHwtAdapter) {
            return; // its pending count lags: the worker processes cancellations on its next tick
        }
        final int actual = adapter.size();
        if (actual != expected) {
            throw new IllegalStateException(impl + ": expected " + expected + " live entries, found " + actual);
        }
    }
}
