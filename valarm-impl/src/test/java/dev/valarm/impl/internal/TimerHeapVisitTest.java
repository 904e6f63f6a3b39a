package dev.valarm.impl.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link TimerHeap#visitBefore}: exactly the entries before the bound, heap unchanged, limit honoured. */
class TimerHeapVisitTest {

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void visitsExactlyTheEntriesBeforeTheBound(final int arity) {
        final Random rnd = new Random(arity);
        final TimerHeap heap = new TimerHeap(arity, 4);
        final List<long[]> live = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            final long d = rnd.nextInt(10_000);
            final long h = heap.schedule(d, i);
            live.add(new long[] {d, i, h});
            if (rnd.nextInt(4) == 0) {
                final long[] gone = live.remove(rnd.nextInt(live.size()));
                heap.cancel(gone[2]);
            }
        }
        for (final long bound : new long[] {Long.MIN_VALUE, 0, 1, 500, 5000, 9999, 10_000, Long.MAX_VALUE}) {
            final List<String> seen = new ArrayList<>();
            final int n = heap.visitBefore(bound, (d, p) -> seen.add(d + ":" + p), Integer.MAX_VALUE);
            final List<String> want = live.stream().filter(e -> e[0] < bound).map(e -> e[0] + ":" + e[1]).sorted()
                    .collect(Collectors.toList());
            seen.sort(null);
            assertEquals(want, seen, "bound " + bound);
            assertEquals(want.size(), n);
        }
        heap.verifyInvariants();
        assertEquals(live.size(), heap.size());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7})
    void theLimitIsHonoured(final int limit) {
        final TimerHeap heap = new TimerHeap(4, 16);
        for (int i = 0; i < 100; i++) {
            heap.schedule(i, i);
        }
        final List<Long> seen = new ArrayList<>();
        assertEquals(limit, heap.visitBefore(50, (d, p) -> seen.add(d), limit));
        assertEquals(limit, seen.size());
        assertEquals(0, heap.visitBefore(0, (d, p) -> seen.add(d), 10), "nothing before the earliest");
    }
}
