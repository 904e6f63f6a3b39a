package dev.valarm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every virtual-clock adapter replays the same random operation log and must agree with a simple model
 * (a sorted multiset of live deadlines) on sizes, expiry counts and, for the exact structures, the
 * times the hold step reports. Expiry times are tick-aligned so that the wheels and our tick-rounded
 * heap give the same answers as the exact structures. A wrong adapter would make a benchmark fast and
 * meaningless; this keeps them honest.
 */
class AdapterConformanceTest {

    private static void add(final TreeMap<Long, Integer> model, final long d) {
        model.merge(d, 1, Integer::sum);
    }

    private static void remove(final TreeMap<Long, Integer> model, final long d) {
        final int c = model.get(d);
        if (c == 1) {
            model.remove(d);
        } else {
            model.put(d, c - 1);
        }
    }

    private static int drain(final TreeMap<Long, Integer> model, final long now) {
        int k = 0;
        while (!model.isEmpty() && model.firstKey() <= now) {
            k += model.pollFirstEntry().getValue();
        }
        return k;
    }

    @ParameterizedTest
    @ValueSource(strings = {"heap2", "heap4", "heap8", "heap4-tick", "hybrid", "hybrid-tick", "pq",
        "stpeQueue", "nettyDpq", "agronaWheel"})
    void replaysTheSameLogAsTheModel(final String impl) {
        final int n = 6000; // above the hybrid queue's heap-mode limit (4096), so its wheel is in use
        final SplittableRandom r = new SplittableRandom(42);
        final TimerAdapter a = Adapters.create(impl, n);
        final TreeMap<Long, Integer> model = new TreeMap<>();
        final long[] handles = new long[n];
        final long[] deadlines = new long[n];
        final boolean[] live = new boolean[n];
        long now = 0;
        int count = 0;
        for (int step = 0; step < 40_000; step++) {
            final int i = r.nextInt(n);
            final int op = r.nextInt(10);
            if (!live[i]) {
                final long d = now + 1 + r.nextLong(Workloads.TICK * 64);
                handles[i] = a.schedule(d);
                deadlines[i] = d;
                live[i] = true;
                add(model, d);
                count++;
            } else if (op < 3) {
                assertTrue(a.cancel(handles[i]), impl + ": cancel of a live entry");
                live[i] = false;
                remove(model, deadlines[i]);
                count--;
            } else if (op < 7) {
                final long d = Math.max(now + 1, deadlines[i] + r.nextLong(-Workloads.TICK * 8, Workloads.TICK * 8));
                handles[i] = a.reschedule(handles[i], d);
                remove(model, deadlines[i]);
                deadlines[i] = d;
                add(model, d);
            } else if (op == 9) {
                now += Workloads.TICK;
                final int expected = drain(model, now);
                assertEquals(expected, a.expire(now, Integer.MAX_VALUE), impl + ": expired at " + now);
                count -= expected;
                for (int j = 0; j < n; j++) {
                    if (live[j] && deadlines[j] <= now) {
                        live[j] = false;
                    }
                }
            }
            assertEquals(count, a.size(), impl + ": size");
        }
        a.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"heap2", "heap4", "heap8", "hybrid", "pq", "stpeQueue", "nettyDpq"})
    void exactStructuresHoldInDeadlineOrder(final String impl) {
        final int n = 6000;
        final TimerAdapter a = Adapters.create(impl, n);
        final TimerAdapter ref = Adapters.create("heap4", n);
        final long[] initial = Workloads.deltas(3);
        final long[] deltas = Workloads.deltas(6);
        for (int i = 0; i < n; i++) {
            a.schedule(initial[i]);
            ref.schedule(initial[i]);
        }
        long last = Long.MIN_VALUE;
        for (int k = 0; k < 50_000; k++) {
            final long t = a.hold(deltas[k]);
            assertEquals(ref.hold(deltas[k]), t, impl + ": hold step " + k);
            assertTrue(t >= last, impl + ": time went back at step " + k);
            last = t;
        }
        assertEquals(n, a.size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"heap4-tick", "hybrid-tick", "agronaWheel"})
    void wheelsHoldOnTickBoundaries(final String impl) {
        final int n = 6000;
        final TimerAdapter a = Adapters.create(impl, n);
        final long[] initial = Workloads.deltas(3);
        final long[] deltas = Workloads.deltas(6);
        for (int i = 0; i < n; i++) {
            a.schedule(initial[i] | 1); // never exactly on a boundary
        }
        long last = Long.MIN_VALUE;
        for (int k = 0; k < 50_000; k++) {
            final long t = a.hold(deltas[k] | 1);
            assertEquals(0, t & (Workloads.TICK - 1), impl + ": fired off a tick boundary at step " + k);
            assertTrue(t >= last, impl + ": time went back at step " + k);
            last = t;
        }
        assertEquals(n, a.size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"heap4", "heap4-tick", "hybrid", "hybrid-tick", "pq", "stpeQueue", "nettyDpq", "agronaWheel"})
    void burstDrainsExactlyTheBurst(final String impl) {
        final int background = 6000; // above the hybrid queue's heap-mode limit
        final TimerAdapter a = Adapters.create(impl, background + Workloads.BURST);
        final long[] initial = Workloads.deltas(3);
        for (int i = 0; i < background; i++) {
            a.schedule(Workloads.FAR + initial[i]);
        }
        long now = 0;
        for (int round = 0; round < 500; round++) {
            for (int j = 0; j < Workloads.BURST; j++) {
                a.schedule(now + (initial[round * Workloads.BURST + j] & (Workloads.TICK - 1)));
            }
            now += Workloads.TICK;
            assertEquals(Workloads.BURST, a.expire(now, Integer.MAX_VALUE), impl + ": burst " + round);
            assertEquals(0, a.expire(now, Integer.MAX_VALUE), impl + ": idle after burst " + round);
        }
        assertEquals(background, a.size());
    }
}
