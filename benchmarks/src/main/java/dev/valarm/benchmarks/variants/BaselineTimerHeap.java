package dev.valarm.benchmarks.variants;

import dev.valarm.impl.internal.TimerHeap;

import java.util.Arrays;

/**
 * Benchmark variant: the first TimerHeap (commit 51977ea), kept verbatim for comparison: slot numbers in
 * heap order, deadlines per slot (every compare goes through the slot). Not thread-safe.
 *
 * <p>Original description: an indexed d-ary min-heap of {@code long} deadlines with {@code int} payloads. Not thread-safe:
 * confined to one thread or guarded by the owner's lock.
 *
 * <p>Entries are named by {@code long} handles: {@code (generation << 32) | slot}. A slot's generation
 * is bumped when its entry leaves the heap, so a stale handle is a harmless no-op for
 * {@link #cancel}/{@link #reschedule} and {@code false} for {@link #contains}. Handles are never
 * {@link #NULL_HANDLE}. The heap never reads a clock: {@code now} is an argument. No operation allocates
 * except growth, which {@link #ensureCapacity} can do ahead of time.
 */
public final class BaselineTimerHeap {
    /** A value no live or stale handle ever has. */
    public static final long NULL_HANDLE = 0L;

    /** The largest number of entries. */
    public static final int MAX_CAPACITY = 1 << 30;

    private final int arity;
    private final int shift;

    // Per slot (indexed by slot number).
    private long[] slotDeadline;
    private int[] slotPayload;
    private int[] slotGeneration;
    private int[] slotPosition; // heap index, or the next free slot (encoded as -2 - next) when free

    // The heap: slot numbers in heap order.
    private int[] heap;
    private int size;
    private int freeHead = -1;
    private int slotsUsed;

    /**
     * A 4-ary heap.
     *
     * @param initialCapacity entries before the first growth, at least 1
     */
    public BaselineTimerHeap(final int initialCapacity) {
        this(4, initialCapacity);
    }

    /**
     * A d-ary heap.
     *
     * @param arity 2, 4 or 8
     * @param initialCapacity entries before the first growth, in [1, MAX_CAPACITY]
     * @throws IllegalArgumentException for another arity or capacity
     */
    public BaselineTimerHeap(final int arity, final int initialCapacity) {
        if (arity != 2 && arity != 4 && arity != 8) {
            throw new IllegalArgumentException("arity must be 2, 4 or 8: " + arity);
        }
        if (initialCapacity < 1 || initialCapacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("initialCapacity must be in [1, " + MAX_CAPACITY + "]: " + initialCapacity);
        }
        this.arity = arity;
        this.shift = Integer.numberOfTrailingZeros(arity);
        slotDeadline = new long[initialCapacity];
        slotPayload = new int[initialCapacity];
        slotGeneration = new int[initialCapacity];
        Arrays.fill(slotGeneration, 1);
        slotPosition = new int[initialCapacity];
        heap = new int[initialCapacity];
    }

    /**
     * The heap's arity.
     *
     * @return 2, 4 or 8
     */
    public int arity() {
        return arity;
    }

    /**
     * The number of entries.
     *
     * @return the size
     */
    public int size() {
        return size;
    }

    /**
     * Whether the heap is empty.
     *
     * @return true if there are no entries
     */
    public boolean isEmpty() {
        return size == 0;
    }

    /**
     * Grows the arrays so that {@code capacity} entries fit without further allocation.
     *
     * @param capacity the number of entries, at most {@link #MAX_CAPACITY}
     * @throws IllegalArgumentException if {@code capacity} exceeds {@link #MAX_CAPACITY}
     */
    public void ensureCapacity(final int capacity) {
        if (capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be at most " + MAX_CAPACITY + ": " + capacity);
        }
        if (capacity > heap.length) {
            grow(capacity);
        }
    }

    /**
     * Adds an entry.
     *
     * @param deadline any value; equal deadlines come out in no particular order
     * @param payload any value
     * @return the entry's handle, never {@link #NULL_HANDLE}
     * @throws IllegalStateException if the heap holds {@link #MAX_CAPACITY} entries
     */
    public long schedule(final long deadline, final int payload) {
        final int slot = allocateSlot();
        slotDeadline[slot] = deadline;
        slotPayload[slot] = payload;
        final int index = size++;
        siftUp(index, slot, deadline);
        return handleOf(slot);
    }

    /**
     * Removes an entry.
     *
     * @param handle a handle from {@link #schedule}
     * @return true if it was live and is now removed, false for a stale or foreign handle
     */
    public boolean cancel(final long handle) {
        final int slot = liveSlot(handle);
        if (slot < 0) {
            return false;
        }
        removeAt(slotPosition[slot]);
        return true;
    }

    /**
     * Moves an entry to a new deadline in place, keeping its handle.
     *
     * @param handle a handle from {@link #schedule}
     * @param deadline the new deadline
     * @return true if it was live, false (and nothing changed) for a stale handle
     */
    public boolean reschedule(final long handle, final long deadline) {
        final int slot = liveSlot(handle);
        if (slot < 0) {
            return false;
        }
        final long old = slotDeadline[slot];
        slotDeadline[slot] = deadline;
        final int index = slotPosition[slot];
        if (deadline < old) {
            siftUp(index, slot, deadline);
        } else if (deadline > old) {
            siftDown(index, slot, deadline);
        }
        return true;
    }

    /**
     * Whether a handle names a live entry.
     *
     * @param handle any value
     * @return true if live
     */
    public boolean contains(final long handle) {
        return liveSlot(handle) >= 0;
    }

    /**
     * The deadline of a live entry.
     *
     * @param handle a live handle
     * @return its deadline
     * @throws IllegalArgumentException if the handle is not live
     */
    public long deadline(final long handle) {
        return slotDeadline[checkedSlot(handle)];
    }

    /**
     * The payload of a live entry.
     *
     * @param handle a live handle
     * @return its payload
     * @throws IllegalArgumentException if the handle is not live
     */
    public int payload(final long handle) {
        return slotPayload[checkedSlot(handle)];
    }

    /**
     * The earliest deadline.
     *
     * @return the earliest deadline, or {@code Long.MAX_VALUE} if empty (check {@link #isEmpty()})
     */
    public long peekDeadline() {
        return size == 0 ? Long.MAX_VALUE : slotDeadline[heap[0]];
    }

    /**
     * The handle of the earliest entry.
     *
     * @return its handle, or {@link #NULL_HANDLE} if empty
     */
    public long peekHandle() {
        return size == 0 ? NULL_HANDLE : handleOf(heap[0]);
    }

    /**
     * The payload of the earliest entry.
     *
     * @return its payload
     * @throws IllegalStateException if empty
     */
    public int peekPayload() {
        if (size == 0) {
            throw new IllegalStateException("heap is empty");
        }
        return slotPayload[heap[0]];
    }

    /**
     * Removes and reports due entries (deadline at or before {@code now}), earliest first.
     *
     * @param now the current time on the heap's clock
     * @param handler told about each entry before it is removed
     * @param limit the most entries to remove in this call
     * @return the number removed
     */
    public int pollExpired(final long now, final TimerHeap.ExpiryHandler handler, final int limit) {
        int removed = 0;
        while (removed < limit && size > 0) {
            final int slot = heap[0];
            final long deadline = slotDeadline[slot];
            if (deadline > now) {
                break;
            }
            if (!handler.onExpiry(handleOf(slot), deadline, slotPayload[slot])) {
                break;
            }
            removeAt(0);
            removed++;
        }
        return removed;
    }

    /**
     * Moves the earliest entry to a new deadline (fire and reschedule), keeping its handle.
     *
     * @param deadline the new deadline
     * @return the entry's handle
     * @throws IllegalStateException if empty
     */
    public long replaceTop(final long deadline) {
        if (size == 0) {
            throw new IllegalStateException("heap is empty");
        }
        final int slot = heap[0];
        slotDeadline[slot] = deadline;
        siftDown(0, slot, deadline);
        return handleOf(slot);
    }

    /** Removes every entry; every outstanding handle becomes stale. */
    public void clear() {
        while (size > 0) {
            removeAt(size - 1);
        }
    }

    private long handleOf(final int slot) {
        return ((long) slotGeneration[slot] << 32) | slot;
    }

    private int liveSlot(final long handle) {
        final int slot = (int) handle;
        if (slot < 0 || slot >= slotsUsed) {
            return -1;
        }
        if (slotGeneration[slot] != (int) (handle >>> 32) || slotPosition[slot] < 0) {
            return -1;
        }
        return slot;
    }

    private int checkedSlot(final long handle) {
        final int slot = liveSlot(handle);
        if (slot < 0) {
            throw new IllegalArgumentException("not a live handle: 0x" + Long.toHexString(handle));
        }
        return slot;
    }

    private int allocateSlot() {
        if (freeHead >= 0) {
            final int slot = freeHead;
            freeHead = -2 - slotPosition[slot];
            return slot;
        }
        if (slotsUsed == heap.length) {
            if (heap.length >= MAX_CAPACITY) {
                throw new IllegalStateException("timer heap is full: " + size + " entries");
            }
            grow((int) Math.min(MAX_CAPACITY, Math.max(16L, (long) heap.length * 2)));
        }
        return slotsUsed++;
    }

    private void releaseSlot(final int slot) {
        int gen = slotGeneration[slot] + 1;
        if (gen == 0) {
            gen = 1; // never produce generation 0, so no handle is ever NULL_HANDLE
        }
        slotGeneration[slot] = gen;
        slotPosition[slot] = -2 - freeHead;
        freeHead = slot;
    }

    private void grow(final int capacity) {
        final int old = heap.length;
        slotDeadline = Arrays.copyOf(slotDeadline, capacity);
        slotPayload = Arrays.copyOf(slotPayload, capacity);
        slotGeneration = Arrays.copyOf(slotGeneration, capacity);
        Arrays.fill(slotGeneration, old, capacity, 1);
        slotPosition = Arrays.copyOf(slotPosition, capacity);
        heap = Arrays.copyOf(heap, capacity);
    }

    private void removeAt(final int index) {
        final int slot = heap[index];
        final int last = --size;
        if (index != last) {
            final int moved = heap[last];
            final long d = slotDeadline[moved];
            siftUp(index, moved, d);
            if (heap[index] == moved) {
                siftDown(index, moved, d);
            }
        }
        releaseSlot(slot);
    }

    private void siftUp(int index, final int slot, final long deadline) {
        while (index > 0) {
            final int parent = (index - 1) >>> shift;
            final int ps = heap[parent];
            if (slotDeadline[ps] <= deadline) {
                break;
            }
            heap[index] = ps;
            slotPosition[ps] = index;
            index = parent;
        }
        heap[index] = slot;
        slotPosition[slot] = index;
    }

    private void siftDown(int index, final int slot, final long deadline) {
        final int n = size;
        while (true) {
            final int first = (index << shift) + 1;
            if (first >= n) {
                break;
            }
            final int end = Math.min(first + arity, n);
            int best = first;
            long bestDeadline = slotDeadline[heap[first]];
            for (int c = first + 1; c < end; c++) {
                final long cd = slotDeadline[heap[c]];
                if (cd < bestDeadline) {
                    best = c;
                    bestDeadline = cd;
                }
            }
            if (bestDeadline >= deadline) {
                break;
            }
            final int bs = heap[best];
            heap[index] = bs;
            slotPosition[bs] = index;
            index = best;
        }
        heap[index] = slot;
        slotPosition[slot] = index;
    }
}
