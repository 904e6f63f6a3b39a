package dev.valarm.impl.internal;

import java.time.Duration;

/** Saturating {@code long} arithmetic for nanosecond values. Stateless. */
public final class Sat {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long MAX_SECONDS = Long.MAX_VALUE / NANOS_PER_SECOND;
    private static final long MAX_REST = Long.MAX_VALUE % NANOS_PER_SECOND;
    private static final long MIN_SECONDS = Math.floorDiv(Long.MIN_VALUE, NANOS_PER_SECOND);
    private static final long MIN_REST = Math.floorMod(Long.MIN_VALUE, NANOS_PER_SECOND);

    private Sat() {
    }

    /**
     * A duration in nanoseconds, clamped to the {@code long} range (where a saturated value is the
     * documented meaning, such as a timeout or a window beyond about 292 years). Allocation-free.
     *
     * @param d a duration, not null
     * @return its nanoseconds, exact when they fit
     */
    public static long nanos(final Duration d) {
        final long s = d.getSeconds();
        final int n = d.getNano();
        if (s > MAX_SECONDS || (s == MAX_SECONDS && n > MAX_REST)) {
            return Long.MAX_VALUE;
        }
        if (s < MIN_SECONDS || (s == MIN_SECONDS && n < MIN_REST)) {
            return Long.MIN_VALUE;
        }
        return s * NANOS_PER_SECOND + n;
    }

    /**
     * {@code a + b}, clamped to the {@code long} range.
     *
     * @param a a value
     * @param b a value
     * @return the clamped sum
     */
    public static long add(final long a, final long b) {
        final long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    /**
     * {@code a - b}, clamped to the {@code long} range.
     *
     * @param a a value
     * @param b a value
     * @return the clamped difference
     */
    public static long sub(final long a, final long b) {
        final long r = a - b;
        if (((a ^ b) & (a ^ r)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }
}
