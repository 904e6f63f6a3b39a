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
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Directed tests of the {@link TimerQueue} contract on every implementation: stale handles, extremes,
 * ties, the poll budget and early stop, growth, and no allocation per operation.
 * The hybrid queue runs with its default tuning and with small tunings that put a few hundred entries
 * into its wheel and far heap.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES) // a broken structure must fail, not hang the build
final class TimerQueueContractTest {

    private static final TimerQueue.ExpiryHandler ACCEPT = (h, d, p) -> true;

    static Stream<Arguments> impls() {
        return Stream.of(
                Arguments.of("heap2", (IntFunction<TimerQueue>) c -> new TimerHeap(2, c)),
                Arguments.of("heap4", (IntFunction<TimerQueue>) c -> new TimerHeap(4, c)),
                Arguments.of("heap8", (IntFunction<TimerQueue>) c -> new TimerHeap(8, c)),
                Arguments.of("hybrid", (IntFunction<TimerQueue>) HybridTimerQueue::new),
                Arguments.of("hybrid-small", (IntFunction<TimerQueue>) c -> new HybridTimerQueue(c, 8, 2, 6)),
                Arguments.of("hybrid-1", (IntFunction<TimerQueue>) c -> new HybridTimerQueue(c, 1, 1, 6)));
    }

    private static void verify(final TimerQueue q) {
        TimerQueueModelTest.verify(q);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void staleHandlesAreHarmless(final String name, final IntFunction<TimerQueue> factory) {
        final TimerQueue q = factory.apply(1);
        final long a = q.schedule(10, 1);
        assertTrue(q.cancel(a));
        // The slot is reused, under a new generation.
        final long b = q.schedule(20, 2);
        assertEquals((int) a, (int) b, "LIFO slot reuse");
        assertNotEquals(a, b);
        for (final long stale : new long[] {a, TimerQueue.NULL_HANDLE, -1L, Long.MIN_VALUE, Long.MAX_VALUE,
                b + (1L << 32), b + 1, (b & 0xFFFF_FFFF_0000_0000L) | 1_000_000L}) {
            assertFalse(q.contains(stale), () -> Long.toHexString(stale));
            assertFalse(q.cancel(stale));
            assertFalse(q.reschedule(stale, 0));
            assertThrows(IllegalArgumentException.class, () -> q.deadline(stale));
            assertThrows(IllegalArgumentException.class, () -> q.payload(stale));
        }
        // Nothing changed.
        assertEquals(1, q.size());
        assertEquals(20, q.deadline(b));
        assertEquals(2, q.payload(b));
        // Removal by poll makes the handle stale too.
        assertEquals(1, q.pollExpired(20, ACCEPT, 10));
        assertFalse(q.contains(b));
        assertFalse(q.cancel(b));
        // And by clear.
        final long c = q.schedule(5, 3);
        final long d = q.schedule(6, 4);
        q.clear();
        assertTrue(q.isEmpty());
        assertFalse(q.contains(c));
        assertFalse(q.contains(d));
        assertFalse(q.reschedule(d, 1));
        verify(q);
        // replaceTop keeps the handle live.
        final long e = q.schedule(1, 5);
        assertEquals(e, q.replaceTop(100));
        assertTrue(q.contains(e));
        assertEquals(100, q.deadline(e));
    }

    /** Stale handles of a big population: every zone of the hybrid queue, and across its re-tuning. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void staleHandlesOfABigPopulation(final String name, final IntFunction<TimerQueue> factory) {
        final TimerQueue q = factory.apply(16);
        final SplittableRandom rnd = new SplittableRandom(3);
        final int n = 20_000;
        final long[] live = new long[n];
        final long[] stale = new long[n];
        for (int i = 0; i < n; i++) {
            // mostly within a minute, some within years: near, wheel and far entries
            live[i] = q.schedule(rnd.nextInt(8) == 0 ? rnd.nextLong(1L << 56) : rnd.nextLong(60_000_000_000L), i);
        }
        for (int i = 0; i < n; i += 2) {
            assertTrue(q.cancel(live[i]));
            stale[i] = live[i];
            live[i] = q.schedule(rnd.nextLong(60_000_000_000L), -i); // reuses the slot, new generation
            assertEquals((int) stale[i], (int) live[i]);
        }
        final int[] seen = {0};
        q.pollExpired(30_000_000_000L, (h, d, p) -> {
            seen[0]++;
            return true;
        }, Integer.MAX_VALUE);
        verify(q);
        for (int i = 0; i < n; i += 2) {
            assertFalse(q.contains(stale[i]));
            assertFalse(q.cancel(stale[i]));
            assertFalse(q.reschedule(stale[i], 1));
        }
        assertEquals(n - seen[0], q.size(), "stale operations changed nothing");
        verify(q);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void handlesAreNeverNullAcrossManyReuses(final String name, final IntFunction<TimerQueue> factory) {
        final TimerQueue q = factory.apply(1);
        final Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            final long h = q.schedule(i, i);
            assertNotEquals(TimerQueue.NULL_HANDLE, h);
            assertTrue(seen.add(h), "handle reused");
            assertTrue(q.cancel(h));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void extremeDeadlines(final String name, final IntFunction<TimerQueue> factory) {
        final TimerQueue q = factory.apply(1);
        final long[] values = {Long.MAX_VALUE, 0, Long.MIN_VALUE, -1, 1, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1,
            Long.MAX_VALUE, Long.MIN_VALUE};
        for (int i = 0; i < values.length; i++) {
            q.schedule(values[i], i);
        }
        assertEquals(Long.MIN_VALUE, q.peekDeadline());
        // Only the entries at Long.MIN_VALUE are due at Long.MIN_VALUE.
        assertEquals(2, q.pollExpired(Long.MIN_VALUE, ACCEPT, Integer.MAX_VALUE));
        assertEquals(Long.MIN_VALUE + 1, q.peekDeadline());
        final long[] out = new long[values.length];
        final int[] n = {0};
        assertEquals(values.length - 2,
                q.pollExpired(Long.MAX_VALUE, (h, d, p) -> { out[n[0]++] = d; return true; }, Integer.MAX_VALUE));
        final long[] sorted = values.clone();
        Arrays.sort(sorted);
        assertArrayEquals(Arrays.copyOfRange(sorted, 2, values.length), Arrays.copyOf(out, n[0]));
        assertEquals(Long.MAX_VALUE, q.peekDeadline());
        assertEquals(TimerQueue.NULL_HANDLE, q.peekHandle());
        // An entry at Long.MAX_VALUE is due only at Long.MAX_VALUE, and rescheduling between extremes works.
        final long h = q.schedule(Long.MAX_VALUE, 0);
        assertEquals(0, q.pollExpired(Long.MAX_VALUE - 1, ACCEPT, 1));
        assertTrue(q.reschedule(h, Long.MIN_VALUE));
        assertEquals(Long.MIN_VALUE, q.peekDeadline());
        assertTrue(q.reschedule(h, Long.MAX_VALUE));
        assertEquals(1, q.pollExpired(Long.MAX_VALUE, ACCEPT, 1));
    }

    /** Extremes inside a big population: every entry comes out in order, at or after its deadline. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void extremesAmongManyComeOutInOrder(final String name, final IntFunction<TimerQueue> factory) {
        final TimerQueue q = factory.apply(4);
        final SplittableRandom rnd = new SplittableRandom(11);
        final int n = 12_000;
        final long[] d = new long[n];
        for (int i = 0; i < n; i++) {
            switch (i % 6) {
                case 0: d[i] = Long.MIN_VALUE + rnd.nextLong(1000); break;
                case 1: d[i] = Long.MAX_VALUE - rnd.nextLong(1000); break;
                case 2: d[i] = rnd.nextLong(); break;
                default: d[i] = rnd.nextLong(1L << 30) - (1L << 29); break;
            }
            q.schedule(d[i], i);
        }
        verify(q);
        Arrays.sort(d);
        final int[] k = {0};
        while (!q.isEmpty()) {
            // now: the earliest deadline, or a jump ahead over up to 200 entries
            final long t = rnd.nextBoolean() ? q.peekDeadline() : d[Math.min(n - 1, k[0] + rnd.nextInt(200))];
            q.pollExpired(t, (h, dl, p) -> {
                assertTrue(dl <= t, "fired before its deadline");
                assertEquals(d[k[0]++], dl, "order");
                return true;
            }, 1 + rnd.nextInt(50));
        }
        assertEquals(n, k[0]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void equalDeadlines(final String name, final IntFunction<TimerQueue> factory) {
        final TimerQueue q = factory.apply(4);
        final long[] handles = new long[10_000];
        for (int i = 0; i < handles.length; i++) {
            handles[i] = q.schedule(42, i);
        }
        // Reschedule to equal values: nothing moves, everything stays consistent.
        for (int i = 0; i < handles.length; i += 3) {
            assertTrue(q.reschedule(handles[i], 42));
        }
        for (int i = 1; i < handles.length; i += 7) {
            assertTrue(q.cancel(handles[i]));
        }
        verify(q);
        assertEquals(0, q.pollExpired(41, ACCEPT, Integer.MAX_VALUE));
        final Set<Integer> payloads = new HashSet<>();
        final int expected = q.size();
        assertEquals(expected, q.pollExpired(42, (h, d, p) -> {
            assertEquals(42, d);
            assertTrue(payloads.add(p));
            return true;
        }, Integer.MAX_VALUE));
        assertEquals(expected, payloads.size());
        assertTrue(q.isEmpty());
        verify(q);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void pollLimitAndEarlyStop(final String name, final IntFunction<TimerQueue> factory) {
        final TimerQueue q = factory.apply(1);
        for (int i = 0; i < 10; i++) {
            q.schedule(i, i);
        }
        assertEquals(0, q.pollExpired(100, ACCEPT, 0));
        assertEquals(3, q.pollExpired(100, ACCEPT, 3));
        assertEquals(3, q.peekDeadline());
        final long top = q.peekHandle();
        assertEquals(0, q.pollExpired(100, (h, d, p) -> false, 10));
        assertTrue(q.contains(top), "handler false keeps the entry");
        assertEquals(7, q.size());
        final int[] calls = {0};
        assertEquals(2, q.pollExpired(100, (h, d, p) -> ++calls[0] <= 2, 10));
        assertEquals(3, calls[0]);
        assertEquals(5, q.peekDeadline());
        assertEquals(5, q.pollExpired(100, ACCEPT, Integer.MAX_VALUE));
        assertEquals(0, q.pollExpired(100, ACCEPT, Integer.MAX_VALUE));
        assertThrows(IllegalStateException.class, q::peekPayload);
        assertThrows(IllegalStateException.class, () -> q.replaceTop(1));
    }

    /**
     * The budget over a big due population: each call removes exactly {@code limit} entries (fewer only
     * when nothing more is due), earliest first, across buckets, and an early stop keeps the entry.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void budgetAcrossAManyEntryBacklog(final String name, final IntFunction<TimerQueue> factory) {
        final TimerQueue q = factory.apply(16);
        final SplittableRandom rnd = new SplittableRandom(5);
        final int n = 30_000;
        final long[] d = new long[n];
        for (int i = 0; i < n; i++) {
            d[i] = rnd.nextLong(1L << 40);
            q.schedule(d[i], i);
        }
        final long[] sorted = d.clone();
        Arrays.sort(sorted);
        final long now = sorted[n * 2 / 3];
        int due = 0;
        while (due < n && sorted[due] <= now) {
            due++;
        }
        int removed = 0;
        final int[] k = {0};
        while (true) {
            final int limit = 1 + rnd.nextInt(1024);
            final int got = q.pollExpired(now, (h, dl, p) -> {
                assertEquals(sorted[k[0]++], dl);
                return true;
            }, limit);
            removed += got;
            if (got < limit) {
                break;
            }
            assertTrue(removed <= due);
        }
        assertEquals(due, removed);
        assertTrue(q.peekDeadline() > now);
        final long top = q.peekHandle();
        assertEquals(0, q.pollExpired(Long.MAX_VALUE, (h, dl, p) -> false, 5));
        assertTrue(q.contains(top));
        assertEquals(n - due, q.size());
        verify(q);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void growsFromCapacityOne(final String name, final IntFunction<TimerQueue> factory) {
        final TimerQueue q = factory.apply(1);
        final SplittableRandom rnd = new SplittableRandom(name.hashCode());
        final int n = 100_000;
        final long[] d = new long[n];
        for (int i = 0; i < n; i++) {
            d[i] = rnd.nextLong();
            final long h = q.schedule(d[i], i);
            assertEquals(d[i], q.deadline(h));
        }
        assertEquals(n, q.size());
        assertTrue(q.capacity() >= n);
        verify(q);
        Arrays.sort(d);
        final int[] i = {0};
        assertEquals(n, q.pollExpired(Long.MAX_VALUE, (h, dl, p) -> {
            assertEquals(d[i[0]++], dl);
            return true;
        }, Integer.MAX_VALUE));
        verify(q);
        // Slots are reused after draining: no growth on refill.
        final int cap = q.capacity();
        for (int k = 0; k < n; k++) {
            q.schedule(k, k);
        }
        assertEquals(cap, q.capacity());
        verify(q);
    }

    /**
     * No allocation per operation once the capacity is there, counted by HotSpot's per-thread allocation
     * counter ({@code com.sun.management.ThreadMXBean}, reached reflectively: the test runs patched into
     * the module, which does not read jdk.management). The population (8192 entries) keeps the hybrid
     * queue in wheel mode (default tuning) throughout.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("impls")
    void noAllocationPerOperation(final String name, final IntFunction<TimerQueue> factory)
            throws ReflectiveOperationException {
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
        final TimerQueue q = factory.apply(1 << 14);
        final long[] handles = new long[1 << 13];
        final long id = Thread.currentThread().getId();
        final long[] state = {0x9E3779B97F4A7C15L, 0}; // random state, clock: the measured phase continues
        mixedOps(q, handles, state, 100_000); // warm-up (and the first fill)
        final long before = (Long) allocated.invoke(bean, id);
        final long sum = mixedOps(q, handles, state, 200_000);
        final long bytes = (Long) allocated.invoke(bean, id) - before;
        assertTrue(bytes < 4096, "allocated " + bytes + " bytes over 200000 ops (checksum " + sum + ")");
    }

    private static long mixedOps(final TimerQueue q, final long[] handles, final long[] state, final int ops) {
        long x = state[0];
        long now = state[1];
        long sum = 0;
        for (int i = 0; i < ops; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            final int j = (int) (x >>> 51) & (handles.length - 1);
            final long d = now + (x & 0xFFFFFFF);
            switch (i & 3) {
                case 0:
                    if (!q.reschedule(handles[j], d)) {
                        handles[j] = q.schedule(d, j);
                    }
                    break;
                case 1:
                    q.cancel(handles[j]);
                    handles[j] = q.schedule(d, j);
                    break;
                case 2:
                    now += 4096;
                    sum += q.pollExpired(now, ACCEPT, 8);
                    break;
                default:
                    if (!q.isEmpty()) {
                        sum += q.replaceTop(d);
                    }
                    break;
            }
        }
        state[0] = x;
        state[1] = now;
        return sum;
    }
}
