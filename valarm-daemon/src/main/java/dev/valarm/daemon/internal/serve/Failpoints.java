package dev.valarm.daemon.internal.serve;

import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash points for the tests of the crash windows: with {@code -Dvalarm.daemon.failpoint=POINT:N} the
 * process ends at once (as SIGKILL would end it: no clean-up, no shutdown hook) the N-th time it passes
 * {@code POINT}. Points: {@code before-record} (an ioctl was read and applied in memory, nothing journaled,
 * no reply), {@code after-record} (journaled, reply not written) and {@code takeover-prepared} (a successor,
 * after its predecessor parked and froze, before the commit). Not set: a no-op.
 *
 * <p>Thread-safety: thread-safe.
 */
final class Failpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Failpoints.class);
    private static final String POINT;
    private static final int AT;
    private static final AtomicInteger SEEN = new AtomicInteger();

    static {
        final String v = System.getProperty("valarm.daemon.failpoint", "");
        final int colon = v.indexOf(':');
        POINT = colon > 0 ? v.substring(0, colon) : v;
        AT = colon > 0 ? Integer.parseInt(v.substring(colon + 1)) : 1;
    }

    private Failpoints() {
    }

    /** Ends the process here if this is the configured point's N-th pass. */
    static void pass(final String point) {
        if (!POINT.isEmpty() && POINT.equals(point) && SEEN.incrementAndGet() == AT) {
            LOG.warn("failpoint {}:{} reached: ending the process now", point, AT);
            System.err.flush();
            Runtime.getRuntime().halt(137);
        }
    }
}
