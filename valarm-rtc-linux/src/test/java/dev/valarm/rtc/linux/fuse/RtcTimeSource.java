package dev.valarm.rtc.linux.fuse;

import java.time.Clock;
import java.time.Instant;

/**
 * The reference time that drives an {@link EmulatedRtcChip}: the chip's clock is this source plus a settable
 * offset, so a test either lets it run with the host (the default) or controls it by hand
 * ({@link ManualTimeSource}).
 *
 * <p>Thread-safety: implementations must be thread-safe.
 */
public interface RtcTimeSource {

    /** The host's wall clock (CLOCK_REALTIME through {@link Clock#systemUTC()}); it runs by itself. */
    RtcTimeSource HOST = new RtcTimeSource() {
        @Override
        public long nowNanos() {
            final Instant now = Clock.systemUTC().instant();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }

        @Override
        public boolean runsByItself() {
            return true;
        }

        @Override
        public void addChangeListener(final Runnable listener) {
            // the host clock is never set by these tests
        }

        @Override
        public String toString() {
            return "host-realtime";
        }
    };

    /**
     * The current time.
     *
     * @return nanoseconds since the epoch (UTC)
     */
    long nowNanos();

    /**
     * Whether this source advances by itself in step with real (monotonic) time; if false, it changes only
     * when its listeners are told.
     *
     * @return true for the host clock
     */
    boolean runsByItself();

    /**
     * Registers a listener told after every change that does not happen by itself (a manual advance).
     *
     * @param listener the listener, not null; called on the changing thread, must not block
     */
    void addChangeListener(Runnable listener);
}
