package dev.valarm.impl.schedule.internal;

import dev.valarm.AlarmType;
import dev.valarm.impl.internal.TimerHeap;
import java.util.Arrays;

/**
 * The task heaps of one scheduler: one {@link TimerHeap} per alarm type, keyed by the task's time on that
 * type's clock as the instance sees it, plus the list of live wall-clock grid tasks. Only the head of each
 * heap is ever armed as the instance's driver alarm (the engine does that); everything else waits here.
 *
 * <p>Not thread-safe: guarded by the engine's lock. Never reads a clock: {@code now} is an argument.
 * Allocates nothing per task: heap keys are primitive, a heap entry's payload is the task's index in one
 * registry array, and polled tasks are linked through {@link ScheduledTask#next}. Growth of the heaps and
 * of the registry is the only allocation (doubling, amortised).
 */
final class TaskQueues {
    private static final int TYPES = AlarmType.COUNT;

    private final TimerHeap[] heaps = new TimerHeap[TYPES];
    /** Registry: heap payload -> task. Free indices form a stack in {@link #free}. */
    private ScheduledTask<?>[] byIndex = new ScheduledTask<?>[16];
    private int[] free = new int[16];
    private int freeTop;
    private int used;
    private int size;

    /** Live wall-clock grid tasks (queued or running), for re-alignment after a time change. */
    private ScheduledTask<?> gridHead;

    // Poll state (one poll at a time, under the lock).
    private final Collector collector = new Collector();
    private final ScheduledTask<?>[] runs = new ScheduledTask<?>[64];

    TaskQueues() {
        for (int t = 0; t < TYPES; t++) {
            heaps[t] = new TimerHeap(16);
        }
    }

    /** Tasks in the heaps. */
    int size() {
        return size;
    }

    boolean isEmpty(final int type) {
        return heaps[type].isEmpty();
    }

    /** The earliest time of a type's heap (check {@link #isEmpty} first). */
    long head(final int type) {
        return heaps[type].peekDeadline();
    }

    /**
     * Queues a task at its {@link ScheduledTask#time}.
     *
     * @return whether it became its heap's head (the driver alarm must move)
     */
    boolean add(final ScheduledTask<?> task) {
        final int i = takeIndex();
        byIndex[i] = task;
        task.index = i;
        final TimerHeap heap = heaps[task.type];
        task.handle = heap.schedule(task.time, i);
        size++;
        return heap.peekHandle() == task.handle;
    }

    /**
     * Removes a queued task.
     *
     * @return whether it was its heap's head (the driver alarm must move)
     */
    boolean remove(final ScheduledTask<?> task) {
        final TimerHeap heap = heaps[task.type];
        final boolean wasHead = heap.peekHandle() == task.handle;
        heap.cancel(task.handle);
        release(task);
        return wasHead;
    }

    /**
     * Moves a queued task to {@code time}.
     *
     * @return whether its heap's head changed
     */
    boolean move(final ScheduledTask<?> task, final long time) {
        final TimerHeap heap = heaps[task.type];
        final long before = heap.peekHandle();
        final boolean wasHead = before == task.handle;
        task.time = time;
        heap.reschedule(task.handle, time);
        return wasHead || heap.peekHandle() != before;
    }

    /**
     * Removes up to {@code limit} due tasks of a type (time at or before {@code now}) and returns them
     * linked through {@link ScheduledTask#next}, ordered by time and then submission.
     *
     * @return the first task of the list, or null if none was due
     */
    ScheduledTask<?> pollDue(final int type, final long now, final int limit) {
        final Collector c = collector;
        c.first = null;
        c.last = null;
        c.tie = false;
        c.prevTime = 0L;
        heaps[type].pollExpired(now, c, limit);
        ScheduledTask<?> first = c.first;
        c.first = null;
        c.last = null;
        if (first != null && c.tie) {
            first = sort(first);
        }
        return first;
    }

    /** Receives due entries, earliest first; equal times may come in any order (then {@link #tie}). */
    private final class Collector implements TimerHeap.ExpiryHandler {
        ScheduledTask<?> first;
        ScheduledTask<?> last;
        boolean tie;
        long prevTime;

        @Override
        public boolean onExpiry(final long handle, final long deadline, final int payload) {
            final ScheduledTask<?> t = byIndex[payload];
            if (last == null) {
                first = t;
            } else {
                last.next = t;
                tie |= deadline == prevTime;
            }
            last = t;
            t.next = null;
            prevTime = deadline;
            release(t);
            return true;
        }
    }

    /** Removes every queued task of every type; returns them linked through {@link ScheduledTask#next}. */
    ScheduledTask<?> drainAll() {
        return removeWhere(false);
    }

    /** Removes every queued periodic task; returns them linked through {@link ScheduledTask#next}. */
    ScheduledTask<?> drainPeriodic() {
        return removeWhere(true);
    }

    private ScheduledTask<?> removeWhere(final boolean periodicOnly) {
        ScheduledTask<?> first = null;
        for (int i = 0; i < used; i++) {
            final ScheduledTask<?> t = byIndex[i];
            if (t != null && (!periodicOnly || t.isPeriodic())) {
                heaps[t.type].cancel(t.handle);
                release(t);
                t.next = first;
                first = t;
            }
        }
        return first;
    }

    // ------------------------------------------------------------------ grid list

    void linkGrid(final ScheduledTask<?> t) {
        t.inGrid = true;
        t.gridPrev = null;
        t.gridNext = gridHead;
        if (gridHead != null) {
            gridHead.gridPrev = t;
        }
        gridHead = t;
    }

    void unlinkGrid(final ScheduledTask<?> t) {
        if (!t.inGrid) {
            return;
        }
        t.inGrid = false;
        if (t.gridPrev != null) {
            t.gridPrev.gridNext = t.gridNext;
        } else {
            gridHead = t.gridNext;
        }
        if (t.gridNext != null) {
            t.gridNext.gridPrev = t.gridPrev;
        }
        t.gridPrev = null;
        t.gridNext = null;
    }

    /** The first live grid task (walk on with {@link ScheduledTask#gridNext}). */
    ScheduledTask<?> gridHead() {
        return gridHead;
    }

    void clearGrid() {
        while (gridHead != null) {
            unlinkGrid(gridHead);
        }
    }

    // ------------------------------------------------------------------ registry

    private int takeIndex() {
        if (freeTop > 0) {
            return free[--freeTop];
        }
        if (used == byIndex.length) {
            final int n = byIndex.length * 2;
            byIndex = Arrays.copyOf(byIndex, n);
            free = Arrays.copyOf(free, n);
        }
        return used++;
    }

    private void release(final ScheduledTask<?> t) {
        final int i = t.index;
        byIndex[i] = null;
        free[freeTop++] = i;
        t.index = ScheduledTask.NO_INDEX;
        t.handle = TimerHeap.NULL_HANDLE;
        size--;
    }

    // ------------------------------------------------------------------ ordering of ties

    /**
     * Sorts a list linked through {@link ScheduledTask#next} by (time, submission): a bottom-up merge sort
     * over the preallocated {@link #runs} (no allocation, O(k log k)). Used only when a poll saw equal
     * times, whose order the heap does not define.
     */
    private ScheduledTask<?> sort(final ScheduledTask<?> list) {
        final ScheduledTask<?>[] r = runs;
        int top = 0;
        ScheduledTask<?> x = list;
        while (x != null) {
            final ScheduledTask<?> rest = x.next;
            x.next = null;
            ScheduledTask<?> carry = x;
            int i = 0;
            while (i < top && r[i] != null) {
                carry = merge(r[i], carry);
                r[i] = null;
                i++;
            }
            if (i == top) {
                top++;
            }
            r[i] = carry;
            x = rest;
        }
        ScheduledTask<?> result = null;
        for (int i = 0; i < top; i++) {
            if (r[i] != null) {
                result = result == null ? r[i] : merge(r[i], result);
                r[i] = null;
            }
        }
        return result;
    }

    private static boolean before(final ScheduledTask<?> a, final ScheduledTask<?> b) {
        return a.time < b.time || (a.time == b.time && a.seq < b.seq);
    }

    private static ScheduledTask<?> merge(final ScheduledTask<?> a0, final ScheduledTask<?> b0) {
        ScheduledTask<?> a = a0;
        ScheduledTask<?> b = b0;
        final ScheduledTask<?> head;
        if (before(b, a)) {
            head = b;
            b = b.next;
        } else {
            head = a;
            a = a.next;
        }
        ScheduledTask<?> tail = head;
        while (a != null && b != null) {
            if (before(b, a)) {
                tail.next = b;
                b = b.next;
            } else {
                tail.next = a;
                a = a.next;
            }
            tail = tail.next;
        }
        tail.next = a != null ? a : b;
        return head;
    }
}
