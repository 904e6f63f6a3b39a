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

    /**
     * A source that runs with the host: it reads the host's wall clock once, then advances with the monotonic
     * clock ({@link System#nanoTime()}). Like a real RTC chip it is not moved when someone sets the host's
     * clock (other tests on a shared machine may jump it).
     *
     * @return a new source anchored now
     */
    static RtcTimeSource host() {
        final Instant anchor = Clock.systemUTC().instant();
        final long anchorNanos = anchor.getEpochSecond() * 1_000_000_000L + anchor.getNano();
        final long anchorMono = System.nanoTime();
        return new RtcTimeSource() {
            @Override
            public long nowNanos() {
                return anchorNanos + (System.nanoTime() - anchorMono);
            }

            @Override
            public boolean runsByItself() {
                return true;
            }

            @Override
            public void addChangeListener(final Runnable listener) {
                // changes only by itself
            }

            @Override
            public String toString() {
                return "host(anchored at " + anchor + ")";
            }
        };
    }

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
