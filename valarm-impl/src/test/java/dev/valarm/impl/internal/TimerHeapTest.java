package dev.valarm.impl.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Directed tests of {@link TimerHeap}: stale handles, extremes, ties, growth, memory, allocation. */
final class TimerHeapTest {

    private static final TimerHeap.ExpiryHandler ACCEPT = (h, d, p) -> true;

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

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void staleHandlesAreHarmless(final int arity) {
        final TimerHeap heap = new TimerHeap(arity, 1);
        final long a = heap.schedule(10, 1);
        assertTrue(heap.cancel(a));
        // The slot is reused, under a new generation.
        final long b = heap.schedule(20, 2);
        assertEquals((int) a, (int) b, "LIFO slot reuse");
        assertNotEquals(a, b);
        for (final long stale : new long[] {a, TimerHeap.NULL_HANDLE, -1L, Long.MIN_VALUE, Long.MAX_VALUE,
                b + (1L << 32), b + 1, (b & 0xFFFF_FFFF_0000_0000L) | 1_000_000L}) {
            assertFalse(heap.contains(stale), () -> Long.toHexString(stale));
            assertFalse(heap.cancel(stale));
            assertFalse(heap.reschedule(stale, 0));
            assertThrows(IllegalArgumentException.class, () -> heap.deadline(stale));
            assertThrows(IllegalArgumentException.class, () -> heap.payload(stale));
        }
        // Nothing changed.
        assertEquals(1, heap.size());
        assertEquals(20, heap.deadline(b));
        assertEquals(2, heap.payload(b));
        // Removal by poll makes the handle stale too.
        assertEquals(1, heap.pollExpired(20, ACCEPT, 10));
        assertFalse(heap.contains(b));
        assertFalse(heap.cancel(b));
        // And by clear.
        final long c = heap.schedule(5, 3);
        final long d = heap.schedule(6, 4);
        heap.clear();
        assertTrue(heap.isEmpty());
        assertFalse(heap.contains(c));
        assertFalse(heap.contains(d));
        assertFalse(heap.reschedule(d, 1));
        heap.verifyInvariants();
        // replaceTop keeps the handle live.
        final long e = heap.schedule(1, 5);
        assertEquals(e, heap.replaceTop(100));
        assertTrue(heap.contains(e));
        assertEquals(100, heap.deadline(e));
    }

    @Test
    void handlesAreNeverNullAcrossManyReuses() {
        final TimerHeap heap = new TimerHeap(1);
        final Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            final long h = heap.schedule(i, i);
            assertNotEquals(TimerHeap.NULL_HANDLE, h);
            assertTrue(seen.add(h), "handle reused");
            assertTrue(heap.cancel(h));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void extremeDeadlines(final int arity) {
        final TimerHeap heap = new TimerHeap(arity, 1);
        final long[] values = {Long.MAX_VALUE, 0, Long.MIN_VALUE, -1, 1, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1,
            Long.MAX_VALUE, Long.MIN_VALUE};
        for (int i = 0; i < values.length; i++) {
            heap.schedule(values[i], i);
        }
        assertEquals(Long.MIN_VALUE, heap.peekDeadline());
        // Only the entries at Long.MIN_VALUE are due at Long.MIN_VALUE.
        assertEquals(2, heap.pollExpired(Long.MIN_VALUE, ACCEPT, Integer.MAX_VALUE));
        assertEquals(Long.MIN_VALUE + 1, heap.peekDeadline());
        final long[] out = new long[values.length];
        final int[] n = {0};
        assertEquals(values.length - 2,
                heap.pollExpired(Long.MAX_VALUE, (h, d, p) -> { out[n[0]++] = d; return true; }, Integer.MAX_VALUE));
        final long[] sorted = values.clone();
        Arrays.sort(sorted);
        assertArrayEquals(Arrays.copyOfRange(sorted, 2, values.length), Arrays.copyOf(out, n[0]));
        assertEquals(Long.MAX_VALUE, heap.peekDeadline());
        assertEquals(TimerHeap.NULL_HANDLE, heap.peekHandle());
        // An entry at Long.MAX_VALUE is due only at Long.MAX_VALUE, and rescheduling between extremes works.
        final long h = heap.schedule(Long.MAX_VALUE, 0);
        assertEquals(0, heap.pollExpired(Long.MAX_VALUE - 1, ACCEPT, 1));
        assertTrue(heap.reschedule(h, Long.MIN_VALUE));
        assertEquals(Long.MIN_VALUE, heap.peekDeadline());
        assertTrue(heap.reschedule(h, Long.MAX_VALUE));
        assertEquals(1, heap.pollExpired(Long.MAX_VALUE, ACCEPT, 1));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void equalDeadlines(final int arity) {
        final TimerHeap heap = new TimerHeap(arity, 4);
        final long[] handles = new long[1000];
        for (int i = 0; i < handles.length; i++) {
            handles[i] = heap.schedule(42, i);
        }
        // Reschedule to equal values: nothing moves, everything stays consistent.
        for (int i = 0; i < handles.length; i += 3) {
            assertTrue(heap.reschedule(handles[i], 42));
        }
        for (int i = 1; i < handles.length; i += 7) {
            assertTrue(heap.cancel(handles[i]));
        }
        heap.verifyInvariants();
        assertEquals(0, heap.pollExpired(41, ACCEPT, Integer.MAX_VALUE));
        final Set<Integer> payloads = new HashSet<>();
        final int expected = heap.size();
        assertEquals(expected, heap.pollExpired(42, (h, d, p) -> {
            assertEquals(42, d);
            assertTrue(payloads.add(p));
            return true;
        }, Integer.MAX_VALUE));
        assertEquals(expected, payloads.size());
        assertTrue(heap.isEmpty());
    }

    @Test
    void pollLimitAndEarlyStop() {
        final TimerHeap heap = new TimerHeap(1);
        for (int i = 0; i < 10; i++) {
            heap.schedule(i, i);
        }
        assertEquals(0, heap.pollExpired(100, ACCEPT, 0));
        assertEquals(3, heap.pollExpired(100, ACCEPT, 3));
        assertEquals(3, heap.peekDeadline());
        final long top = heap.peekHandle();
        assertEquals(0, heap.pollExpired(100, (h, d, p) -> false, 10));
        assertTrue(heap.contains(top), "handler false keeps the entry");
        assertEquals(7, heap.size());
        final int[] calls = {0};
        assertEquals(2, heap.pollExpired(100, (h, d, p) -> ++calls[0] <= 2, 10));
        assertEquals(3, calls[0]);
        assertEquals(5, heap.peekDeadline());
        assertEquals(5, heap.pollExpired(100, ACCEPT, Integer.MAX_VALUE));
        assertEquals(0, heap.pollExpired(100, ACCEPT, Integer.MAX_VALUE));
        assertThrows(IllegalStateException.class, heap::peekPayload);
        assertThrows(IllegalStateException.class, () -> heap.replaceTop(1));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void growsFromCapacityOne(final int arity) {
        final TimerHeap heap = new TimerHeap(arity, 1);
        final SplittableRandom rnd = new SplittableRandom(arity);
        final int n = 100_000;
        final long[] d = new long[n];
        for (int i = 0; i < n; i++) {
            d[i] = rnd.nextLong();
            final long h = heap.schedule(d[i], i);
            assertEquals(d[i], heap.deadline(h));
        }
        assertEquals(n, heap.size());
        assertTrue(heap.capacity() >= n);
        heap.verifyInvariants();
        Arrays.sort(d);
        final int[] i = {0};
        assertEquals(n, heap.pollExpired(Long.MAX_VALUE, (h, dl, p) -> {
            assertEquals(d[i[0]++], dl);
            return true;
        }, Integer.MAX_VALUE));
        heap.verifyInvariants();
        // Slots are reused after draining: no growth on refill.
        final int cap = heap.capacity();
        for (int k = 0; k < n; k++) {
            heap.schedule(k, k);
        }
        assertEquals(cap, heap.capacity());
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

    /**
     * No allocation per operation once the capacity is there, counted by HotSpot's per-thread allocation
     * counter ({@code com.sun.management.ThreadMXBean}, reached reflectively: the test runs patched into
     * the module, which does not read jdk.management).
     */
    @Test
    void noAllocationPerOperation() throws ReflectiveOperationException {
        final Object bean;
        final Method allocated;
        try {
            bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            final Class<?> type = Class.forName("com.sun.management.ThreadMXBean");
            Assumptions.assumeTrue(type.isInstance(bean), "needs com.sun.management.ThreadMXBean");
            Assumptions.assumeTrue((Boolean) type.getMethod("isThreadAllocatedMemoryEnabled").invoke(bean),
                    "thread allocation counting is not enabled in this JVM");
            allocated = type.getMethod("getThreadAllocatedBytes", long.class);
        } catch (final ClassNotFoundException | IllegalAccessException e) {
            Assumptions.abort("no HotSpot thread allocation counter: " + e);
            return;
        }
        final TimerHeap heap = new TimerHeap(4, 1 << 14);
        final long[] handles = new long[1 << 12];
        final long id = Thread.currentThread().getId();
        mixedOps(heap, handles, 50_000); // warm-up (and the first fill)
        final long before = (Long) allocated.invoke(bean, id);
        final long sum = mixedOps(heap, handles, 200_000);
        final long bytes = (Long) allocated.invoke(bean, id) - before;
        assertTrue(bytes < 4096, "allocated " + bytes + " bytes over 200000 ops (checksum " + sum + ")");
    }

    private static long mixedOps(final TimerHeap heap, final long[] handles, final int ops) {
        long x = 0x9E3779B97F4A7C15L;
        long now = 0;
        long sum = 0;
        for (int i = 0; i < ops; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            final int j = (int) (x >>> 52) & (handles.length - 1);
            final long d = now + (x & 0xFFFFF);
            switch (i & 3) {
                case 0:
                    if (!heap.reschedule(handles[j], d)) {
                        handles[j] = heap.schedule(d, j);
                    }
                    break;
                case 1:
                    heap.cancel(handles[j]);
                    handles[j] = heap.schedule(d, j);
                    break;
                case 2:
                    now += 256;
                    sum += heap.pollExpired(now, ACCEPT, 8);
                    break;
                default:
                    if (!heap.isEmpty()) {
                        sum += heap.replaceTop(d);
                    }
                    break;
            }
        }
        return sum;
    }
}
