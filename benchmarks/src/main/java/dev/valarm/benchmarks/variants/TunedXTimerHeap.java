package dev.valarm.benchmarks.variants;

import dev.valarm.impl.internal.TimerHeap;

import java.util.Arrays;

/**
 * Benchmark variant of TimerHeap (arity 4) with an unrolled sift-down and/or bottom-up root removal.
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
public final class TunedXTimerHeap {
    private final boolean unrolled;
    private final boolean floyd;

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
    private int[] slotPosition; // physical heap index when live, -2 - nextFree when free
    private int[] slotGeneration;
    private int[] slotPayload;

    private int size;
    private int freeHead = -1;
    private int slotsUsed;

    /**
     * A 4-ary heap with optional sift variants.
     *
     * @param initialCapacity entries before the first growth
     * @param unrolled use the unrolled 4-child sift-down
     * @param floyd use bottom-up (Floyd) sift-down for root removal and replaceTop
     */
    public TunedXTimerHeap(final int initialCapacity, final boolean unrolled, final boolean floyd) {
        this(4, initialCapacity, unrolled, floyd);
    }

    /**
     * A d-ary heap.
     *
     * @param arity 2, 4 or 8
     * @param initialCapacity entries before the first growth, in [1, MAX_CAPACITY]
     * @throws IllegalArgumentException for another arity or capacity
     */
    private TunedXTimerHeap(final int arity, final int initialCapacity, final boolean unrolled, final boolean floyd) {
        this.unrolled = unrolled;
        this.floyd = floyd;
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
        slotPosition = new int[initialCapacity];
        slotGeneration = new int[initialCapacity];
        Arrays.fill(slotGeneration, 1);
        slotPayload = new int[initialCapacity];
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
        return slotPosition.length;
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
        if (capacity > slotPosition.length) {
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
            freeHead = -2 - slotPosition[slot];
        } else {
            slot = newSlot();
        }
        slotPayload[slot] = payload;
        siftUp(root + size++, slot, deadline);
        return ((long) slotGeneration[slot] << 32) | slot;
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
        final int index = slotPosition[slot];
        final long old = keys[index];
        if (deadline < old) {
            siftUp(index, slot, deadline);
        } else if (deadline > old) {
            siftDownAny(index, slot, deadline);
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
        return keys[slotPosition[checkedSlot(handle)]];
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
        return slotPayload[slots[root]];
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
            if (!handler.onExpiry(handleOf(slot), deadline, slotPayload[slot])) {
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
        if (floyd) {
            siftDownFloyd(root, slot, deadline);
        } else {
            siftDownAny(root, slot, deadline);
        }
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
        return headers + 8L * keys.length + 4L * slots.length
                + 4L * (slotPosition.length + slotGeneration.length + slotPayload.length);
    }

    /** Checks heap order, position links and the free list; throws AssertionError when broken. */
    void verifyInvariants() {
        final int end = root + size;
        for (int i = root; i < end; i++) {
            final int slot = slots[i];
            if (slot < 0 || slot >= slotsUsed || slotPosition[slot] != i) {
                throw new AssertionError("position link broken at " + i + " slot " + slot);
            }
            if (i > root && keys[parent(i)] > keys[i]) {
                throw new AssertionError("heap order broken at " + i);
            }
        }
        int free = 0;
        for (int s = freeHead; s >= 0; s = -2 - slotPosition[s]) {
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

    /** Slow path of slot allocation: the free list is empty. */
    private int newSlot() {
        if (slotsUsed == slotPosition.length) {
            if (slotPosition.length >= MAX_CAPACITY) {
                throw new IllegalStateException("timer heap is full: " + size + " entries");
            }
            grow((int) Math.min(MAX_CAPACITY, Math.max(MIN_GROWTH, (long) slotPosition.length * 2)));
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
        final int old = slotPosition.length;
        keys = Arrays.copyOf(keys, capacity + root);
        slots = Arrays.copyOf(slots, capacity + root);
        slotPosition = Arrays.copyOf(slotPosition, capacity);
        slotGeneration = Arrays.copyOf(slotGeneration, capacity);
        Arrays.fill(slotGeneration, old, capacity, 1);
        slotPayload = Arrays.copyOf(slotPayload, capacity);
    }

    /** Removes the entry at the root; the caller releases its slot. */
    private void removeRoot() {
        final int last = root + --size;
        if (last != root) {
            if (floyd) {
                siftDownFloyd(root, slots[last], keys[last]);
            } else {
                siftDownAny(root, slots[last], keys[last]);
            }
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
                siftDownAny(index, moved, key);
            }
        }
    }

    private void siftUp(int index, final int slot, final long key) {
        final long[] k = keys;
        final int[] s = slots;
        final int[] pos = slotPosition;
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
            pos[ps] = index;
            index = parent;
        }
        k[index] = key;
        s[index] = slot;
        pos[slot] = index;
    }

    private void siftDown(int index, final int slot, final long key) {
        final long[] k = keys;
        final int[] s = slots;
        final int[] pos = slotPosition;
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
            pos[bs] = index;
            index = best;
        }
        k[index] = key;
        s[index] = slot;
        pos[slot] = index;
    }

    private void siftDownAny(final int index, final int slot, final long key) {
        if (unrolled) {
            siftDown4(index, slot, key);
        } else {
            siftDown(index, slot, key);
        }
    }

    /** 4-ary sift-down, full child groups unrolled with branch-free minimum selection. */
    private void siftDown4(int index, final int slot, final long key) {
        final long[] k = keys;
        final int[] s = slots;
        final int[] pos = slotPosition;
        final int end = root + size;
        final int lastParent = size > 1 ? ((end - 1) >> 2) + 2 : -1;
        while (index <= lastParent) {
            final int first = (index - 2) << 2;
            int best;
            long bestKey;
            if (first + 4 <= end) {
                final long k0 = k[first];
                final long k1 = k[first + 1];
                final long k2 = k[first + 2];
                final long k3 = k[first + 3];
                final int i01 = k1 < k0 ? first + 1 : first;
                final long m01 = Math.min(k0, k1);
                final int i23 = k3 < k2 ? first + 3 : first + 2;
                final long m23 = Math.min(k2, k3);
                best = m23 < m01 ? i23 : i01;
                bestKey = Math.min(m01, m23);
            } else {
                best = first;
                bestKey = k[first];
                for (int c = first + 1; c < end; c++) {
                    final long ck = k[c];
                    if (ck < bestKey) {
                        best = c;
                        bestKey = ck;
                    }
                }
            }
            if (bestKey >= key) {
                break;
            }
            final int bs = s[best];
            k[index] = bestKey;
            s[index] = bs;
            pos[bs] = index;
            index = best;
        }
        k[index] = key;
        s[index] = slot;
        pos[slot] = index;
    }

    /** Bottom-up: move the hole to a leaf along smallest children, then sift the key up from there. */
    private void siftDownFloyd(int index, final int slot, final long key) {
        final long[] k = keys;
        final int[] s = slots;
        final int[] pos = slotPosition;
        final int end = root + size;
        final int lastParent = size > 1 ? ((end - 1) >> 2) + 2 : -1;
        while (index <= lastParent) {
            final int first = (index - 2) << 2;
            int best;
            long bestKey;
            if (first + 4 <= end) {
                final long k0 = k[first];
                final long k1 = k[first + 1];
                final long k2 = k[first + 2];
                final long k3 = k[first + 3];
                final int i01 = k1 < k0 ? first + 1 : first;
                final long m01 = Math.min(k0, k1);
                final int i23 = k3 < k2 ? first + 3 : first + 2;
                final long m23 = Math.min(k2, k3);
                best = m23 < m01 ? i23 : i01;
                bestKey = Math.min(m01, m23);
            } else {
                best = first;
                bestKey = k[first];
                for (int c = first + 1; c < end; c++) {
                    final long ck = k[c];
                    if (ck < bestKey) {
                        best = c;
                        bestKey = ck;
                    }
                }
            }
            final int bs = s[best];
            k[index] = bestKey;
            s[index] = bs;
            pos[bs] = index;
            index = best;
        }
        siftUp(index, slot, key);
    }
}
