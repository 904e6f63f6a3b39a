package dev.valarm.benchmarks.variants;

import dev.valarm.impl.internal.TimerHeap;

import java.util.Arrays;

/**
 * Benchmark variant of TimerHeap: the three per-slot ints (position, generation, payload) interleaved
 * in one int[] (stride 3), so a slot costs one cache miss instead of three.
 *
 * <p>An indexed d-ary min-heap of {@code long} deadlines with {@code int} payloads. Not thread-safe:
 * confined to one thread or guarded by the owner's lock.
 *
 * <p>Entries are named by {@code long} handles: {@code (generation << 32) | slot}. A slot's generation
 * is bumped when its entry leaves the heap, so a stale handle is a harmless no-op for
 * {@link #cancel}/{@link #reschedule} and {@code false} for {@link #contains}. Handles are never
 * {@link #NULL_HANDLE}. The heap never reads a clock: {@code now} is an argument. No operation allocates
 * except growth, which {@link #ensureCapacity} can do ahead of time.
 *
 * <p>Deadlines are compared as signed {@code long} values (natural order), so any value from
 * {@code Long.MIN_VALUE} to {@code Long.MAX_VALUE} is allowed and no arithmetic is done on them.
 */
public final class InterleavedTimerHeap {
    /** A value no live or stale handle ever has. */
    public static final long NULL_HANDLE = 0L;

    /** The largest number of entries. */
    public static final int MAX_CAPACITY = 1 << 30;

    private static final int MIN_GROWTH = 16;

    private final int arity;
    private final int shift;
    /** Physical index of the root: arity - 1, so that sibling groups start at multiples of arity. */
    private final int root;

    // In heap order (physical index).
    private long[] keys;
    private int[] slots;

    // Per slot.
    /** Per slot s: [3s] position (or -2 - nextFree), [3s + 1] generation, [3s + 2] payload. */
    private int[] meta;

    private int size;
    private int freeHead = -1;
    private int slotsUsed;

    /**
     * A 4-ary heap.
     *
     * @param initialCapacity entries before the first growth, at least 1
     */
    public InterleavedTimerHeap(final int initialCapacity) {
        this(4, initialCapacity);
    }

    /**
     * A d-ary heap.
     *
     * @param arity 2, 4 or 8
     * @param initialCapacity entries before the first growth, in [1, MAX_CAPACITY]
     * @throws IllegalArgumentException for another arity or capacity
     */
    public InterleavedTimerHeap(final int arity, final int initialCapacity) {
        if (arity != 2 && arity != 4 && arity != 8) {
            throw new IllegalArgumentException("arity must be 2, 4 or 8: " + arity);
        }
        if (initialCapacity < 1 || initialCapacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("initialCapacity must be in [1, " + MAX_CAPACITY + "]: " + initialCapacity);
        }
        this.arity = arity;
        this.shift = Integer.numberOfTrailingZeros(arity);
        this.root = arity - 1;
        keys = new long[initialCapacity + root];
        slots = new int[initialCapacity + root];
        meta = new int[3 * initialCapacity];
        for (int i = 1; i < meta.length; i += 3) {
            meta[i] = 1;
        }
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
     * The number of entries that fit without growth.
     *
     * @return the capacity
     */
    public int capacity() {
        return (meta.length / 3);
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
        if (capacity > (meta.length / 3)) {
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
        int slot = freeHead;
        if (slot >= 0) {
            freeHead = -2 - meta[3 * (slot)];
        } else {
            slot = newSlot();
        }
        meta[3 * (slot) + 2] = payload;
        siftUp(root + size++, slot, deadline);
        return ((long) meta[3 * (slot) + 1] << 32) | slot;
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
        removeAt(meta[3 * (slot)]);
        releaseSlot(slot);
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
        final int index = meta[3 * (slot)];
        final long old = keys[index];
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
        return keys[meta[3 * (checkedSlot(handle))]];
    }

    /**
     * The payload of a live entry.
     *
     * @param handle a live handle
     * @return its payload
     * @throws IllegalArgumentException if the handle is not live
     */
    public int payload(final long handle) {
        return meta[3 * (checkedSlot(handle)) + 2];
    }

    /**
     * The earliest deadline.
     *
     * @return the earliest deadline, or {@code Long.MAX_VALUE} if empty (check {@link #isEmpty()})
     */
    public long peekDeadline() {
        return size == 0 ? Long.MAX_VALUE : keys[root];
    }

    /**
     * The handle of the earliest entry.
     *
     * @return its handle, or {@link #NULL_HANDLE} if empty
     */
    public long peekHandle() {
        return size == 0 ? NULL_HANDLE : handleOf(slots[root]);
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
        return meta[3 * (slots[root]) + 2];
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
        final long[] k = keys;
        final int r = root;
        int removed = 0;
        while (removed < limit && size > 0) {
            final long deadline = k[r];
            if (deadline > now) {
                break;
            }
            final int slot = slots[r];
            if (!handler.onExpiry(handleOf(slot), deadline, meta[3 * (slot) + 2])) {
                break;
            }
            removeRoot();
            releaseSlot(slot);
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
        final int slot = slots[root];
        siftDown(root, slot, deadline);
        return handleOf(slot);
    }

    /** Removes every entry; every outstanding handle becomes stale. */
    public void clear() {
        final int end = root + size;
        for (int i = root; i < end; i++) {
            releaseSlot(slots[i]);
        }
        size = 0;
    }

    // ------------------------------------------------------------------------------------------------
    // Test support (package-private).

    /** Bytes held by the arrays, headers included (16-byte array headers, compressed oops). */
    long arrayBytes() {
        final long headers = 5L * 16;
        return headers + 8L * keys.length + 4L * slots.length + 4L * meta.length;
    }

    /** Checks heap order, position links and the free list; throws AssertionError when broken. */
    void verifyInvariants() {
        final int end = root + size;
        for (int i = root; i < end; i++) {
            final int slot = slots[i];
            if (slot < 0 || slot >= slotsUsed || meta[3 * (slot)] != i) {
                throw new AssertionError("position link broken at " + i + " slot " + slot);
            }
            if (i > root && keys[parent(i)] > keys[i]) {
                throw new AssertionError("heap order broken at " + i);
            }
        }
        int free = 0;
        for (int s = freeHead; s >= 0; s = -2 - meta[3 * (s)]) {
            if (++free > slotsUsed) {
                throw new AssertionError("free list cycle");
            }
        }
        if (free + size != slotsUsed) {
            throw new AssertionError("slots leaked: free " + free + " + live " + size + " != " + slotsUsed);
        }
    }

    // ------------------------------------------------------------------------------------------------

    private int parent(final int index) {
        return (index >> shift) + root - 1;
    }

    private long handleOf(final int slot) {
        return ((long) meta[3 * (slot) + 1] << 32) | slot;
    }

    private int liveSlot(final long handle) {
        final int slot = (int) handle;
        if (slot < 0 || slot >= slotsUsed) {
            return -1;
        }
        if (meta[3 * (slot) + 1] != (int) (handle >>> 32) || meta[3 * (slot)] < 0) {
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

    /** Slow path of slot allocation: the free list is empty. */
    private int newSlot() {
        if (slotsUsed == (meta.length / 3)) {
            if ((meta.length / 3) >= MAX_CAPACITY) {
                throw new IllegalStateException("timer heap is full: " + size + " entries");
            }
            grow((int) Math.min(MAX_CAPACITY, Math.max(MIN_GROWTH, (long) (meta.length / 3) * 2)));
        }
        return slotsUsed++;
    }

    private void releaseSlot(final int slot) {
        int gen = meta[3 * (slot) + 1] + 1;
        if (gen == 0) {
            gen = 1; // never produce generation 0, so no handle is ever NULL_HANDLE
        }
        meta[3 * (slot) + 1] = gen;
        meta[3 * (slot)] = -2 - freeHead;
        freeHead = slot;
    }

    private void grow(final int capacity) {
        final int old = meta.length;
        keys = Arrays.copyOf(keys, capacity + root);
        slots = Arrays.copyOf(slots, capacity + root);
        meta = Arrays.copyOf(meta, 3 * capacity);
        for (int i = old + 1; i < meta.length; i += 3) {
            meta[i] = 1;
        }
    }

    /** Removes the entry at the root; the caller releases its slot. */
    private void removeRoot() {
        final int last = root + --size;
        if (last != root) {
            siftDown(root, slots[last], keys[last]);
        }
    }

    /** Removes the entry at a physical index; the caller releases its slot. */
    private void removeAt(final int index) {
        final int last = root + --size;
        if (index != last) {
            final int moved = slots[last];
            final long key = keys[last];
            if (index > root && keys[parent(index)] > key) {
                siftUp(index, moved, key);
            } else {
                siftDown(index, moved, key);
            }
        }
    }

    private void siftUp(int index, final int slot, final long key) {
        final long[] k = keys;
        final int[] s = slots;
        final int[] m = meta;
        final int r = root;
        final int sh = shift;
        while (index > r) {
            final int parent = (index >> sh) + r - 1;
            final long pk = k[parent];
            if (pk <= key) {
                break;
            }
            final int ps = s[parent];
            k[index] = pk;
            s[index] = ps;
            m[3 * ps] = index;
            index = parent;
        }
        k[index] = key;
        s[index] = slot;
        m[3 * slot] = index;
    }

    private void siftDown(int index, final int slot, final long key) {
        final long[] k = keys;
        final int[] s = slots;
        final int[] m = meta;
        final int end = root + size; // exclusive
        final int d = arity;
        final int sh = shift;
        final int offset = 1 - root; // first child of p is (p + offset) << shift
        // The last index with a child; checked before computing a child index, so that never overflows.
        final int lastParent = size > 1 ? ((end - 1) >> sh) + root - 1 : -1;
        while (index <= lastParent) {
            final int first = (index + offset) << sh;
            int best = first;
            long bestKey = k[first];
            final int stop = Math.min(first + d, end);
            for (int c = first + 1; c < stop; c++) {
                final long ck = k[c];
                if (ck < bestKey) {
                    best = c;
                    bestKey = ck;
                }
            }
            if (bestKey >= key) {
                break;
            }
            final int bs = s[best];
            k[index] = bestKey;
            s[index] = bs;
            m[3 * bs] = index;
            index = best;
        }
        k[index] = key;
        s[index] = slot;
        m[3 * slot] = index;
    }
}
