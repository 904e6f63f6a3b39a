package dev.valarm.daemon.internal.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as a person writes them: an optional sign, then one or more number-unit pairs with the units
 * {@code d h m s ms us ns} ({@code 90s}, {@code -1h30m}, {@code 250ms}, {@code 0}). Formatted back the same
 * way ({@link #format}).
 *
 * <p>Thread-safety: stateless.
 */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+)(d|h|ms|m|s|us|ns)");
    private static final long[] UNIT_NS = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L,
        1_000_000_000L, 1_000_000L, 1_000L, 1L};
    private static final String[] UNIT = {"d", "h", "m", "s", "ms", "us", "ns"};

    private Durations() {
    }

    /**
     * Parses a duration.
     *
     * @param text the text, e.g. {@code -1h30m}
     * @return nanoseconds
     * @throws IllegalArgumentException naming the text if it is not a duration or does not fit in 64 bits
     */
    public static long parseNanos(final String text) {
        String s = text.trim();
        if (s.equals("0")) {
            return 0;
        }
        boolean negative = false;
        if (s.startsWith("-") || s.startsWith("+")) {
            negative = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.isEmpty()) {
            throw bad(text);
        }
        final Matcher m = PART.matcher(s);
        long total = 0;
        int at = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                throw bad(text);
            }
            final long n;
            try {
                n = Long.parseLong(m.group(1));
                total = Math.addExact(total, Math.multiplyExact(n, unitNanos(m.group(2))));
            } catch (final ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("duration does not fit in 64-bit nanoseconds (about 292 years): \""
                        + text + "\"");
            }
            at = m.end();
        }
        return negative ? -total : total;
    }

    private static long unitNanos(final String unit) {
        for (int i = 0; i < UNIT.length; i++) {
            if (UNIT[i].equals(unit)) {
                return UNIT_NS[i];
            }
        }
        throw new IllegalStateException(unit);
    }

    private static IllegalArgumentException bad(final String text) {
        return new IllegalArgumentException("not a duration: \"" + text + "\" (write e.g. 90s, -1h30m, 250ms, 1d, 0)");
    }

    /**
     * Formats nanoseconds as {@link #parseNanos} reads them, largest units first ({@code -1h30m},
     * {@code 250ms}, {@code 0}).
     *
     * @param nanos the duration
     * @return the text
     */
    public static String format(final long nanos) {
        if (nanos == 0) {
            return "0";
        }
        final StringBuilder b = new StringBuilder();
        long left = nanos;
        if (nanos < 0) {
            b.append('-');
            if (nanos == Long.MIN_VALUE) {
                return "-" + Long.toUnsignedString(Long.MIN_VALUE) + "ns";
            }
            left = -nanos;
        }
        for (int i = 0; i < UNIT.length; i++) {
            final long q = left / UNIT_NS[i];
            if (q > 0) {
                b.append(q).append(UNIT[i]);
                left -= q * UNIT_NS[i];
            }
        }
        return b.toString();
    }
}
