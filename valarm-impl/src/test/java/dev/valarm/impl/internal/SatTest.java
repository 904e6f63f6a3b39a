package dev.valarm.impl.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Sat}'s saturating arithmetic against BigInteger, exhaustively near both ends of {@code long}. */
class SatTest {
    private static final BigInteger MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private static long clamp(final BigInteger v) {
        return v.max(MIN).min(MAX).longValueExact();
    }

    private static List<Long> edges() {
        final List<Long> v = new ArrayList<>();
        for (long d = 0; d <= 4; d++) {
            v.add(Long.MIN_VALUE + d);
            v.add(Long.MAX_VALUE - d);
            v.add(d);
            v.add(-d);
            v.add(Long.MIN_VALUE / 2 + d - 2);
            v.add(Long.MAX_VALUE / 2 + d - 2);
        }
        return v;
    }

    @Test
    void addAndSubSaturateExactlyAtBothEnds() {
        for (final long a : edges()) {
            for (final long b : edges()) {
                final BigInteger x = BigInteger.valueOf(a);
                final BigInteger y = BigInteger.valueOf(b);
                assertEquals(clamp(x.add(y)), Sat.add(a, b), a + " + " + b);
                assertEquals(clamp(x.subtract(y)), Sat.sub(a, b), a + " - " + b);
            }
        }
        final SplittableRandom rnd = new SplittableRandom(15_4);
        for (int i = 0; i < 200_000; i++) {
            final long a = rnd.nextLong();
            final long b = rnd.nextBoolean() ? rnd.nextLong() : rnd.nextLong(-1000, 1000);
            assertEquals(clamp(BigInteger.valueOf(a).add(BigInteger.valueOf(b))), Sat.add(a, b));
            assertEquals(clamp(BigInteger.valueOf(a).subtract(BigInteger.valueOf(b))), Sat.sub(a, b));
        }
    }

    @Test
    void durationsConvertExactlyOrSaturate() {
        final BigInteger nanosPerSecond = BigInteger.valueOf(1_000_000_000L);
        final long[] seconds = {0, 1, -1, 9_223_372_035L, 9_223_372_036L, 9_223_372_037L, -9_223_372_036L,
            -9_223_372_037L, -9_223_372_038L, Long.MAX_VALUE, Long.MIN_VALUE};
        final int[] nanos = {0, 1, 145_224_191, 145_224_192, 145_224_193, 854_775_806, 854_775_807, 854_775_808,
            999_999_999};
        for (final long s : seconds) {
            for (final int n : nanos) {
                final Duration d = Duration.ofSeconds(s, n);
                final BigInteger exact = BigInteger.valueOf(d.getSeconds()).multiply(nanosPerSecond)
                        .add(BigInteger.valueOf(d.getNano()));
                assertEquals(clamp(exact), Sat.nanos(d), d.getSeconds() + "/" + d.getNano());
            }
        }
    }
}
