package dev.valarm.impl.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based test of every {@link TimerQueue}: seeded random operation sequences checked against an
 * oracle (a {@link HashMap} of live entries plus a {@link TreeMap} multiset of deadlines) after every step.
 *
 * <p>Implementations: {@link TimerHeap} with arity 2, 4 and 8, and {@link HybridTimerQueue} with its
 * default tuning, with a small tuning (heap mode only up to 8 entries, 2 per bucket: every zone, the far
 * jump, re-tuning and the return to heap mode happen within a few thousand entries) and with the smallest
 * (1 entry, 1 per bucket). Phases alternate between deadlines anywhere in a span and deadlines ahead of a
 * clock that only moves forward (as the device's clocks do), over spans of a few nanoseconds (many equal
 * deadlines), 2^24 and 2^40 ns, with outliers at the ends of the long range.
 *
 * <p>The implementation, seed, origin and step are in the message of any failure. Replay with
 * {@code -Dvalarm.heap.seed=<seed>} (every parameter set then runs that seed; pick the failing one by
 * implementation and origin); make the runs longer with {@code -Dvalarm.heap.ops=<n>}.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES) // a broken structure must fail, not hang the build
final class TimerQueueModelTest {
    private static final int DEFAULT_OPS = 1_000_000;
    private static final long SPAN = 1L << 40;
    /** Clock origins: deadlines lie in [origin, origin + SPAN], so the extremes of long are reached. */
    static final long[] ORIGINS = {Long.MIN_VALUE, -1L - SPAN / 2, -1L, 0L, Long.MAX_VALUE - SPAN};

    /** An implementation under test. */
    private static final class Impl {
        final String name;
        final IntFunction<TimerQueue> factory;
        /** Operations per clock origin in the origin sweep. */
        final int sweepOps;
        /** The largest population phases aim at (log2). */
        final int maxSizeBits;

        Impl(final String name, final IntFunction<TimerQueue> factory, final int sweepOps, final int maxSizeBits) {
            this.name = name;
            this.factory = factory;
            this.sweepOps = sweepOps;
            this.maxSizeBits = maxSizeBits;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static void verify(final TimerQueue q) {
        if (q instanceof TimerHeap) {
            ((TimerHeap) q).verifyInvariants();
        } else {
            ((HybridTimerQueue) q).verifyInvariants();
        }
    }

    private static final Impl[] IMPLS = {
        new Impl("heap2", c -> new TimerHeap(2, c), 40_000, 12),
        new Impl("heap4", c -> new TimerHeap(4, c), 40_000, 12),
        new Impl("heap8", c -> new TimerHeap(8, c), 40_000, 12),
        new Impl("hybrid", HybridTimerQueue::new, DEFAULT_OPS, 14),
        new Impl("hybrid-small", c -> new HybridTimerQueue(c, 8, 2, 6), DEFAULT_OPS, 12),
        new Impl("hybrid-1", c -> new HybridTimerQueue(c, 1, 1, 6), 200_000, 11),
    };

    static Stream<Arguments> impls() {
        final Long replay = Long.getLong("valarm.heap.seed");
        return Stream.of(IMPLS).map(i -> Arguments.of(i, replay != null ? replay : 0x5EEDL + i.name.hashCode()));
    }

    static Stream<Arguments> origins() {
        final Long replay = Long.getLong("valarm.heap.seed");
        return Stream.of(IMPLS).flatMap(i -> java.util.Arrays.stream(ORIGINS)
                .mapToObj(o -> Arguments.of(i, o, replay != null ? replay : 0x0816L ^ o ^ i.name.hashCode())));
    }

    /** At least one million operations per implementation, deadlines around 0 and the whole long range. */
    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("impls")
    void millionOperationsAgainstOracle(final Impl impl, final long seed) {
        new Run(impl, seed, 0L, Integer.getInteger("valarm.heap.ops", DEFAULT_OPS), true).go();
    }

    /**
     * Clock-origin sweep: the same mix with deadlines near Long.MIN_VALUE, -1, 0 and Long.MAX_VALUE; one
     * million operations per origin for the hybrid queue (whose bucket arithmetic the origin moves).
     */
    @ParameterizedTest(name = "{0} origin {1} seed {2}")
    @MethodSource("origins")
    void originSweepAgainstOracle(final Impl impl, final long origin, final long seed) {
        new Run(impl, seed, origin, Integer.getInteger("valarm.heap.ops", impl.sweepOps), false).go();
    }

    /** One seeded run. */
    private static final class Run {
        private final Impl impl;
        private final long seed;
        private final long origin;
        private final int ops;
        private final boolean wideDeadlines;
        private final SplittableRandom rnd;
        private final TimerQueue heap;

        // Oracle.
        private final Map<Long, long[]> live = new HashMap<>(); // handle -> {deadline, payload, index}
        private final TreeMap<Long, Integer> deadlines = new TreeMap<>(); // deadline -> count
        private long[] liveList = new long[1024];
        private int liveCount;
        private final long[] stale = new long[256];
        private int staleCount;

        private int step;
        private int targetSize;
        private long spanNow;
        /** Whether this phase's deadlines and polls follow a clock that only moves forward. */
        private boolean clockPhase;
        private long clock;
        /** Zone coverage of a hybrid queue: heap mode, wheel mode, near/wheel/far entries in wheel mode, mode changes. */
        private final int[] coverage = new int[6];
        private boolean lastWheelMode;

        Run(final Impl impl, final long seed, final long origin, final int ops, final boolean wideDeadlines) {
            this.impl = impl;
            this.seed = seed;
            this.origin = origin;
            this.ops = ops;
            this.wideDeadlines = wideDeadlines;
            this.rnd = new SplittableRandom(seed);
            this.heap = impl.factory.apply(1 + rnd.nextInt(8));
        }

        void go() {
            try {
                for (step = 0; step < ops; step++) {
                    if (step % 20_000 == 0) {
                        newPhase();
                    }
                    oneOp();
                    checkEarliest();
                    if ((step & 4095) == 0) {
                        verify(heap);
                    }
                    if ((step & 63) == 0) {
                        observeZones();
                    }
                }
                verify(heap);
                checkCoverage();
            } catch (final Throwable t) {
                throw new AssertionError("TimerQueue model failure: " + impl + " seed=" + seed + " origin="
                        + origin + " step=" + step + " size=" + heap.size()
                        + " (replay with -Dvalarm.heap.seed)", t);
            }
        }

        private void observeZones() {
            if (!(heap instanceof HybridTimerQueue)) {
                return;
            }
            final HybridTimerQueue q = (HybridTimerQueue) heap;
            final boolean wheel = q.wheelMode();
            coverage[wheel ? 1 : 0]++;
            if (wheel) {
                final int[] z = q.zoneSizes();
                for (int i = 0; i < 3; i++) {
                    coverage[2 + i] += z[i] > 0 ? 1 : 0;
                }
            }
            if (wheel != lastWheelMode) {
                coverage[5]++;
                lastWheelMode = wheel;
            }
        }

        /** A hybrid queue run must have used every zone (the default tuning: the wheel at least). */
        private void checkCoverage() {
            if (!(heap instanceof HybridTimerQueue)) {
                return;
            }
            final String text = impl + " coverage (heap mode, wheel mode, near, wheel, far, mode changes): "
                    + java.util.Arrays.toString(coverage);
            System.out.println(text + ", origin " + origin);
            if (impl.name.equals("hybrid")) {
                assertTrue(coverage[1] > 0 && coverage[3] > 0 && coverage[5] >= 2, text);
            } else if (impl.name.equals("hybrid-1")) {
                // spill 1: it returns to heap mode only when empty, so only the wheel-mode zones count
                assertTrue(coverage[1] > 0 && coverage[2] > 0 && coverage[3] > 0 && coverage[4] > 0, text);
            } else {
                for (final int c : coverage) {
                    assertTrue(c > 0, text);
                }
                assertTrue(coverage[5] >= 4, text);
            }
        }

        private void newPhase() {
            // Size targets from empty to a few thousand (log distributed) so that deep heaps and the
            // empty heap are both exercised.
            targetSize = rnd.nextInt(4) == 0 ? rnd.nextInt(4) : 1 << rnd.nextInt(impl.maxSizeBits + 1);
            // Sometimes a tiny span, so equal deadlines are common.
            spanNow = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(8) : rnd.nextBoolean() ? 1L << 24 : SPAN;
            clockPhase = rnd.nextBoolean();
            clock = origin + rnd.nextLong(SPAN / 4);
        }

        private long randomDeadline() {
            if (clockPhase && rnd.nextInt(50) != 0) {
                final long ahead = Math.min(spanNow, SPAN / 2);
                if (rnd.nextInt(16) == 0) {
                    return Math.max(origin, clock - rnd.nextLong(ahead / 8 + 1)); // set late: already due
                }
                return clock + rnd.nextLong(ahead + 1);
            }
            if (wideDeadlines && rnd.nextInt(50) == 0) {
                switch (rnd.nextInt(4)) {
                    case 0: return Long.MIN_VALUE;
                    case 1: return Long.MAX_VALUE;
                    case 2: return rnd.nextLong();
                    default: return 0L;
                }
            }
            return origin + rnd.nextLong(spanNow + 1);
        }

        private long randomNow() {
            if (wideDeadlines && rnd.nextInt(200) == 0) {
                return rnd.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE;
            }
            if (clockPhase) {
                clock = Math.min(origin + SPAN / 2, clock + rnd.nextLong(Math.min(spanNow, SPAN / 2) / 16 + 1));
                return clock;
            }
            if (deadlines.isEmpty() || rnd.nextInt(4) == 0) {
                return origin + rnd.nextLong(spanNow + 1);
            }
            // Near the earliest deadline, so that a few entries are due.
            final long min = deadlines.firstKey();
            final long delta = rnd.nextLong(spanNow / 8 + 2);
            final long now = min + delta;
            return now < min ? Long.MAX_VALUE : now; // saturate
        }

        private void oneOp() {
            final int size = heap.size();
            final int bias = size < targetSize ? 45 : size > targetSize ? 10 : 28;
            final int r = rnd.nextInt(100);
            if (r < bias) {
                schedule();
            } else if (r < bias + 14) {
                cancel();
            } else if (r < bias + 28) {
                reschedule();
            } else if (r < bias + 38) {
                poll();
            } else if (r < bias + 46) {
                replaceTop();
            } else if (r < bias + 50) {
                staleOps();
            } else if (r < bias + 54) {
                queries();
            } else if (rnd.nextInt(4000) == 0) {
                clear();
            } else {
                schedule();
            }
        }

        private void schedule() {
            final long d = randomDeadline();
            final int p = rnd.nextInt();
            final long h = heap.schedule(d, p);
            assertNotEquals(TimerQueue.NULL_HANDLE, h);
            assertFalse(live.containsKey(h), "handle handed out twice");
            add(h, d, p);
            assertTrue(heap.contains(h));
            assertEquals(d, heap.deadline(h));
            assertEquals(p, heap.payload(h));
        }

        private void cancel() {
            if (liveCount == 0 || rnd.nextInt(10) == 0) {
                final long h = randomNonLiveHandle();
                assertFalse(heap.cancel(h), "cancel of a stale handle");
                return;
            }
            final long h = liveList[rnd.nextInt(liveCount)];
            assertTrue(heap.cancel(h));
            remove(h);
            assertFalse(heap.contains(h));
            assertFalse(heap.cancel(h), "second cancel");
        }

        private void reschedule() {
            if (liveCount == 0 || rnd.nextInt(10) == 0) {
                final long h = randomNonLiveHandle();
                assertFalse(heap.reschedule(h, randomDeadline()), "reschedule of a stale handle");
                return;
            }
            final long h = liveList[rnd.nextInt(liveCount)];
            final long[] e = live.get(h);
            final long old = e[0];
            final long d;
            switch (rnd.nextInt(5)) {
                case 0: d = old; break;
                case 1: d = old == Long.MIN_VALUE ? old : old - 1 - rnd.nextLong(room(old - Long.MIN_VALUE)); break;
                case 2: d = old == Long.MAX_VALUE ? old : old + 1 + rnd.nextLong(room(Long.MAX_VALUE - old)); break;
                default: d = randomDeadline(); break;
            }
            assertTrue(heap.reschedule(h, d));
            decrement(old);
            increment(d);
            e[0] = d;
            assertEquals(d, heap.deadline(h));
            assertEquals((int) e[1], heap.payload(h), "payload kept");
        }

        private void poll() {
            final long now = randomNow();
            final int limit = rnd.nextInt(4) == 0 ? Integer.MAX_VALUE : rnd.nextInt(20);
            final int stopAt = rnd.nextInt(3) == 0 ? rnd.nextInt(10) : -1; // handler returns false at this call
            final int[] calls = {0};
            final long[] last = {Long.MIN_VALUE, TimerQueue.NULL_HANDLE};
            final int removed = heap.pollExpired(now, (handle, deadline, payload) -> {
                assertTrue(deadline <= now, "not due");
                // Before removal: the entry is still live, and it is the earliest.
                final long[] e = live.get(handle);
                assertNotNull(e, "handler got an unknown handle");
                assertTrue(heap.contains(handle), "handler called after removal");
                assertEquals(e[0], deadline);
                assertEquals((int) e[1], payload);
                assertEquals(deadlines.firstKey().longValue(), deadline, "not the earliest");
                assertTrue(deadline >= last[0], "out of order");
                last[0] = deadline;
                last[1] = handle;
                if (calls[0]++ == stopAt) {
                    return false;
                }
                remove(handle);
                return true;
            }, limit);
            final int expectedCalls = calls[0];
            final boolean stopped = stopAt >= 0 && expectedCalls == stopAt + 1;
            assertEquals(stopped ? expectedCalls - 1 : expectedCalls, removed);
            assertTrue(removed <= limit);
            if (stopped) {
                assertTrue(heap.contains(last[1]), "entry kept when the handler said false");
            }
            if (!stopped && removed < limit && !deadlines.isEmpty()) {
                assertTrue(deadlines.firstKey() > now, "stopped early with a due entry left");
            }
        }

        /** A bound for a random step, given the unsigned distance to the end of the long range. */
        private long room(final long unsignedDistance) {
            return unsignedDistance < 0 ? spanNow : Math.max(1, Math.min(spanNow, unsignedDistance));
        }

        private void replaceTop() {
            final long d = randomDeadline();
            if (liveCount == 0) {
                assertThrows(IllegalStateException.class, () -> heap.replaceTop(d));
                return;
            }
            final long top = heap.peekHandle();
            final long[] e = live.get(top);
            assertEquals(deadlines.firstKey().longValue(), e[0]);
            assertEquals(top, heap.replaceTop(d));
            decrement(e[0]);
            increment(d);
            e[0] = d;
            assertEquals(d, heap.deadline(top));
        }

        private void staleOps() {
            final long h = randomNonLiveHandle();
            assertFalse(heap.contains(h));
            assertFalse(heap.cancel(h));
            assertFalse(heap.reschedule(h, randomDeadline()));
            assertThrows(IllegalArgumentException.class, () -> heap.deadline(h));
            assertThrows(IllegalArgumentException.class, () -> heap.payload(h));
        }

        private void queries() {
            if (liveCount > 0) {
                final long h = liveList[rnd.nextInt(liveCount)];
                final long[] e = live.get(h);
                assertTrue(heap.contains(h));
                assertEquals(e[0], heap.deadline(h));
                assertEquals((int) e[1], heap.payload(h));
                assertEquals((int) live.get(heap.peekHandle())[1], heap.peekPayload());
            } else {
                assertThrows(IllegalStateException.class, heap::peekPayload);
            }
            assertEquals(liveCount == 0, heap.isEmpty());
        }

        private void clear() {
            heap.clear();
            for (int i = 0; i < liveCount; i++) {
                rememberStale(liveList[i]);
            }
            live.clear();
            deadlines.clear();
            liveCount = 0;
            for (int i = 0; i < staleCount; i++) {
                assertFalse(heap.contains(stale[i]));
            }
        }

        private void checkEarliest() {
            assertEquals(liveCount, heap.size(), "size");
            if (liveCount == 0) {
                assertEquals(Long.MAX_VALUE, heap.peekDeadline());
                assertEquals(TimerQueue.NULL_HANDLE, heap.peekHandle());
                return;
            }
            final long min = deadlines.firstKey();
            assertEquals(min, heap.peekDeadline(), "earliest deadline");
            final long[] e = live.get(heap.peekHandle());
            assertNotNull(e, "peekHandle is not live");
            assertEquals(min, e[0], "peekHandle is not an earliest entry");
        }

        private long randomNonLiveHandle() {
            switch (rnd.nextInt(4)) {
                case 0:
                    if (staleCount > 0) {
                        return stale[rnd.nextInt(staleCount)];
                    }
                    return TimerQueue.NULL_HANDLE;
                case 1: return TimerQueue.NULL_HANDLE;
                case 2: {
                    final long h = rnd.nextLong();
                    return live.containsKey(h) ? TimerQueue.NULL_HANDLE : h;
                }
                default: {
                    // A live slot with a wrong generation.
                    if (liveCount == 0) {
                        return -1L;
                    }
                    final long h = liveList[rnd.nextInt(liveCount)] + (1L << 32) * (1 + rnd.nextInt(3));
                    return live.containsKey(h) ? TimerQueue.NULL_HANDLE : h;
                }
            }
        }

        // ---- oracle bookkeeping

        private void add(final long h, final long d, final int p) {
            if (liveCount == liveList.length) {
                liveList = java.util.Arrays.copyOf(liveList, liveCount * 2);
            }
            live.put(h, new long[] {d, p, liveCount});
            liveList[liveCount++] = h;
            increment(d);
        }

        private void remove(final long h) {
            final long[] e = live.remove(h);
            final int i = (int) e[2];
            final long moved = liveList[--liveCount];
            liveList[i] = moved;
            if (moved != h) {
                live.get(moved)[2] = i;
            }
            decrement(e[0]);
            rememberStale(h);
        }

        private void rememberStale(final long h) {
            if (staleCount < stale.length) {
                stale[staleCount++] = h;
            } else {
                stale[rnd.nextInt(stale.length)] = h;
            }
        }

        private void increment(final long d) {
            deadlines.merge(d, 1, Integer::sum);
        }

        private void decrement(final long d) {
            final int c = deadlines.get(d);
            if (c == 1) {
                deadlines.remove(d);
            } else {
                deadlines.put(d, c - 1);
            }
        }
    }
}
