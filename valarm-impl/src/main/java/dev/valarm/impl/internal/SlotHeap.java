package dev.valarm.impl.internal;

import java.util.Arrays;

/**
 * A 4-ary min-heap of ({@code long} key, {@code int} slot) pairs, keys inline in heap order, for the
 * near and far parts of {@link HybridTimerQueue}. It owns no per-slot state: every move writes the slot's
 * heap position into the queue's position array ({@code pos[slot]}), so the queue can find an entry by its
 * slot. Not thread-safe.
 *
 * <p>Layout as in {@link TimerHeap} with arity 4: the root sits at index 3, so the children of {@code p}
 * are the four cells from {@code (p - 2) * 4}, an aligned group of 32 bytes of keys; {@code parent(i) =
 * (i >> 2) + 2}. Sifts are hole sifts (the moving pair is carried in locals, each displaced entry written
 * once).
 */
final class SlotHeap {
    /** Physical index of the root. */
    static final int ROOT = 3;

    private long[] keys;
    private int[] slots;
    private int size;

    SlotHeap(final int initialCapacity) {
        keys = new long[Math.max(4, initialCapacity) + ROOT];
        slots = new int[keys.length];
    }

    int size() {
        return size;
    }

    long minKey() {
        return keys[ROOT];
    }

    int minSlot() {
        return slots[ROOT];
    }

    long keyAt(final int index) {
        return keys[index];
    }

    int slotAt(final int index) {
        return slots[index];
    }

    /** The physical index one past the last entry. */
    int end() {
        return ROOT + size;
    }

    /** Bytes held by the arrays, headers included (16-byte headers). */
    long arrayBytes() {
        return 2L * 16 + 8L * keys.length + 4L * slots.length;
    }

    void clear() {
        size = 0;
    }

    /** Adds an entry. */
    void push(final int slot, final long key, final int[] pos) {
        if (ROOT + size == keys.length) {
            grow();
        }
        siftUp(ROOT + size++, slot, key, pos);
    }

    /** Adds an entry without restoring heap order; call {@link #heapify} after the last one. */
    void append(final int slot, final long key, final int[] pos) {
        if (ROOT + size == keys.length) {
            grow();
        }
        final int i = ROOT + size++;
        keys[i] = key;
        slots[i] = slot;
        pos[slot] = i;
    }

    /** Restores heap order after {@link #append}s (Floyd's bottom-up construction, O(size)). */
    void heapify(final int[] pos) {
        if (size < 2) {
            return;
        }
        for (int i = parent(ROOT + size - 1); i >= ROOT; i--) {
            siftDown(i, slots[i], keys[i], pos);
        }
    }

    /** Removes the root. */
    void removeRoot(final int[] pos) {
        final int last = ROOT + --size;
        if (last != ROOT) {
            siftDown(ROOT, slots[last], keys[last], pos);
        }
    }

    /** Removes the entry at a physical index. */
    void removeAt(final int index, final int[] pos) {
        final int last = ROOT + --size;
        if (index != last) {
            final int moved = slots[last];
            final long key = keys[last];
            if (index > ROOT && keys[parent(index)] > key) {
                siftUp(index, moved, key, pos);
            } else {
                siftDown(index, moved, key, pos);
            }
        }
    }

    /** Gives the entry at a physical index a new key. */
    void changeKey(final int index, final long key, final int[] pos) {
        final long old = keys[index];
        if (key < old) {
            siftUp(index, slots[index], key, pos);
        } else if (key > old) {
            siftDown(index, slots[index], key, pos);
        }
    }

    /** Gives the root a new key. */
    void replaceRoot(final long key, final int[] pos) {
        siftDown(ROOT, slots[ROOT], key, pos);
    }

    /** Checks heap order and position links; throws AssertionError when broken. */
    void verify(final int[] pos, final String name) {
        for (int i = ROOT; i < ROOT + size; i++) {
            if (pos[slots[i]] != i) {
                throw new AssertionError(name + ": position link broken at " + i + " slot " + slots[i]);
            }
            if (i > ROOT && keys[parent(i)] > keys[i]) {
                throw new AssertionError(name + ": heap order broken at " + i);
            }
        }
    }

    private static int parent(final int index) {
        return (index >> 2) + 2;
    }

    private void grow() {
        final int capacity = (int) Math.min(HybridTimerQueue.MAX_CAPACITY + (long) ROOT, 2L * keys.length);
        if (capacity == keys.length) {
            throw new IllegalStateException("timer heap is full: " + size + " entries");
        }
        keys = Arrays.copyOf(keys, capacity);
        slots = Arrays.copyOf(slots, capacity);
    }

    private void siftUp(int index, final int slot, final long key, final int[] pos) {
        final long[] k = keys;
        final int[] s = slots;
        while (index > ROOT) {
            final int parent = (index >> 2) + 2;
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

    private void siftDown(int index, final int slot, final long key, final int[] pos) {
        final long[] k = keys;
        final int[] s = slots;
        final int end = ROOT + size; // exclusive
        // The last index with a child; checked before computing a child index, so that never overflows.
        final int lastParent = size > 1 ? ((end - 1) >> 2) + 2 : -1;
        while (index <= lastParent) {
            final int first = (index - 2) << 2;
            int best = first;
            long bestKey = k[first];
            final int stop = Math.min(first + 4, end);
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
