package dev.valarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Timespec#plus(Duration)}, {@link Timespec#minus(Duration)}, the {@link Instant} round trip and the
 * human-readable forms of {@link Timespec#toString()} and {@link TimeFormat} (issue 13).
 */
class TimespecArithmeticAndFormatTest {
    private static final BigInteger NANOS = BigInteger.valueOf(1_000_000_000L);
    private static final BigInteger MAX = BigInteger.valueOf(Long.MAX_VALUE).multiply(NANOS).add(BigInteger.valueOf(999_999_999));
    private static final BigInteger MIN = BigInteger.valueOf(Long.MIN_VALUE).multiply(NANOS);

    private static BigInteger exact(final long seconds, final int nanos) {
        return BigInteger.valueOf(seconds).multiply(NANOS).add(BigInteger.valueOf(nanos));
    }

    private static Timespec fromExact(final BigInteger v) {
        final BigInteger c = v.max(MIN).min(MAX);
        final BigInteger[] qr = c.divideAndRemainder(NANOS);
        BigInteger s = qr[0];
        BigInteger r = qr[1];
        if (r.signum() < 0) {
            s = s.subtract(BigInteger.ONE);
            r = r.add(NANOS);
        }
        return new Timespec(s.longValueExact(), r.intValueExact());
    }

    private static long edgeSeconds(final SplittableRandom rnd) {
        switch (rnd.nextInt(4)) {
            case 0:
                return Long.MAX_VALUE - rnd.nextInt(3);
            case 1:
                return Long.MIN_VALUE + rnd.nextInt(3);
            case 2:
                return rnd.nextLong();
            default:
                return rnd.nextLong(-5_000_000_000L, 5_000_000_000L);
        }
    }

    @Test
    void plusAndMinusAreExactOrSaturatedAgainstAnExactOracle() {
        final SplittableRandom rnd = new SplittableRandom(13_1);
        for (int i = 0; i < 300_000; i++) {
            final Timespec t = new Timespec(edgeSeconds(rnd), rnd.nextInt(1_000_000_000));
            final Duration d = Duration.ofSeconds(edgeSeconds(rnd), rnd.nextInt(1_000_000_000));
            final BigInteger dv = exact(d.getSeconds(), d.getNano());
            assertEquals(fromExact(exact(t.seconds(), t.nanos()).add(dv)), t.plus(d), () -> t.seconds() + "/" + t.nanos() + " + " + d);
            assertEquals(fromExact(exact(t.seconds(), t.nanos()).subtract(dv)), t.minus(d), () -> t.seconds() + "/" + t.nanos() + " - " + d);
        }
    }

    @Test
    void plusAndMinusAtTheVeryEnds() {
        final Timespec latest = new Timespec(Long.MAX_VALUE, 999_999_999);
        final Timespec earliest = new Timespec(Long.MIN_VALUE, 0);
        assertEquals(latest, latest.plus(Duration.ofNanos(1)), "saturates");
        assertEquals(new Timespec(Long.MAX_VALUE, 999_999_998), latest.minus(Duration.ofNanos(1)));
        assertEquals(earliest, earliest.minus(Duration.ofNanos(1)), "saturates");
        assertEquals(new Timespec(Long.MIN_VALUE, 1), earliest.plus(Duration.ofNanos(1)));
        assertEquals(latest, Timespec.ZERO.minus(Duration.ofSeconds(Long.MIN_VALUE)), "-(MIN) saturates");
        assertEquals(new Timespec(Long.MAX_VALUE, 0), new Timespec(-1, 0).minus(Duration.ofSeconds(Long.MIN_VALUE)),
                "-1 - MIN is exactly MAX");
        assertEquals(new Timespec(Long.MAX_VALUE, 500_000_000), new Timespec(Long.MAX_VALUE - 1, 600_000_000)
                .plus(Duration.ofMillis(900)), "a carry onto the last second");
    }

    @Test
    void armingInFiveSecondsReadsAsItShould() {
        final Timespec now = new Timespec(1_924_992_000L, 81_883);
        assertEquals(new Timespec(1_924_992_005L, 81_883), now.plus(Duration.ofSeconds(5)));
        assertEquals(now, now.plus(Duration.ofMinutes(90)).minus(Duration.ofMinutes(90)));
        assertEquals(new Timespec(-1, 500_000_000), Timespec.ZERO.minus(Duration.ofMillis(500)));
    }

    @Test
    void instantsRoundTripExactly() {
        final SplittableRandom rnd = new SplittableRandom(13_2);
        for (int i = 0; i < 100_000; i++) {
            final Instant in = i == 0 ? Instant.MIN : i == 1 ? Instant.MAX : i == 2 ? Instant.EPOCH
                    : Instant.ofEpochSecond(rnd.nextLong(Instant.MIN.getEpochSecond(), Instant.MAX.getEpochSecond()),
                            rnd.nextInt(1_000_000_000));
            assertEquals(in, Timespec.of(in).toInstant());
            assertEquals(Timespec.of(in), Timespec.of(Timespec.of(in).toInstant()));
        }
        assertEquals(Instant.MAX, new Timespec(Long.MAX_VALUE, 0).toInstant(), "saturates beyond Instant's range");
        assertEquals(Instant.MIN, new Timespec(Long.MIN_VALUE, 0).toInstant());
    }

    @Test
    void toStringReadsAsAWallClockTimeOrASpanAndKeepsTheExactValue() {
        assertEquals("2031-01-01T00:00:00Z (1924992000 s)", Timespec.of(Instant.parse("2031-01-01T00:00:00Z")).toString());
        assertEquals("2031-01-01T00:00:00.000081883Z (1924992000.000081883 s)", new Timespec(1_924_992_000L, 81_883).toString());
        assertEquals("1938-04-24T22:13:20Z (-1000000000 s)", Timespec.ofSeconds(-1_000_000_000L).toString());
        assertEquals("16 min 40 s (1000 s)", Timespec.ofSeconds(1000).toString());
        assertEquals("5.5 s", new Timespec(5, 500_000_000).toString());
        assertEquals("-0.5 s", new Timespec(-1, 500_000_000).toString());
        assertEquals("0 s", Timespec.ZERO.toString());
        assertEquals("0.000000001 s", Timespec.ofNanos(1).toString());
        assertEquals("11574 d 1 h 46 min 39.999999999 s, about 31.7 years (999999999.999999999 s)", new Timespec(999_999_999, 999_999_999).toString());
        assertEquals("9223372036854775807.999999999 s since the epoch", new Timespec(Long.MAX_VALUE, 999_999_999).toString());
        assertEquals("-9223372036854775808 s since the epoch", new Timespec(Long.MIN_VALUE, 0).toString());
    }

    @Test
    void durationsReadAsAPersonReadsThemNeverAsIso8601() {
        assertEquals("36500 d, about 99.9 years (3153600000 s)", TimeFormat.duration(Duration.ofHours(876_000)));
        assertEquals("1 h (3600 s)", TimeFormat.duration(Duration.ofHours(1)));
        assertEquals("1 h 0 min 0.25 s (3600.25 s)", TimeFormat.duration(Duration.ofMillis(3_600_250)));
        assertEquals("-1 h 0 min 0.25 s (-3600.25 s)", TimeFormat.duration(Duration.ofMillis(-3_600_250)));
        assertEquals("1 d 0 h 1 min (86460 s)", TimeFormat.duration(Duration.ofSeconds(86_460)));
        assertEquals("23 h 59 min 59 s (86399 s)", TimeFormat.duration(Duration.ofSeconds(86_399)));
        assertEquals("1 s", TimeFormat.duration(Duration.ofSeconds(1)));
        assertEquals("-9223372036854775808 s", TimeFormat.duration(Duration.ofSeconds(Long.MIN_VALUE)));
        assertEquals("2116-02-20T23:53:38Z (4611686018 s)", TimeFormat.instant(Timespec.CLOCK_MAX));
        assertEquals("1823-11-12T00:06:22Z (-4611686018 s)", TimeFormat.instant(Timespec.CLOCK_MIN));
        assertEquals("16 min 40 s (1000 s)", TimeFormat.duration(Timespec.ofSeconds(1000)));
        for (final Duration d : new Duration[] {Duration.ofDays(3), Duration.ofNanos(Long.MAX_VALUE), Duration.ofMillis(-1)}) {
            assertFalse(TimeFormat.duration(d).startsWith("PT"), d.toString());
        }
        assertTrue(TimeFormat.duration(Duration.ofNanos(Long.MAX_VALUE)).endsWith("(9223372036.854775807 s)"));
    }
}
