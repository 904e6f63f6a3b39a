package dev.valarm.impl.internal;

/** Saturating {@code long} arithmetic for nanosecond values. Stateless. */
public final class Sat {
    private Sat() {
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
