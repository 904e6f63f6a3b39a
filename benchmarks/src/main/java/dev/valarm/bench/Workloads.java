package dev.valarm.bench;

import java.util.SplittableRandom;

/**
 * The shared workload parameters: one virtual time line, one wheel geometry and one set of precomputed
 * random numbers for every adapter, so that every implementation sees the same sequence of operations.
 *
 * <p>Thread-safety: constants and pure functions only.
 */
public final class Workloads {
    /** log2 of the wheels' tick (and of the rounding applied to our heap's {@code @tick} variant). */
    public static final int TICK_BITS = 20;
    /** The wheels' tick: 2^20 ns, about 1.05 ms. */
    public static final long TICK = 1L << TICK_BITS;
    /** Spokes of both wheels, so that one rotation covers {@link #SPAN}. */
    public static final int SPOKES = 1 << 16;
    /** Deadlines are spread uniformly over this span: 2^36 ns, about 68.7 s. */
    public static final long SPAN = TICK * SPOKES;
    /**
     * Background entries of the burst and idle workloads sit this far ahead (2^60 ns, about 36 years):
     * idle polling advances virtual time one tick per call, 2^30 calls would reach 2^50.
     */
    public static final long FAR = 1L << 60;
    /** Entries drained per burst. */
    public static final int BURST = 64;
    /** The in-place reschedule moves an entry by up to 2^30 ns (about 1.07 s) each way. */
    public static final long MOVE = 1L << 30;
    /**
     * The reschedule workload keeps deadlines in [0, 2^38) (four spans, about 275 s): a move that leaves
     * the range wraps around. Without a bound the "earlier" moves drift below the wheel's start time
     * (Agrona then piles them all into the current spoke) and the "later" ones drift without limit.
     */
    public static final long RESCHEDULE_RANGE = 1L << 38;
    /** Size of every precomputed random table; read with {@code index++ & MASK}. */
    public static final int RANDOMS = 1 << 20;
    /** Mask for indexing the random tables. */
    public static final int MASK = RANDOMS - 1;
    /** Fixed seed: every adapter gets the same numbers. */
    public static final long SEED = 0x5EED_0F_7133L;
    /** Minimum real delay given to the real-clock peers, so that nothing fires during a fork. */
    public static final long REAL_MIN_DELAY = 120_000_000_000L;

    private Workloads() {
    }

    /**
     * Uniform offsets in [0, SPAN).
     *
     * @param salt separates tables
     * @return RANDOMS values
     */
    public static long[] deltas(final long salt) {
        final SplittableRandom r = new SplittableRandom(SEED ^ salt);
        final long[] a = new long[RANDOMS];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextLong(SPAN);
        }
        return a;
    }

    /**
     * Uniform indices in [0, n).
     *
     * @param n bound
     * @param salt separates tables
     * @return RANDOMS values
     */
    public static int[] indices(final int n, final long salt) {
        final SplittableRandom r = new SplittableRandom(SEED ^ salt);
        final int[] a = new int[RANDOMS];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextInt(n);
        }
        return a;
    }

    /**
     * Signed moves for the in-place reschedule: later with probability {@code laterPct} percent.
     *
     * @param laterPct 0 to 100
     * @param salt separates tables
     * @return RANDOMS values, each non-zero, magnitude below MOVE
     */
    public static long[] moves(final int laterPct, final long salt) {
        final SplittableRandom r = new SplittableRandom(SEED ^ salt);
        final long[] a = new long[RANDOMS];
        for (int i = 0; i < a.length; i++) {
            final long m = 1 + r.nextLong(MOVE - 1);
            a[i] = r.nextInt(100) < laterPct ? m : -m;
        }
        return a;
    }

    /**
     * The real delay the real-clock peers get for a virtual deadline: at least {@link #REAL_MIN_DELAY},
     * plus the deadline's position inside one span, so the order of deadlines inside a span is kept and
     * nothing fires while a fork runs.
     *
     * @param deadline virtual nanoseconds
     * @return a delay in nanoseconds
     */
    public static long delayOf(final long deadline) {
        return REAL_MIN_DELAY + Math.floorMod(deadline, SPAN);
    }

    /**
     * Rounds a deadline up to the next tick boundary (the precision of the wheels).
     *
     * @param deadline virtual nanoseconds
     * @return the rounded deadline
     */
    public static long roundUp(final long deadline) {
        return ((deadline + TICK - 1) >> TICK_BITS) << TICK_BITS;
    }
}
