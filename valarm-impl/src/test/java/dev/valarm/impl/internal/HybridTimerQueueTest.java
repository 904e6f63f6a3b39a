package dev.valarm.impl.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Directed tests of {@link HybridTimerQueue} alone: its zones (heap mode, near heap, wheel, far heap), the
 * moves between them, re-tuning, and memory. The shared contract is in {@link TimerQueueContractTest}, the
 * oracle runs in {@link TimerQueueModelTest}.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES) // a broken structure must fail, not hang the build
final class HybridTimerQueueTest {

    private static final TimerQueue.ExpiryHandler ACCEPT = (h, d, p) -> true;
    private static final long SECOND = 1_000_000_000L;

    @Test
    void rejectsBadCapacityAndTuning() {
        assertThrows(IllegalArgumentException.class, () -> new HybridTimerQueue(0));
        assertThrows(IllegalArgumentException.class, () -> new HybridTimerQueue(HybridTimerQueue.MAX_CAPACITY + 1));
        assertThrows(IllegalArgumentException.class, () -> new HybridTimerQueue(16, 0, 4, 6));
        assertThrows(IllegalArgumentException.class, () -> new HybridTimerQueue(16, 8, 0, 6));
        assertThrows(IllegalArgumentException.class, () -> new HybridTimerQueue(16, 8, 4, 5));
        assertThrows(IllegalArgumentException.class, () -> new HybridTimerQueue(16, 8, 4, 23));
        final HybridTimerQueue q = new HybridTimerQueue(1);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> q.ensureCapacity(HybridTimerQueue.MAX_CAPACITY + 1));
        assertTrue(e.getMessage().contains(Integer.toString(HybridTimerQueue.MAX_CAPACITY + 1)), e.getMessage());
        q.ensureCapacity(-5); // no-op
        assertEquals(1, q.capacity());
        q.ensureCapacity(1000);
        assertEquals(1000, q.capacity());
    }

    /** Up to the spill limit a heap; one more entry turns the wheel on; below a quarter of it, a heap again. */
    @Test
    void heapModeThenWheelThenHeapAgain() {
        final HybridTimerQueue q = new HybridTimerQueue(16);
        final int spill = HybridTimerQueue.DEFAULT_SPILL;
        final SplittableRandom rnd = new SplittableRandom(1);
        final long[] handles = new long[spill + 1];
        for (int i = 0; i < spill; i++) {
            handles[i] = q.schedule(rnd.nextLong(60 * SECOND), i);
        }
        assertFalse(q.wheelMode());
        assertEquals(spill, q.zoneSizes()[0], "all in the near heap");
        handles[spill] = q.schedule(rnd.nextLong(60 * SECOND), spill);
        assertTrue(q.wheelMode());
        q.verifyInvariants();
        assertTrue(q.zoneSizes()[1] > spill * 3 / 4, "most in the wheel: " + Arrays.toString(q.zoneSizes()));
        for (int i = 0; i <= spill; i++) {
            assertEquals(i, q.payload(handles[i]), "handles survive the move");
        }
        int left = spill + 1;
        for (int i = 0; left >= spill / 4; i++) {
            assertTrue(q.cancel(handles[i]));
            left--;
        }
        assertFalse(q.wheelMode(), "back to heap mode at " + left);
        assertEquals(left, q.zoneSizes()[0]);
        q.verifyInvariants();
        final long[] out = new long[left];
        final int[] k = {0};
        assertEquals(left, q.pollExpired(Long.MAX_VALUE, (h, d, p) -> { out[k[0]++] = d; return true; }, left));
        final long[] sorted = out.clone();
        Arrays.sort(sorted);
        assertArrayEqualsInOrder(sorted, out);
    }

    /** Deadlines far beyond the wheel wait in the far heap; when the wheel runs empty it jumps to them. */
    @Test
    void farEntriesWaitInTheFarHeapAndTheWheelJumpsToThem() {
        final HybridTimerQueue q = new HybridTimerQueue(16);
        final SplittableRandom rnd = new SplittableRandom(2);
        final long year = 365L * 24 * 3600 * SECOND;
        final int near = 20_000;
        final int far = 2_000;
        for (int i = 0; i < near; i++) {
            q.schedule(rnd.nextLong(SECOND), i);
        }
        for (int i = 0; i < far; i++) {
            q.schedule(year + rnd.nextLong(SECOND), near + i);
        }
        q.verifyInvariants();
        assertTrue(q.wheelMode());
        assertEquals(far, q.zoneSizes()[2], "the far cluster is in the far heap: " + Arrays.toString(q.zoneSizes()));
        final int[] fired = {0};
        final long[] last = {Long.MIN_VALUE};
        assertEquals(near, q.pollExpired(SECOND, (h, d, p) -> {
            assertTrue(d >= last[0] && d < SECOND && p < near);
            last[0] = d;
            fired[0]++;
            return true;
        }, Integer.MAX_VALUE));
        assertTrue(q.peekDeadline() >= year, "the next deadline is a far one");
        q.verifyInvariants();
        assertEquals(far, q.pollExpired(year + SECOND, (h, d, p) -> {
            assertTrue(d >= last[0] && p >= near);
            last[0] = d;
            return true;
        }, Integer.MAX_VALUE));
        assertTrue(q.isEmpty());
        q.verifyInvariants();
    }

    /** When every deadline moves from about a second ahead to about a day ahead, the buckets widen. */
    @Test
    void retunesWhenTheDistributionMoves() {
        final HybridTimerQueue q = new HybridTimerQueue(16);
        final SplittableRandom rnd = new SplittableRandom(3);
        final int n = 50_000;
        final long[] h = new long[n];
        for (int i = 0; i < n; i++) {
            h[i] = q.schedule(rnd.nextLong(SECOND), i);
        }
        assertEquals(0, q.zoneSizes()[2], "one second fits the wheel");
        final long day = 24 * 3600 * SECOND;
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < n; i++) {
                assertTrue(q.reschedule(h[i], rnd.nextLong(day)));
            }
        }
        q.verifyInvariants();
        final int[] z = q.zoneSizes();
        assertTrue(z[2] <= n / 4 + 64, "re-tuned: few far entries " + Arrays.toString(z));
        assertTrue(z[0] <= HybridTimerQueue.DEFAULT_SPILL, "re-tuned: few near entries " + Arrays.toString(z));
        // And back: a second ahead again.
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < n; i++) {
                assertTrue(q.reschedule(h[i], rnd.nextLong(SECOND)));
            }
        }
        q.peekDeadline();
        q.verifyInvariants();
        final int[] y = q.zoneSizes();
        assertTrue(y[0] <= HybridTimerQueue.DEFAULT_SPILL && y[2] <= n / 4 + 64, "re-tuned back " + Arrays.toString(y));
        assertEquals(n, q.pollExpired(Long.MAX_VALUE, ACCEPT, Integer.MAX_VALUE));
    }

    /** A burst scheduled before the cursor (already due) goes to the near heap and comes out first, in order. */
    @Test
    void entriesBeforeTheCursorGoToTheNearHeap() {
        final HybridTimerQueue q = new HybridTimerQueue(16);
        final SplittableRandom rnd = new SplittableRandom(4);
        for (int i = 0; i < 10_000; i++) {
            q.schedule((1L << 60) + rnd.nextLong(1L << 36), -1);
        }
        assertTrue(q.peekDeadline() >= 1L << 60); // settles: the cursor is past the first far bucket
        long now = 0;
        for (int burst = 0; burst < 100; burst++) {
            for (int j = 0; j < 64; j++) {
                q.schedule(now + rnd.nextLong(1 << 20), j);
            }
            assertTrue(q.zoneSizes()[0] >= 64, "the burst is in the near heap");
            now += 1 << 20;
            final long[] last = {Long.MIN_VALUE};
            final long t = now;
            assertEquals(64, q.pollExpired(now, (h, d, p) -> {
                assertTrue(d >= last[0] && d <= t && p >= 0);
                last[0] = d;
                return true;
            }, Integer.MAX_VALUE));
            assertEquals(0, q.pollExpired(now, ACCEPT, Integer.MAX_VALUE));
        }
        assertEquals(10_000, q.size());
        q.verifyInvariants();
    }

    /** An empty queue moves its wheel to the next deadline instead of sending it to the far heap. */
    @Test
    void anEmptyQueueRebasesItsWheel() {
        // spill 3: the queue stays in wheel mode when it runs empty (it returns to heap mode below 3 / 4)
        final HybridTimerQueue q = new HybridTimerQueue(16, 3, 4, 6);
        final SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 10_000; i++) {
            q.schedule(rnd.nextLong(SECOND), i);
        }
        for (int i = 1; i <= 3; i++) {
            assertEquals(q.size(), q.pollExpired(Long.MAX_VALUE, ACCEPT, Integer.MAX_VALUE));
            assertTrue(q.wheelMode());
            final long at = i * 1000 * SECOND;
            q.schedule(at, i);
            q.verifyInvariants();
            assertEquals(1, q.zoneSizes()[1], "in the wheel, not the far heap: " + Arrays.toString(q.zoneSizes()));
            q.schedule(at, -i);
            assertEquals(2, q.zoneSizes()[1], "the same bucket: " + Arrays.toString(q.zoneSizes()));
            assertEquals(at, q.peekDeadline());
            q.verifyInvariants();
        }
    }

    /**
     * Memory at 1 048 576 live entries (issue 14: at most 40 B per live entry): array bytes per entry,
     * pre-sized and grown from capacity 1, deadlines uniform over 2^36 ns as in the benchmarks, and again
     * after a million hold steps (which move entries through every zone).
     */
    @Test
    void atMost40BytesPerEntryAtOneMebiEntries() {
        final int n = 1 << 20;
        final HybridTimerQueue grown = new HybridTimerQueue(1);
        final HybridTimerQueue sized = new HybridTimerQueue(n);
        final SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < n; i++) {
            final long d = rnd.nextLong(1L << 36);
            grown.schedule(d, i);
            sized.schedule(d, i);
        }
        final double grownBytes = (double) grown.arrayBytes() / n;
        final double sizedBytes = (double) sized.arrayBytes() / n;
        for (int i = 0; i < n; i++) {
            final long now = sized.peekDeadline();
            sized.replaceTop(now + rnd.nextLong(1L << 36));
        }
        sized.verifyInvariants();
        final double afterHold = (double) sized.arrayBytes() / n;
        System.out.printf(Locale.US, "HybridTimerQueue at %d entries: %.4f B/entry (grown from 1), %.4f B/entry "
                + "(pre-sized), %.4f B/entry (pre-sized, after %d hold steps); zones %s%n", n, grownBytes, sizedBytes,
                afterHold, n, Arrays.toString(sized.zoneSizes()));
        assertTrue(grownBytes <= 40.0, "grown: " + grownBytes);
        assertTrue(sizedBytes <= 40.0, "pre-sized: " + sizedBytes);
        assertTrue(afterHold <= 40.0, "after hold: " + afterHold);
    }

    private static void assertArrayEqualsInOrder(final long[] expected, final long[] actual) {
        assertEquals(Arrays.toString(expected), Arrays.toString(actual));
    }
}
