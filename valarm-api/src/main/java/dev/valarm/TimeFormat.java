package dev.valarm;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * How valarm prints times and durations: the way a person reads them, with the exact value kept.
 *
 * <ul>
 * <li>A point on a wall clock: {@code 2031-01-01T00:00:00.000081883Z (1924992000.000081883 s)}, the
 * ISO-8601 instant in UTC, then the exact seconds since the epoch.</li>
 * <li>A span (an offset, a window, a timeout) or a reading of an elapsed clock: {@code 5.5 s} below a
 * minute, else days, hours, minutes and seconds then the exact seconds, as
 * {@code 16 min 40 s (1000 s)} or {@code 36500 d, about 99.9 years (3153600000 s)}.</li>
 * </ul>
 * Every form is exact: the seconds carry all nine decimals that are not trailing zeros.
 *
 * <p>Thread-safety: stateless.
 */
public final class TimeFormat {
    private static final long MINUTE = 60;
    private static final long HOUR = 3600;
    private static final long DAY = 86_400;
    private static final double YEAR_DAYS = 365.2425;

    private TimeFormat() {
    }

    /**
     * A wall-clock time: {@code 2031-01-01T00:00:00Z (1924992000 s)}. A time beyond {@link Instant}'s range
     * prints as its seconds since the epoch only.
     *
     * @param time the time, not null
     * @return the text
     */
    public static String instant(final Timespec time) {
        Objects.requireNonNull(time, "time");
        final String seconds = seconds(time.seconds(), time.nanos());
        if (time.seconds() < Instant.MIN.getEpochSecond() || time.seconds() > Instant.MAX.getEpochSecond()) {
            return seconds + " s since the epoch";
        }
        return Instant.ofEpochSecond(time.seconds(), time.nanos()) + " (" + seconds + " s)";
    }

    /**
     * A span or an elapsed-clock reading: {@code 5.5 s}, {@code 16 min 40 s (1000 s)},
     * {@code -1 h 0 min 0.25 s (-3600.25 s)}.
     *
     * @param span the span, not null
     * @return the text
     */
    public static String duration(final Timespec span) {
        Objects.requireNonNull(span, "span");
        return duration(span.seconds(), span.nanos());
    }

    /**
     * A duration: {@code 5.5 s}, {@code 16 min 40 s (1000 s)}, never {@code PT16M40S}.
     *
     * @param duration the duration, not null
     * @return the text
     */
    public static String duration(final Duration duration) {
        Objects.requireNonNull(duration, "duration");
        return duration(duration.getSeconds(), duration.getNano());
    }

    private static String duration(final long seconds, final int nanos) {
        final String exact = seconds(seconds, nanos);
        final boolean negative = seconds < 0;
        // The magnitude as whole seconds plus nanoseconds (unsigned for Long.MIN_VALUE).
        long whole = negative ? (nanos == 0 ? -seconds : -(seconds + 1)) : seconds;
        final int frac = negative && nanos != 0 ? 1_000_000_000 - nanos : nanos;
        if (whole >= 0 && whole < MINUTE) {
            return exact + " s";
        }
        if (whole < 0) { // only for Long.MIN_VALUE seconds: beyond any human form
            return exact + " s";
        }
        final StringBuilder sb = new StringBuilder(48);
        if (negative) {
            sb.append('-');
        }
        final long d = whole / DAY;
        whole -= d * DAY;
        final long h = whole / HOUR;
        whole -= h * HOUR;
        final long m = whole / MINUTE;
        final long s = whole - m * MINUTE;
        final long[] parts = {d, h, m};
        final String[] units = {" d", " h", " min"};
        int first = 0;
        while (first < 3 && parts[first] == 0) {
            first++;
        }
        int last = 2;
        final boolean secondsPart = s != 0 || frac != 0;
        if (!secondsPart) {
            while (last > first && parts[last] == 0) {
                last--;
            }
        }
        for (int i = first; i <= last; i++) {
            if (i > first) {
                sb.append(' ');
            }
            sb.append(parts[i]).append(units[i]);
        }
        if (secondsPart) {
            sb.append(' ').append(seconds(s, frac)).append(" s");
        }
        if (d >= 365) {
            sb.append(", about ").append(Math.round(d / YEAR_DAYS * 10) / 10.0).append(" years");
        }
        return sb.append(" (").append(exact).append(" s)").toString();
    }

    /**
     * The exact decimal seconds of {@code seconds + nanos / 10^9}, without trailing zeros: {@code 1000.5},
     * {@code -0.5} for {@code (-1, 500000000)}, {@code 0}.
     */
    static String seconds(final long seconds, final int nanos) {
        final StringBuilder sb = new StringBuilder(32);
        int frac = nanos;
        if (seconds < 0) {
            sb.append('-');
            if (nanos == 0) {
                sb.append(Long.toUnsignedString(-seconds)); // -Long.MIN_VALUE read unsigned
            } else {
                sb.append(-(seconds + 1));
                frac = 1_000_000_000 - nanos;
            }
        } else {
            sb.append(seconds);
        }
        if (frac != 0) {
            final String f = Integer.toString(frac);
            sb.append('.');
            for (int i = f.length(); i < 9; i++) {
                sb.append('0');
            }
            int end = f.length();
            while (f.charAt(end - 1) == '0') {
                end--;
            }
            sb.append(f, 0, end);
        }
        return sb.toString();
    }
}
