package dev.valarm.impl.internal;

import dev.valarm.ClockRangeException;
import dev.valarm.TimeFormat;
import dev.valarm.Timespec;
import java.time.Duration;
import java.time.Instant;

/**
 * The clock-range rule (see {@link ClockRangeException}): every clock the device sets reads within
 * {@link Timespec#CLOCK_MIN} and {@link Timespec#CLOCK_MAX} at that moment. The one place that checks it.
 * Values arrive saturated (the range is half the 64-bit one, so a saturated value is always outside).
 * Stateless.
 */
public final class ClockRange {
    /** The largest magnitude of a clock set, in nanoseconds. */
    static final long LIMIT = Timespec.CLOCK_MAX.toNanos();

    /** The range as messages print it. */
    private static final String RANGE = "+-" + Timespec.CLOCK_MAX.seconds() + " s (a wall clock from "
            + Instant.ofEpochSecond(Timespec.CLOCK_MIN.seconds()) + " to " + Instant.ofEpochSecond(Timespec.CLOCK_MAX.seconds())
            + ")";

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
     * @param what which clock, for the message ("the boot-time clock of instance x (minor 3)")
     * @param wall whether it is a wall clock (for the message: a date rather than a span)
     * @param nanos the reading, saturated
     * @return {@code nanos}
     * @throws ClockRangeException if outside the range
     */
    static long clock(final String what, final boolean wall, final long nanos) {
        if (!inside(nanos)) {
            throw clockOutside(what, wall, Timespec.ofNanos(nanos));
        }
        return nanos;
    }

    /**
     * A clock the device is about to set as host clock plus offset, checked.
     *
     * @param what which clock, for the message
     * @param wall whether it is a wall clock
     * @param host the host clock now
     * @param offset the offset, saturated
     * @param given the offset as given (exact, for the message)
     * @throws ClockRangeException if host plus offset is outside the range
     */
    static void clock(final String what, final boolean wall, final long host, final long offset, final Duration given) {
        if (!inside(Sat.add(host, offset))) {
            final Timespec hostTime = Timespec.ofNanos(host);
            throw clockOutside(what + " (the host's " + text(wall, hostTime) + " plus the offset "
                    + TimeFormat.duration(given) + ")", wall, hostTime.plus(given));
        }
    }

    /**
     * The error for setting a clock to a time outside the range.
     *
     * @param what which clock, for the message
     * @param wall whether it is a wall clock (the time then prints as a date rather than a span)
     * @param time the time it would read
     * @return the exception, naming the clock, the time and the range
     */
    public static ClockRangeException clockOutside(final String what, final boolean wall, final Timespec time) {
        return new ClockRangeException(what + " would read " + text(wall, time) + ", outside the clock range "
                + RANGE);
    }

    private static String text(final boolean wall, final Timespec t) {
        return wall ? TimeFormat.instant(t) : TimeFormat.duration(t);
    }
}
