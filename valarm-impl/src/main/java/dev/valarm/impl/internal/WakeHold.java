package dev.valarm.impl.internal;

import dev.valarm.ClockBase;
import dev.valarm.TimeFormat;
import dev.valarm.Timespec;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.SuspendBlocker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device's own wakelock while a wakeup alarm change waits for the hardware. A caller's SET, CLEAR or
 * SET_RTC returns before the dispatcher has programmed the RTC's wake alarm; a suspend that won that race
 * would sleep past the new alarm. So from the moment a caller's change moves the earliest wakeup ({@link #hold})
 * until the dispatcher's next pass has brought the hardware in line with it, written or found unchanged, or
 * failed and logged ({@link #done}), the device holds {@value #TAG} in its {@link SuspendBlocker}: a suspending
 * caller that honours wakelocks (the {@code wakeup_count} handshake with a kernel wakeup source, or a kernel
 * wake lock) defers.
 *
 * <p>Ordering: the dispatcher takes a {@link #mark} before it reads the changes, and after its pass releases
 * only if no hold came since the mark; so a caller must call {@link #hold} after its change is visible to the
 * dispatcher's next read (in the heap, or in a queue the dispatcher drains after marking) and before it returns.
 * A hold that comes after the mark keeps the wakelock until the pass that sees the change (the caller wakes
 * the dispatcher for it). The blocker is acquired only when the hold begins, not on every change: a change
 * while held costs one atomic increment, no monitor and no allocation. The hold times out with the blocker after
 * {@link #TIMEOUT} should the dispatcher not get there (logged when it finally does).
 *
 * <p>Thread-safety: thread-safe (callers hold, the dispatcher marks and releases).
 */
final class WakeHold {
    private static final Logger LOG = LoggerFactory.getLogger(WakeHold.class);

    /** The tag the device holds in its suspend blocker while a change waits for the hardware. */
    static final String TAG = "valarm[wake-alarm]";
    /** The longest the hold lasts if the dispatcher does not release it. */
    static final Duration TIMEOUT = Device.WAKELOCK_TIMEOUT;

    private final SuspendBlocker blocker;
    private final HostClocks clocks;
    private final boolean enabled;

    /** Changes that asked for the hold so far (callers add, the dispatcher's mark reads). */
    private final AtomicLong requested = new AtomicLong();
    /** Whether the blocker is held; written under this, read by callers without it. */
    private volatile boolean held;
    // Guarded by this.
    private long heldSince;

    /**
     * @param blocker the device's suspend blocker
     * @param clocks the device's host clocks (MONOTONIC times the hold)
     * @param enabled false when nothing is ever written to the hardware (a backend that cannot wake) or the
     *        blocker blocks nothing: then {@link #hold} does nothing
     */
    WakeHold(final SuspendBlocker blocker, final HostClocks clocks, final boolean enabled) {
        this.blocker = blocker;
        this.clocks = clocks;
        this.enabled = enabled;
    }

    /**
     * A caller's change moved the earliest wakeup: hold the wakelock until the hardware is in line (see above).
     * While the hold is on, a change costs one atomic increment and no monitor, so callers on different
     * instances do not queue on a device-wide lock.
     */
    void hold() {
        if (!enabled) {
            return;
        }
        requested.incrementAndGet();
        if (!held) {
            synchronized (this) {
                if (!held) {
                    acquire();
                }
            }
        }
    }

    /**
     * What the dispatcher's pass will have seen: taken before it reads the changes.
     *
     * @return the mark to give {@link #done}
     */
    long mark() {
        return requested.get();
    }

    /**
     * The dispatcher's pass has brought the hardware in line with every change up to {@code mark}, or failed
     * and logged: releases the wakelock unless a change came since. The hold is marked off before the
     * second look at the count: a caller that counted itself but still saw the hold on (so did not acquire)
     * is seen by that look, and the hold simply stays (the blocker is never released and re-taken).
     *
     * @param mark from {@link #mark}, taken before the pass read the changes
     */
    synchronized void done(final long mark) {
        if (!held || requested.get() != mark) {
            return;
        }
        held = false;
        if (requested.get() != mark) {
            held = true;
            return;
        }
        release();
    }

    private void acquire() {
        held = true;
        heldSince = clocks.nanos(ClockBase.MONOTONIC);
        blocker.acquire(TAG, TIMEOUT);
    }

    /** Releases the wakelock whatever is pending (the device closes). */
    synchronized void close() {
        if (held) {
            held = false;
            release();
        }
    }

    /** Releases the blocker; {@code held} is already off. */
    private void release() {
        blocker.release(TAG);
        final long took = Sat.sub(clocks.nanos(ClockBase.MONOTONIC), heldSince);
        if (took > TIMEOUT.toNanos()) {
            LOG.warn("the wake alarm took {} to reach the hardware; the suspend blocker's hold ({}) had timed out "
                    + "after {} meanwhile", TimeFormat.duration(Timespec.ofNanos(took)), TAG, TimeFormat.duration(TIMEOUT));
        }
    }
}
