package dev.valarm;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A point or span of time as the kernel's {@code struct timespec}: whole seconds plus nanoseconds.
 *
 * <p>{@code seconds} may be any {@code long}, negative included (the driver takes negative and zero
 * times and fires them at once); {@code nanos} must be in [0, 999 999 999], so a negative time such as
 * -0.5 s is {@code (-1, 500 000 000)}. Values order by seconds, then nanoseconds.
 *
 * <p>Conversions to a single {@code long} of nanoseconds and to an {@link Instant} saturate instead of
 * overflowing: values beyond the target's range become its minimum or maximum. Conversions from
 * nanoseconds, from and to {@code Instant} (within its range) and from and to {@code Duration} are exact.
 * {@link #plus(Duration)} and {@link #minus(Duration)} are exact, saturating only at the ends of the
 * {@code long} seconds range, some 292 billion years out (where an alarm time means "never" or "at once"
 * anyway).
 *
 * <pre>{@code
 * Timespec now = alarm.getTime(AlarmType.RTC_WAKEUP);
 * alarm.set(AlarmType.RTC_WAKEUP, now.plus(Duration.ofSeconds(5)));          // in 5 s
 * alarm.setRtc(Timespec.of(Instant.parse("2031-01-01T00:00:00Z")));          // a wall-clock time
 * Instant when = now.toInstant();
 * }</pre>
 *
 * <p>Thread-safety: immutable.
 *
 * @param seconds whole seconds, any value
 * @param nanos nanoseconds within the second, in [0, 999 999 999]
 */
public record Timespec(long seconds, int nanos) implements Comparable<Timespec> {
    /** Nanoseconds in a second. */
    public static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** The zero time (the epoch, or a zero span). */
    public static final Timespec ZERO = new Timespec(0, 0);

    /**
     * The end of the clock range: 4 611 686 018 s, as a wall-clock time 2116-02-20T23:53:38Z. No clock is set
     * beyond it (see {@link ClockRangeException}).
     */
    public static final Timespec CLOCK_MAX = new Timespec(4_611_686_018L, 0);

    /**
     * The start of the clock range: -4 611 686 018 s, as a wall-clock time 1823-11-12T00:06:22Z. No clock is set
     * before it (see {@link ClockRangeException}).
     */
    public static final Timespec CLOCK_MIN = new Timespec(-4_611_686_018L, 0);

    /**
     * Validates the fields.
     *
     * @param seconds whole seconds, any value
     * @param nanos nanoseconds within the second, in [0, 999 999 999]
     * @throws InvalidAlarmException (EINVAL) if {@code nanos} is out of range
     */
    public Timespec {
        if (nanos < 0 || nanos >= NANOS_PER_SECOND) {
            throw new InvalidAlarmException("timespec nanoseconds must be in [0, 999999999]: " + nanos
                    + " (seconds " + seconds + ")");
        }
    }

    /**
     * A timespec of whole seconds.
     *
     * @param seconds whole seconds, any value
     * @return the timespec {@code (seconds, 0)}
     */
    public static Timespec ofSeconds(final long seconds) {
        return new Timespec(seconds, 0);
    }

    /**
     * A timespec from seconds and nanoseconds, with the nanoseconds normalised into the second
     * (for example {@code (1, -1)} becomes {@code (0, 999 999 999)}).
     *
     * @param seconds whole seconds
     * @param nanoAdjustment nanoseconds to add, any value
     * @return the normalised timespec
     * @throws ArithmeticException if the seconds overflow a {@code long}
     */
    public static Timespec ofSeconds(final long seconds, final long nanoAdjustment) {
        final long secs = Math.addExact(seconds, Math.floorDiv(nanoAdjustment, NANOS_PER_SECOND));
        return new Timespec(secs, (int) Math.floorMod(nanoAdjustment, NANOS_PER_SECOND));
    }

    /**
     * A timespec from a single count of nanoseconds (exact).
     *
     * @param nanos nanoseconds, any value
     * @return the timespec
     */
    public static Timespec ofNanos(final long nanos) {
        return new Timespec(Math.floorDiv(nanos, NANOS_PER_SECOND), (int) Math.floorMod(nanos, NANOS_PER_SECOND));
    }

    /**
     * A timespec from an instant (exact: every {@code Instant} fits).
     *
     * @param instant the instant, not null
     * @return seconds and nanoseconds since the epoch
     */
    public static Timespec of(final Instant instant) {
        Objects.requireNonNull(instant, "instant");
        return new Timespec(instant.getEpochSecond(), instant.getNano());
    }

    /**
     * A timespec from a duration (exact: every {@code Duration} fits).
     *
     * @param duration the duration, not null
     * @return the same span
     */
    public static Timespec of(final Duration duration) {
        Objects.requireNonNull(duration, "duration");
        return new Timespec(duration.getSeconds(), duration.getNano());
    }

    /**
     * This time plus a duration, exact unless the seconds leave the {@code long} range, where the result
     * saturates to the latest ({@code (Long.MAX_VALUE, 999 999 999)}) or earliest
     * ({@code (Long.MIN_VALUE, 0)}) timespec.
     *
     * @param duration the duration to add, either sign, not null
     * @return the sum
     */
    public Timespec plus(final Duration duration) {
        Objects.requireNonNull(duration, "duration");
        long n = (long) nanos + duration.getNano();
        long carry = 0;
        if (n >= NANOS_PER_SECOND) {
            n -= NANOS_PER_SECOND;
            carry = 1;
        }
        return sum(seconds, duration.getSeconds(), carry, (int) n);
    }

    /**
     * This time minus a duration, exact unless the seconds leave the {@code long} range, where the result
     * saturates as for {@link #plus(Duration)}.
     *
     * @param duration the duration to subtract, either sign, not null
     * @return the difference
     */
    public Timespec minus(final Duration duration) {
        Objects.requireNonNull(duration, "duration");
        long n = (long) nanos - duration.getNano();
        long borrow = 0;
        if (n < 0) {
            n += NANOS_PER_SECOND;
            borrow = 1;
        }
        final long s = duration.getSeconds();
        // seconds - s - borrow, with -Long.MIN_VALUE written as Long.MAX_VALUE + 1.
        return s == Long.MIN_VALUE ? sum(seconds, Long.MAX_VALUE, 1 - borrow, (int) n) : sum(seconds, -s, -borrow, (int) n);
    }

    /** {@code (a + b + c, n)} with {@code c} in [-1, 1], exact or saturated. */
    private static Timespec sum(final long a, final long b, final long c, final int n) {
        final long ab = a + b;
        if (((a ^ ab) & (b ^ ab)) >= 0) {
            final long abc = ab + c;
            if (((ab ^ abc) & (c ^ abc)) >= 0) {
                return new Timespec(abc, n);
            }
            return c > 0 ? LATEST : EARLIEST;
        }
        // a + b overflowed; only a c of the other sign can bring the exact sum back, onto the very end.
        if (a > 0) {
            return c < 0 && ab == Long.MIN_VALUE ? new Timespec(Long.MAX_VALUE, n) : LATEST;
        }
        return c > 0 && ab == Long.MAX_VALUE ? new Timespec(Long.MIN_VALUE, n) : EARLIEST;
    }

    /**
     * This time as one count of nanoseconds, saturating at {@code Long.MIN_VALUE} and
     * {@code Long.MAX_VALUE} (about the years 1677 and 2262 for wall-clock times).
     *
     * @return the nanoseconds, saturated
     */
    public long toNanos() {
        if (seconds > MAX_NANO_SECONDS || (seconds == MAX_NANO_SECONDS && nanos > MAX_NANO_REST)) {
            return Long.MAX_VALUE;
        }
        if (seconds < MIN_NANO_SECONDS || (seconds == MIN_NANO_SECONDS && nanos < MIN_NANO_REST)) {
            return Long.MIN_VALUE;
        }
        return seconds * NANOS_PER_SECOND + nanos;
    }

    /**
     * This time as an instant since the epoch, saturating at {@link Instant#MIN} and {@link Instant#MAX}.
     *
     * @return the instant, saturated
     */
    public Instant toInstant() {
        if (seconds > Instant.MAX.getEpochSecond()) {
            return Instant.MAX;
        }
        if (seconds < Instant.MIN.getEpochSecond()) {
            return Instant.MIN;
        }
        return Instant.ofEpochSecond(seconds, nanos);
    }

    /**
     * This time as a duration (exact).
     *
     * @return the same span
     */
    public Duration toDuration() {
        return Duration.ofSeconds(seconds, nanos);
    }

    /**
     * Whether this time is before the epoch (or a negative span).
     *
     * @return true if {@code seconds < 0}
     */
    public boolean isNegative() {
        return seconds < 0;
    }

    @Override
    public int compareTo(final Timespec other) {
        final int c = Long.compare(seconds, other.seconds);
        return c != 0 ? c : Integer.compare(nanos, other.nanos);
    }

    /**
     * This value the way a person reads it, with the exact value kept (see {@link TimeFormat}). A timespec
     * does not know whether it is a wall-clock time or a span, so: a value at least 10^9 s from zero (after
     * 2001-09-09 or before 1938-04-24) prints as a wall-clock time,
     * {@code 2031-01-01T00:00:00.000081883Z (1924992000.000081883 s)}; a smaller one as a span or an
     * elapsed-clock reading, {@code 16 min 40 s (1000 s)}. For a known kind use
     * {@link TimeFormat#instant(Timespec)} or {@link TimeFormat#duration(Timespec)}.
     *
     * @return the text
     */
    @Override
    public String toString() {
        return seconds >= WALL_CLOCK_SECONDS || seconds <= -WALL_CLOCK_SECONDS ? TimeFormat.instant(this)
                : TimeFormat.duration(this);
    }

    /** Where {@link #toString()} starts reading a value as a wall-clock time. */
    private static final long WALL_CLOCK_SECONDS = 1_000_000_000L;
    private static final Timespec LATEST = new Timespec(Long.MAX_VALUE, 999_999_999);
    private static final Timespec EARLIEST = new Timespec(Long.MIN_VALUE, 0);

    private static final long MAX_NANO_SECONDS = Long.MAX_VALUE / NANOS_PER_SECOND;
    private static final long MAX_NANO_REST = Long.MAX_VALUE % NANOS_PER_SECOND;
    private static final long MIN_NANO_SECONDS = Math.floorDiv(Long.MIN_VALUE, NANOS_PER_SECOND);
    private static final long MIN_NANO_REST = Math.floorMod(Long.MIN_VALUE, NANOS_PER_SECOND);
}
