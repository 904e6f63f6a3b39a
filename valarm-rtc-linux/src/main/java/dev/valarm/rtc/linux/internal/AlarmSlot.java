package dev.valarm.rtc.linux.internal;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bookkeeping shared by the two single-slot RTC backends (device ioctls and sysfs): which alarm second
 * we last programmed, whether someone else replaced it, how far ahead the chip accepts alarms (learned
 * downwards from EINVAL), and rounding.
 *
 * <p>Thread-safety: not thread-safe; the owning backend guards it with its lock (the counters are
 * volatile for readers).
 */
public final class AlarmSlot {
    private static final Logger LOG = LoggerFactory.getLogger(AlarmSlot.class);

    /** Sentinel: no alarm of ours is armed. */
    public static final long NONE = Long.MIN_VALUE;

    /** 24 h - 1 s: a plain MC146818 (alarm matches h:m:s only), the default. */
    public static final long DAY_WINDOW = 86_399L;

    /** The smallest window learned by halving (seconds). */
    public static final long MIN_LEARNED_WINDOW = 60L;
    /** The furthest-alarm windows rtc-cmos reports (year, 28 days, day), largest first. */
    private static final long[] KNOWN_WINDOWS = {365L * 86_400 - 1, 28L * 86_400 - 1, DAY_WINDOW};

    private final String name;
    private volatile long maxAheadSec;
    private long expectedSec = NONE;
    private volatile long replacedCount;

    /**
     * Creates the bookkeeping.
     *
     * @param name the backend's name, for logs
     * @param maxAhead the furthest alarm the chip is believed to take; at least 1 s
     * @throws IllegalArgumentException if {@code maxAhead} is below 1 s
     */
    public AlarmSlot(final String name, final Duration maxAhead) {
        if (maxAhead.getSeconds() < 1) {
            throw new IllegalArgumentException("maxAlarmAhead must be at least 1 s: " + maxAhead);
        }
        this.name = name;
        this.maxAheadSec = maxAhead.getSeconds();
    }

    /**
     * Rounds a time up to a whole second (an RTC alarm must never fire early).
     *
     * @param seconds seconds
     * @param nanos nanoseconds within the second
     * @return the second at or after the time
     */
    public static long roundUp(final long seconds, final int nanos) {
        return nanos > 0 && seconds < Long.MAX_VALUE ? seconds + 1 : seconds;
    }

    /**
     * Rounds a time up to a multiple of the chip's alarm resolution (1, 2 or 60 s).
     *
     * @param seconds seconds
     * @param nanos nanoseconds within the second
     * @param resolutionSec the resolution in seconds, at least 1
     * @return the first multiple of the resolution at or after the time
     */
    public static long roundUp(final long seconds, final int nanos, final long resolutionSec) {
        final long s = roundUp(seconds, nanos);
        final long rem = Math.floorMod(s, resolutionSec);
        return rem == 0 || s > Long.MAX_VALUE - resolutionSec ? s : s - rem + resolutionSec;
    }

    /**
     * The furthest alarm currently believed possible.
     *
     * @return seconds ahead of the RTC's clock
     */
    public long maxAheadSec() {
        return maxAheadSec;
    }

    /**
     * How many times another writer was seen to replace or disable our alarm.
     *
     * @return the count
     */
    public long replacedCount() {
        return replacedCount;
    }

    /**
     * Our last programmed alarm second, or {@link #NONE}.
     *
     * @return the second
     */
    public long expectedSec() {
        return expectedSec;
    }

    /**
     * Clamps a target to the window.
     *
     * @param targetSec the wanted alarm second
     * @param rtcNowSec the RTC's clock
     * @return the second to program (early wake for far targets: the device re-arms on that wake)
     */
    public long clamp(final long targetSec, final long rtcNowSec) {
        final long max = maxAheadSec;
        if (targetSec - rtcNowSec > max) {
            LOG.info("{}: alarm at {} is {} s ahead of the RTC ({}); clamped to {} s ahead, the device re-arms "
                    + "on that early wake", name, targetSec, targetSec - rtcNowSec, rtcNowSec, max);
            return rtcNowSec + max;
        }
        return targetSec;
    }

    /**
     * After EINVAL for an alarm {@code deltaSec} ahead: shrinks the window to the next known one below
     * it, if any.
     *
     * @param deltaSec how far ahead the refused alarm was
     * @return true if the window shrank and a retry makes sense
     */
    public boolean learnFromEinval(final long deltaSec) {
        for (final long w : KNOWN_WINDOWS) {
            if (w < deltaSec && w < maxAheadSec) {
                LOG.warn("{}: the RTC refused an alarm {} s ahead with EINVAL; assuming it takes at most {} s "
                        + "from now on", name, deltaSec, w);
                maxAheadSec = w;
                return true;
            }
        }
        // A chip with a window below the classic ones: halve below the refused distance, down to a minute,
        // so the device converges instead of retrying the same refused alarm forever.
        final long half = Math.min(maxAheadSec, deltaSec) / 2;
        if (half >= MIN_LEARNED_WINDOW && half < maxAheadSec) {
            LOG.warn("{}: the RTC refused an alarm {} s ahead with EINVAL; halving its assumed window to {} s",
                    name, deltaSec, half);
            maxAheadSec = half;
            return true;
        }
        return false;
    }

    /**
     * Records that we programmed {@code sec}.
     *
     * @param sec the programmed second
     */
    public void programmed(final long sec) {
        expectedSec = sec;
    }

    /** Records that our alarm is cancelled (or was found gone). */
    public void cleared() {
        expectedSec = NONE;
    }

    /**
     * Compares what the RTC holds with what we programmed; logs and counts a replacement by another
     * writer, and forgets our alarm when it is gone (fired, replaced or disabled).
     *
     * @param enabled whether the RTC's alarm is armed
     * @param alarmSec the RTC's alarm second (ignored when not enabled)
     * @param rtcNowSec the RTC's clock
     * @return true if our alarm is still the one armed
     */
    public boolean stillOurs(final boolean enabled, final long alarmSec, final long rtcNowSec) {
        final long expected = expectedSec;
        if (expected == NONE) {
            return false;
        }
        if (enabled && alarmSec == expected) {
            return true;
        }
        if (enabled) {
            replacedCount++;
            LOG.warn("{}: another writer replaced our wake alarm: we programmed {}, the RTC now holds {} "
                    + "(RTC clock {}); it will be overwritten at the next programming", name, expected, alarmSec,
                    rtcNowSec);
        } else if (expected > rtcNowSec) {
            replacedCount++;
            LOG.warn("{}: another writer disabled our wake alarm at {} before it fired (RTC clock {})", name,
                    expected, rtcNowSec);
        }
        expectedSec = NONE;
        return false;
    }
}
