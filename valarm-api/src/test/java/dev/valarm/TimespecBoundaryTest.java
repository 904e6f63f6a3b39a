package dev.valarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every conversion of {@link Timespec} against an exact oracle (BigInteger / BigDecimal arithmetic),
 * exhaustively around both 64-bit ends (the nanosecond range, the {@code long} seconds range, the
 * {@code Instant} range) and on random values drawn with a bias to those ends (issue 15, defect 2:
 * {@code new Timespec(-9223372037, 0).toNanos()} wrapped to a huge positive value).
 */
class TimespecBoundaryTest {
    private static final BigInteger NANOS = BigInteger.valueOf(Timespec.NANOS_PER_SECOND);
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);
    /** floor(Long.MIN_VALUE / 10^9) and floor(Long.MAX_VALUE / 10^9): the seconds at the nanosecond ends. */
    private static final long MIN_NANO_SECONDS = -9_223_372_037L;
    private static final long MAX_NANO_SECONDS = 9_223_372_036L;

    /** The exact value of a timespec, in nanoseconds. */
    private static BigInteger exact(final Timespec t) {
        return BigInteger.valueOf(t.seconds()).multiply(NANOS).add(BigInteger.valueOf(t.nanos()));
    }

    private static long clampToLong(final BigInteger v) {
        return v.max(LONG_MIN).min(LONG_MAX).longValueExact();
    }

    /** Seconds worth testing: every value within 3 of each end of every range, and some ordinary ones. */
    private static List<Long> boundarySeconds() {
        final List<Long> s = new ArrayList<>();
        final long[] centres = {MIN_NANO_SECONDS, MAX_NANO_SECONDS, Long.MIN_VALUE + 3, Long.MAX_VALUE - 3,
            Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond(), 0, -1, 1, 1_924_992_000L};
        for (final long c : centres) {
            for (long d = -3; d <= 3; d++) {
                s.add(c + d);
            }
        }
        return s;
    }

    /** Nanoseconds worth testing: the ends of the second and both remainders of the nanosecond range. */
    private static int[] boundaryNanos() {
        return new int[] {0, 1, 2, 145_224_191, 145_224_192, 145_224_193, 854_775_806, 854_775_807, 854_775_808,
            500_000_000, 999_999_998, 999_999_999};
    }

    private static void checkAllConversions(final Timespec t) {
        final BigInteger v = exact(t);
        // toNanos: exact inside the range, saturated outside.
        assertEquals(clampToLong(v), t.toNanos(), () -> "toNanos of " + t.seconds() + "/" + t.nanos());
        // ofNanos(toNanos) is the identity exactly when the value fits.
        if (v.compareTo(LONG_MIN) >= 0 && v.compareTo(LONG_MAX) <= 0) {
            assertEquals(t, Timespec.ofNanos(t.toNanos()), "round trip through nanoseconds");
        }
        // toInstant: exact inside Instant's range, saturated outside.
        final BigDecimal seconds = new BigDecimal(v, 9);
        final Instant expected;
        if (seconds.compareTo(BigDecimal.valueOf(Instant.MIN.getEpochSecond())) < 0) {
            expected = Instant.MIN;
        } else if (seconds.compareTo(new BigDecimal(BigInteger.valueOf(Instant.MAX.getEpochSecond()).multiply(NANOS)
                .add(BigInteger.valueOf(Instant.MAX.getNano())), 9)) > 0) {
            expected = Instant.MAX;
        } else {
            expected = Instant.ofEpochSecond(t.seconds(), t.nanos());
        }
        assertEquals(expected, t.toInstant(), () -> "toInstant of " + t.seconds() + "/" + t.nanos());
        if (expected != Instant.MIN && expected != Instant.MAX) {
            assertEquals(t, Timespec.of(t.toInstant()), "round trip through Instant");
        }
        // toDuration and back: exact for every value.
        final Duration d = t.toDuration();
        assertEquals(v, BigInteger.valueOf(d.getSeconds()).multiply(NANOS).add(BigInteger.valueOf(d.getNano())));
        assertEquals(t, Timespec.of(d), "round trip through Duration");
    }

    @Test
    void everyConversionIsExactOrSaturatedAroundEveryEnd() {
        int checked = 0;
        for (final long s : boundarySeconds()) {
            for (final int n : boundaryNanos()) {
                checkAllConversions(new Timespec(s, n));
                checked++;
            }
        }
        assertEquals(boundarySeconds().size() * boundaryNanos().length, checked);
    }

    /** The value the issue found: one nanosecond below the range must saturate to the minimum. */
    @Test
    void theValuesJustBelowTheNanosecondRangeSaturateToTheMinimum() {
        assertEquals(Long.MIN_VALUE, new Timespec(MIN_NANO_SECONDS, 0).toNanos());
        assertEquals(Long.MIN_VALUE, new Timespec(MIN_NANO_SECONDS, 145_224_191).toNanos());
        assertEquals(Long.MIN_VALUE, new Timespec(MIN_NANO_SECONDS, 145_224_192).toNanos(), "exactly the minimum");
        assertEquals(Long.MIN_VALUE + 1, new Timespec(MIN_NANO_SECONDS, 145_224_193).toNanos());
        assertEquals(Long.MAX_VALUE, new Timespec(MAX_NANO_SECONDS, 854_775_807).toNanos(), "exactly the maximum");
        assertEquals(Long.MAX_VALUE, new Timespec(MAX_NANO_SECONDS, 854_775_808).toNanos());
        assertEquals(Long.MAX_VALUE - 1, new Timespec(MAX_NANO_SECONDS, 854_775_806).toNanos());
    }

    /** Random values, half of them within a few seconds of an end, against the oracle. */
    @Test
    void randomValuesBiasedToTheEndsMatchTheOracle() {
        final SplittableRandom rnd = new SplittableRandom(15_2);
        final long[] ends = {MIN_NANO_SECONDS, MAX_NANO_SECONDS, Long.MIN_VALUE, Long.MAX_VALUE,
            Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond()};
        for (int i = 0; i < 200_000; i++) {
            final long s;
            switch (rnd.nextInt(3)) {
                case 0:
                    s = rnd.nextLong();
                    break;
                case 1:
                    s = saturatingAdd(ends[rnd.nextInt(ends.length)], rnd.nextLong(-5, 6));
                    break;
                default:
                    s = rnd.nextLong(-20_000_000_000L, 20_000_000_000L);
                    break;
            }
            checkAllConversions(new Timespec(s, rnd.nextInt(1_000_000_000)));
        }
    }

    @Test
    void ofNanosIsExactForEveryLong() {
        final SplittableRandom rnd = new SplittableRandom(15_3);
        for (int i = 0; i < 100_000; i++) {
            final long n = i < 20 ? (i % 2 == 0 ? Long.MIN_VALUE + i : Long.MAX_VALUE - i) : rnd.nextLong();
            final Timespec t = Timespec.ofNanos(n);
            assertEquals(BigInteger.valueOf(n), exact(t));
            assertEquals(n, t.toNanos());
        }
    }

    @Test
    void ofSecondsWithAnAdjustmentNormalisesOrThrowsAtTheLongEnds() {
        assertEquals(new Timespec(Long.MAX_VALUE, 999_999_999), Timespec.ofSeconds(Long.MAX_VALUE, 999_999_999L));
        assertEquals(new Timespec(Long.MIN_VALUE, 0), Timespec.ofSeconds(Long.MIN_VALUE + 1, -1_000_000_000L));
        assertThrows(ArithmeticException.class, () -> Timespec.ofSeconds(Long.MAX_VALUE, 1_000_000_000L));
        assertThrows(ArithmeticException.class, () -> Timespec.ofSeconds(Long.MIN_VALUE, -1));
    }

    /** A snapshot builder stores what it is given or refuses it: never a wrapped value. */
    @Test
    void aSnapshotBuilderRefusesATimeOutsideTheNanosecondRange() {
        for (final Timespec t : new Timespec[] {new Timespec(MIN_NANO_SECONDS, 0), new Timespec(MIN_NANO_SECONDS, 145_224_191),
            new Timespec(MAX_NANO_SECONDS, 854_775_808), new Timespec(Long.MIN_VALUE, 0), new Timespec(Long.MAX_VALUE, 0)}) {
            final InstanceSnapshot.Builder b = InstanceSnapshot.builder().minor(1).name("x");
            assertThrows(IllegalArgumentException.class, () -> b.clocks(t, Timespec.ZERO, Timespec.ZERO), t::toString);
            assertThrows(IllegalArgumentException.class, () -> b.alarm(AlarmType.RTC, t), t::toString);
        }
        final Timespec min = Timespec.ofNanos(Long.MIN_VALUE);
        final InstanceSnapshot s = InstanceSnapshot.builder().minor(1).name("x").clocks(min, Timespec.ZERO, Timespec.ZERO)
                .alarm(AlarmType.RTC, min).build();
        assertEquals(min, s.realtime());
        assertEquals(min, s.alarm(AlarmType.RTC).orElseThrow());
    }

    private static long saturatingAdd(final long a, final long b) {
        final long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }
}
