package dev.valarm.benchmarks.variants;

import dev.valarm.impl.internal.TimerHeap;
import java.util.Arrays;

/**
 * Benchmark variant of {@link TimerHeap} with lazy deletion and lazy later-reschedule. Not thread-safe.
 *
 * <ul>
 *   <li>cancel leaves a tombstone in the heap (O(1)): the slot's generation becomes odd, so the handle
 *       is stale at once; the tombstone is dropped when it reaches the top, or by a rebuild (compaction
 *       and O(n) bottom-up heapify) once tombstones exceed a quarter of the heap.</li>
 *   <li>reschedule to a later deadline only records it in {@code slotDeadline}; the key in the heap
 *       stays as a lower bound and is fixed (sifted down) when the entry reaches the top. An earlier
 *       deadline sifts up at once.</li>
 * </ul>
 *
 * <p>With {@code lazyCancel} false only the later-reschedule is lazy (no tombstones).
 *
 * <p>Layout as TimerHeap plus a per-slot {@code long[]} of true deadlines: 32 bytes per slot, and up to
 * a quarter more heap cells for tombstones. Live generations are even, tombstones odd.
 */
public final class LazyTimerHeap {
    private final int arity;
    private final int shift;
    private final int root;
    private final boolean lazyCancel;

    private long[] keys; // heap order; a lower bound of the true deadline
    private int[] slots;

    private int[] slotPosition; // heap index when in the heap (live or tombstone), -2 - next when free
    private int[] slotGeneration; // even: live or free; odd: tombstone
    private int[] slotPayload;
    private long[] slotDeadline; // the true deadline

    private int heapSize; // live + tombstones
    private int tombstones;
    private int freeHead = -1;
    private int slotsUsed;

    /**
     * A d-ary heap.
     *
     * @param arity 2, 4 or 8
     * @param initialCapacity entries before the first growth, at least 1
     */
    public LazyTimerHeap(final int arity, final int initialCapacity) {
        this(arity, initialCapacity, true);
    }

    /**
     * A d-ary heap; with {@code lazyCancel} false, cancel removes at once (only reschedule is lazy).
     *
     * @param arity 2, 4 or 8
     * @param initialCapacity entries before the first growth, at least 1
     * @param lazyCancel whether cancel leaves a tombstone
     */
    public LazyTimerHeap(final int arity, final int initialCapacity, final boolean lazyCancel) {
        this.lazyCancel = lazyCancel;
        if (arity != 2 && arity != 4 && arity != 8) {
            throw new IllegalArgumentException("arity must be 2, 4 or 8: " + arity);
        }
        this.arity = arity;
        this.shift = Integer.numberOfTrailingZeros(arity);
        this.root = arity - 1;
        keys = new long[initialCapacity + root];
        slots = new int[initialCapacity + root];
        slotPosition = new int[initialCapacity];
        slotGeneration = new int[initialCapacity];
        Arrays.fill(slotGeneration, 2);
        slotPayload = new int[initialCapacity];
        slotDeadline = new long[initialCapacity];
    }

    /** @return live entries */
    public int size() {
        return heapSize - tombstones;
    }

    /** @return bytes held by the arrays */
    public long arrayBytes() {
        return 6L * 16 + 8L * keys.length + 4L * slots.length
                + 4L * (slotPosition.length + slotGeneration.length + slotPayload.length) + 8L * slotDeadline.length;
    }

    /**
     * Adds an entry.
     *
     * @param deadline the deadline
     * @param payload the payload
     * @return its handle
     */
    public long schedule(final long deadline, final int payload) {
        int slot = freeHead;
        if (slot >= 0) {
            freeHead = -2 - slotPosition[slot];
        } else {
            slot = newSlot();
        }
        slotPayload[slot] = payload;
        slotDeadline[slot] = deadline;
        siftUp(root + heapSize++, slot, deadline);
        return ((long) slotGeneration[slot] << 32) | slot;
    }

    /**
     * Cancels lazily.
     *
     * @param handle a handle
     * @return true if it was live
     */
    public boolean cancel(final long handle) {
        final int slot = liveSlot(handle);
        if (slot < 0) {
            return false;
        }
        if (!lazyCancel) {
            removeAt(slotPosition[slot]);
            releaseSlot(slot);
            return true;
        }
        slotGeneration[slot]++; // odd: tombstone; the handle is stale from now on
        tombstones++;
        if (tombstones > (heapSize >> 2) && heapSize > 64) {
            rebuild();
        }
        return true;
    }

    /**
     * Reschedules; later deadlines lazily.
     *
     * @param handle a handle
     * @param deadline the new deadline
     * @return true if it was live
     */
    public boolean reschedule(final long handle, final long deadline) {
        final int slot = liveSlot(handle);
        if (slot < 0) {
            return false;
        }
        slotDeadline[slot] = deadline;
        final int index = slotPosition[slot];
        if (deadline < keys[index]) {
            siftUp(index, slot, deadline);
        }
        return true;
    }

    /**
     * Whether live.
     *
     * @param handle a handle
     * @return true if live
     */
    public boolean contains(final long handle) {
        return liveSlot(handle) >= 0;
    }

    /**
     * The true deadline of a live entry.
     *
     * @param handle a live handle
     * @return its deadline
     */
    public long deadline(final long handle) {
        final int slot = liveSlot(handle);
        if (slot < 0) {
            throw new IllegalArgumentException("not a live handle: 0x" + Long.toHexString(handle));
        }
        return slotDeadline[slot];
    }

    /** @return the earliest deadline, or Long.MAX_VALUE if empty */
    public long peekDeadline() {
        normalizeTop();
        return heapSize == 0 ? Long.MAX_VALUE : keys[root];
    }

    /** @return the earliest handle, or 0 if empty */
    public long peekHandle() {
        normalizeTop();
        return heapSize == 0 ? 0L : handleOf(slots[root]);
    }

    /**
     * As {@link TimerHeap#pollExpired}.
     *
     * @param now now
     * @param handler the handler
     * @param limit the most to remove
     * @return the number removed
     */
    public int pollExpired(final long now, final TimerHeap.ExpiryHandler handler, final int limit) {
        int removed = 0;
        while (removed < limit) {
            normalizeTop();
            if (heapSize == 0) {
                break;
            }
            final long deadline = keys[root];
            if (deadline > now) {
                break;
            }
            final int slot = slots[root];
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
     * As {@link TimerHeap#replaceTop}.
     *
     * @param deadline the new deadline
     * @return the handle
     */
    public long replaceTop(final long deadline) {
        normalizeTop();
        if (heapSize == 0) {
            throw new IllegalStateException("heap is empty");
        }
        final int slot = slots[root];
        slotDeadline[slot] = deadline;
        siftDown(root, slot, deadline);
        return handleOf(slot);
    }

    /** Checks heap order and links; throws AssertionError when broken. */
    public void verifyInvariants() {
        int t = 0;
        for (int i = root; i < root + heapSize; i++) {
            final int slot = slots[i];
            if (slotPosition[slot] != i) {
                throw new AssertionError("position link at " + i);
            }
            if (i > root && keys[(i >> shift) + root - 1] > keys[i]) {
                throw new AssertionError("heap order at " + i);
            }
            if ((slotGeneration[slot] & 1) != 0) {
                t++;
            } else if (keys[i] > slotDeadline[slot]) {
                throw new AssertionError("key above the true deadline at " + i);
            }
        }
        if (t != tombstones) {
            throw new AssertionError("tombstones " + t + " != " + tombstones);
        }
    }

    /** Drops tombstones and fixes lazily-later entries at the top until the top is exact. */
    private void normalizeTop() {
        while (heapSize > 0) {
            final int slot = slots[root];
            if ((slotGeneration[slot] & 1) != 0) {
                removeRoot();
                tombstones--;
                releaseSlot(slot);
            } else {
                final long d = slotDeadline[slot];
                if (keys[root] == d) {
                    return;
                }
                siftDown(root, slot, d);
            }
        }
    }

    /** Compacts out tombstones, restores exact keys, and heapifies bottom-up in O(n). */
    private void rebuild() {
        final int end = root + heapSize;
        int w = root;
        for (int i = root; i < end; i++) {
            final int slot = slots[i];
            if ((slotGeneration[slot] & 1) != 0) {
                releaseSlot(slot);
            } else {
                keys[w] = slotDeadline[slot];
                slots[w] = slot;
                slotPosition[slot] = w;
                w++;
            }
        }
        heapSize = w - root;
        tombstones = 0;
        if (heapSize > 1) {
            for (int i = ((w - 1) >> shift) + root - 1; i >= root; i--) {
                siftDown(i, slots[i], keys[i]);
            }
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
        final int gen = slotGeneration[slot];
        if (gen != (int) (handle >>> 32) || (gen & 1) != 0 || slotPosition[slot] < 0) {
            return -1;
        }
        return slot;
    }

    private int newSlot() {
        if (slotsUsed == slotPosition.length) {
            grow((int) Math.min(TimerHeap.MAX_CAPACITY, Math.max(16L, (long) slotPosition.length * 2)));
        }
        return slotsUsed++;
    }

    /** Frees a slot: from a live (even) generation g to g + 2, from a tombstone (odd) to the next even. */
    private void releaseSlot(final int slot) {
        int gen = (slotGeneration[slot] | 1) + 1;
        if (gen == 0) {
            gen = 2;
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
        Arrays.fill(slotGeneration, old, capacity, 2);
        slotPayload = Arrays.copyOf(slotPayload, capacity);
        slotDeadline = Arrays.copyOf(slotDeadline, capacity);
    }

    private void removeRoot() {
        final int last = root + --heapSize;
        if (last != root) {
            siftDown(root, slots[last], keys[last]);
        }
    }

    private void removeAt(final int index) {
        final int last = root + --heapSize;
        if (index != last) {
            final int moved = slots[last];
            final long key = keys[last];
            if (index > root && keys[(index >> shift) + root - 1] > key) {
                siftUp(index, moved, key);
            } else {
                siftDown(index, moved, key);
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
        final int end = root + heapSize;
        final int d = arity;
        final int sh = shift;
        final int offset = 1 - root;
        final int lastParent = heapSize > 1 ? ((end - 1) >> sh) + root - 1 : -1;
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
}
