package dev.valarm.impl.internal;

import dev.valarm.ClockRangeException;
import dev.valarm.Timespec;
import java.time.Duration;

/**
 * The clock-range rule (see {@link ClockRangeException}): every clock the device sets reads within
 * {@link Timespec#CLOCK_MIN} and {@link Timespec#CLOCK_MAX} at that moment. The one place that checks it.
 * Values arrive saturated (the range is half the 64-bit one, so a saturated value is always outside).
 * Stateless.
 */
final class ClockRange {
    /** The largest magnitude of a clock set, in nanoseconds. */
    static final long LIMIT = Timespec.CLOCK_MAX.toNanos();

    private ClockRange() {
    }

    /** Whether a clock reading, in nanoseconds, is inside the range. */
    static boolean inside(final long nanos) {
        return nanos >= -LIMIT && nanos <= LIMIT;
    }

    /** Whether a time is inside the range (exactly, also beyond the 64-bit nanosecond range). */
    static boolean inside(final Timespec time) {
        return time.compareTo(Timespec.CLOCK_MIN) >= 0 && time.compareTo(Timespec.CLOCK_MAX) <= 0;
    }

    /**
     * A clock reading the device is about to set, checked.
     *
     * @param what which clock, for the message ("the wall clock of instance x (minor 3)")
     * @param nanos the reading, saturated
     * @return {@code nanos}
     * @throws ClockRangeException if outside the range
     */
    static long clock(final String what, final long nanos) {
        if (!inside(nanos)) {
            throw clockOutside(what, Timespec.ofNanos(nanos));
        }
        return nanos;
    }

    /**
     * A clock the device is about to set as host clock plus offset, checked.
     *
     * @param what which clock, for the message
     * @param host the host clock now
     * @param offset the offset, saturated
     * @throws ClockRangeException if host plus offset is outside the range
     */
    static void clock(final String what, final long host, final long offset) {
        final long c = Sat.add(host, offset);
        if (!inside(c)) {
            throw clockOutside(what + " (the host's " + Timespec.ofNanos(host) + " plus the offset "
                    + Duration.ofNanos(offset) + ")", Timespec.ofNanos(c));
        }
    }

    /**
     * A time to set a clock to, checked exactly (also beyond the 64-bit nanosecond range).
     *
     * @param what which clock, for the message
     * @param time the time
     * @return its nanoseconds
     * @throws ClockRangeException if outside the range
     */
    static long clock(final String what, final Timespec time) {
        if (!inside(time)) {
            throw clockOutside(what, time);
        }
        return time.toNanos();
    }

    /** The error for setting a clock ({@code what}) to {@code time}, outside the range. */
    static ClockRangeException clockOutside(final String what, final Timespec time) {
        return new ClockRangeException(what + " would read " + time + ", outside the clock range " + Timespec.CLOCK_MIN
                + " to " + Timespec.CLOCK_MAX);
    }
}
