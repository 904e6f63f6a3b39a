package dev.valarm.impl.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Directed tests of {@link TimerHeap} alone: arity and capacity checks, pre-sizing, memory. The contract
 * tests shared with the hybrid queue (stale handles, extremes, ties, budget, growth, allocation) are in
 * {@link TimerQueueContractTest}.
 */
final class TimerHeapTest {

    @Test
    void rejectsBadArityAndCapacity() {
        assertThrows(IllegalArgumentException.class, () -> new TimerHeap(3, 16));
        assertThrows(IllegalArgumentException.class, () -> new TimerHeap(16, 16));
        assertThrows(IllegalArgumentException.class, () -> new TimerHeap(4, 0));
        assertThrows(IllegalArgumentException.class, () -> new TimerHeap(4, TimerHeap.MAX_CAPACITY + 1));
        final TimerHeap heap = new TimerHeap(1);
        assertEquals(4, heap.arity());
        assertThrows(IllegalArgumentException.class, () -> heap.ensureCapacity(TimerHeap.MAX_CAPACITY + 1));
        heap.ensureCapacity(-5); // no-op
        assertEquals(1, heap.capacity());
    }

    @Test
    void ensureCapacityPreSizesSoThatNothingGrows() {
        final TimerHeap heap = new TimerHeap(8, 1);
        heap.ensureCapacity(1000);
        assertEquals(1000, heap.capacity());
        final long[] h = new long[1000];
        for (int i = 0; i < h.length; i++) {
            h[i] = heap.schedule(1000 - i, i);
        }
        assertEquals(1000, heap.capacity(), "no growth up to the ensured capacity");
        heap.ensureCapacity(10); // never shrinks
        assertEquals(1000, heap.capacity());
        for (int i = 0; i < h.length; i++) {
            assertEquals(1000 - i, heap.deadline(h[i]));
            assertEquals(i, heap.payload(h[i]));
        }
        heap.verifyInvariants();
        assertEquals(1, heap.peekDeadline());
        assertEquals(h[999], heap.peekHandle());
        assertEquals(999, heap.peekPayload());
    }

    /**
     * Memory: array bytes per live entry at 1 048 576 entries, pre-sized and grown from capacity 1.
     * The target is at most 32 bytes (issue 3); the layout gives 24.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void atMost32BytesPerEntryAtOneMebiEntries(final int arity) {
        final int n = 1 << 20;
        final TimerHeap grown = new TimerHeap(arity, 1);
        final TimerHeap sized = new TimerHeap(arity, n);
        final SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < n; i++) {
            final long d = rnd.nextLong();
            grown.schedule(d, i);
            sized.schedule(d, i);
        }
        final double grownBytes = (double) grown.arrayBytes() / n;
        final double sizedBytes = (double) sized.arrayBytes() / n;
        System.out.printf(java.util.Locale.US, "TimerHeap arity %d at %d entries: %.4f B/entry (grown from 1), "
                + "%.4f B/entry (pre-sized)%n", arity, n, grownBytes, sizedBytes);
        assertTrue(grownBytes <= 32.0, "grown: " + grownBytes);
        assertTrue(sizedBytes <= 32.0, "pre-sized: " + sizedBytes);
        assertTrue(sizedBytes < 24.01, "layout regressed: " + sizedBytes);
    }
}
