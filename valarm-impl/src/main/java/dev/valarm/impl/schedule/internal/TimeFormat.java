package dev.valarm.impl.schedule.internal;

import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import java.time.Instant;
import java.util.Locale;

/** Times and durations the way a person reads them, for messages and {@code toString}. Stateless. */
final class TimeFormat {
    private static final long NS = 1_000_000_000L;

    private TimeFormat() {
    }

    /**
     * A time on a type's clock: an ISO-8601 instant for the wall clock, a span since boot otherwise.
     *
     * @param type the alarm type's number
     * @param nanos the time in nanoseconds
     * @return for example {@code 2030-06-01T12:00:05Z} or {@code 16 min 45 s on the boot-time clock}
     */
    static String instant(final int type, final long nanos) {
        final ClockBase base = AlarmType.of(type).clockBase();
        if (base == ClockBase.REALTIME) {
            return Instant.ofEpochSecond(Math.floorDiv(nanos, NS), Math.floorMod(nanos, NS)).toString();
        }
        return duration(nanos) + (base == ClockBase.BOOTTIME ? " on the boot-time clock" : " on the monotonic clock");
    }

    /**
     * A span of nanoseconds.
     *
     * @param nanos any value; {@code Long.MAX_VALUE} is "forever"
     * @return for example {@code 250 ms}, {@code 1 h 30 min} or {@code 2 d 3 h 0.5 s}
     */
    static String duration(final long nanos) {
        if (nanos == Long.MAX_VALUE) {
            return "forever";
        }
        if (nanos < 0) {
            return nanos == Long.MIN_VALUE ? "-forever" : "-" + duration(-nanos);
        }
        if (nanos < 1_000L) {
            return nanos + " ns";
        }
        if (nanos < 1_000_000L) {
            return decimal(nanos / 1e3) + " µs";
        }
        if (nanos < NS) {
            return decimal(nanos / 1e6) + " ms";
        }
        if (nanos < 60 * NS) {
            return decimal(nanos / 1e9) + " s";
        }
        final long secs = nanos / NS;
        final long rest = nanos % NS;
        final StringBuilder sb = new StringBuilder();
        part(sb, secs / 86_400, "d");
        part(sb, secs / 3600 % 24, "h");
        part(sb, secs / 60 % 60, "min");
        final long s = secs % 60;
        if (s != 0 || rest != 0) {
            sb.append(sb.length() > 0 ? " " : "").append(rest == 0 ? Long.toString(s) : decimal(s + rest / 1e9)).append(" s");
        }
        return sb.toString();
    }

    private static void part(final StringBuilder sb, final long n, final String unit) {
        if (n != 0) {
            sb.append(sb.length() > 0 ? " " : "").append(n).append(' ').append(unit);
        }
    }

    private static String decimal(final double v) {
        String s = String.format(Locale.ROOT, "%.3f", v);
        while (s.endsWith("0")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
