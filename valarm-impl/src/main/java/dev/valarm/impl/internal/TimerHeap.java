package dev.valarm.impl.internal;

import java.util.Arrays;

/**
 * An indexed d-ary min-heap of {@code long} deadlines with {@code int} payloads. Not thread-safe:
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
public final class TimerHeap {
    /*
     * Design (issue 3: "the timer heap tuned for speed").
     *
     * Layout: structure of arrays, no per-entry objects.
     *   In heap order (index = heap position):   long[] keys (the deadline), int[] slots (who is there).
     *   Per slot (index = handle's low 32 bits):  int[] slotPosition (heap position, or the free list
     *                                             link encoded as -2 - next), int[] slotGeneration,
     *                                             int[] slotPayload.
     *   The deadline lives only in keys[]: sift loops compare keys[] directly and never chase the
     *   slot indirection (the Go runtime's "when copied into the heap element" idea, anchors §5.1).
     *   deadline(handle) is keys[slotPosition[slot]].
     *   Memory: 8 + 4 (heap order) + 4 + 4 + 4 (per slot) = 24 bytes per entry of capacity, plus
     *   (arity - 1) unused heap cells and 5 array headers. Measured (TimerHeapTest, array bytes per
     *   live entry) at 1 048 576 live entries: 24.0 bytes/entry for d = 2, 4 and 8, both pre-sized
     *   and grown by doubling from capacity 1 (growth lands exactly on 2^20). Just after a doubling it is 48 bytes per live
     *   entry until the heap fills again; ensureCapacity avoids that.
     *   The lead's first version kept a per-slot long[] deadline beside int[] heap: 24 bytes too,
     *   but every compare was keys-by-slot, i.e. a dependent random load per child.
     *
     * Shape: d-ary with d in {2, 4, 8}, 4 by default. The root sits at physical index d - 1, so the
     *   children of physical p are the d adjacent cells starting at (p - d + 2) * d, a multiple of
     *   d: a group of 4 children is 32 bytes of keys[], one aligned half cache line of the array's
     *   payload (the JVM aligns array bases to 8 or 16 bytes only, so this is a best effort).
     *   parent(p) = (p >> log2 d) + d - 2. The first d - 1 cells are never used.
     *
     * Sifting: "hole" sifting. The moving key/slot is held in locals; each displaced entry is written
     *   once and its slotPosition updated once per level. Removal of the root (pollExpired) moves the
     *   last entry into the hole and sifts it down; cancel of an inner entry sifts the moved last entry
     *   up or down, deciding once by the parent. reschedule sifts in the direction of the change.
     *   replaceTop is one sift-down.
     *
     * Slots: a LIFO free list threaded through slotPosition, so a released slot is reused first
     *   (its cache lines are warm). Generations start at 1 and skip 0 on wrap, so no handle is 0.
     *   Growth doubles (at least to 16) in a separate method, off the inlined hot path.
     *
     * Measurements that chose this (benchmarks/src/main/java/dev/valarm/benchmarks/variants/).
     *   How: HeapVariantCpuTimer runs HeapVariantBenchmark's workload methods (the same code JMH runs)
     *   in one JVM per implementation (-Xms2g -Xmx2g, JDK 17.0.15, 2 vCPUs, Xeon VM), 10 warm-up
     *   rounds then 10 timed rounds of 100 000 calls, timed by the thread's CPU time, not wall time:
     *   the machine was shared (load average 18 to 26 for most of the session, 3 to 10 for the final
     *   passes below) and JMH's wall-clock scores had error bars larger than the means (one JMH run,
     *   -f 1 -wi 3 -i 5 -w 1 -r 1 -prof gc, gave the same ranking with +-50..300% errors, and
     *   gc.alloc.rate.norm <= 0.09 B/op for every variant: no per-op allocation).
     *   Cells: best round / median of the per-pass medians, CPU ns per op, over 2 passes (4 for d=4
     *   and the lazy variants) in alternating order. Deadlines uniform over 2^36 ns from an inline
     *   xorshift, heaps pre-sized to n. replace = cancel a random entry + schedule; reschedule = to a
     *   uniform deadline (half earlier); pushBack = mostly later (keep-alive); hold = poll the earliest
     *   + schedule after it; replaceTop = hold through replaceTop; burst = schedule 64 due entries
     *   and drain them, per entry. Indicative only (the earlier, heavily loaded passes gave the same
     *   ranking with 30 to 100% higher numbers).
     *
     *   workload     n         d=4      d=8      d=2    first d=4  lazy d=4  lazy-later d=4
     *   replace         1024    27/41    34/42    43/45    29/43     49/63     29/30
     *                  65536    39/45    38/50    69/75    56/84     52/67     48/51
     *                1048576  158/255  230/259  400/502  340/398    73/130   204/239
     *   reschedule      1024    26/29    26/39    34/36    26/27      5/10       5/6
     *                  65536    33/37    30/36    54/57    37/46     11/13     11/14
     *                1048576   98/152  153/188  252/286  124/168     54/82     67/83
     *   pushBack        1024    25/26    29/32    34/36    26/29      4/10      5/11
     *                  65536    34/37    30/33    54/68    43/60     12/14     12/15
     *                1048576  101/146  139/160  292/320  154/195     53/78     60/71
     *   hold            1024    56/60   76/104    69/82    62/63     58/76     60/64
     *                  65536   88/106  106/122  150/206  155/204   115/124   100/118
     *                1048576  428/516  412/512 879/1068 1086/1145   422/585   477/776
     *   replaceTop      1024    44/50    75/84    62/65    48/60     50/64     50/54
     *                  65536   82/103    85/89  187/208  124/199    90/111    90/105
     *                1048576  407/476  402/458  809/931 829/1167   426/559   414/634
     *   burst           1024   84/106  103/126  131/157  137/148    81/102     80/89
     *                  65536  114/145  108/119  250/290  187/194   122/137   112/171
     *                1048576  161/210  125/133  388/402  170/244   153/162   156/191
     *
     *   Reading: keys inline halve root removal at 1M against the first version (hold 1086 -> 428,
     *   replaceTop 829 -> 407) and help replace and burst at 64K and 1M; reschedule is a wash (it is
     *   dominated by the random misses on slotPosition and keys). d = 2 loses everywhere. d = 8 is
     *   on par with 4 (better on burst at 1M, worse at 1024); d = 4 stays the default (the contract).
     *
     * Lazy deletion / lazy later-reschedule: tried (variants/LazyTimerHeap: cancel leaves a tombstone,
     *   the handle goes stale at once through an odd generation; a later reschedule only records the
     *   true deadline in a per-slot long[] and the heap key stays as a lower bound, fixed when the
     *   entry reaches the top; an earlier one sifts up; rebuild by compaction + O(n) heapify past 25%
     *   tombstones). "lazy" has both, "lazy-later" only the lazy reschedule (cancel eager).
     *   Both win reschedule by 2 to 5x; lazy deletion also wins replace at 1M by about 2x; both are
     *   even to 30% slower on hold, replaceTop and burst, and lazy deletion loses replace at 1024
     *   (27 -> 49 ns).
     *   NOT KEPT, because of memory, which is a target of its own (at most 32 B per live entry at
     *   2^20): the true-deadline array makes it 32 B per slot, plus headers (32.0001 B/entry for
     *   lazy-later: over, if only just), and tombstones hold slots, so in replace churn at 1 048 576
     *   live entries lazy deletion's slot arrays outgrow 2^20 and double: 64.0 B per live entry
     *   measured. If the owner would rather spend the 8 B per entry for 2 to 5x faster reschedule,
     *   lazy-later (no tombstones) is the variant to adopt.
     *   Also tried and not kept (within noise or worse, under the heavy load): an unrolled branch-free
     *   4-child minimum and bottom-up (Floyd) root removal (TunedXTimerHeap: 1.5 to 2.3x slower at
     *   1024 on hold, no clear gain at 1M), and the three per-slot ints interleaved in one int[] so a
     *   slot is one cache line (InterleavedTimerHeap: +-15%, no consistent direction). Those two
     *   variants were removed from benchmarks/.../variants once measured; they are in commit c915f95.
     */

    /** A value no live or stale handle ever has. */
    public static final long NULL_HANDLE = 0L;

    /** The largest number of entries. */
    public static final int MAX_CAPACITY = 1 << 30;

    /** Receives due entries from {@link #pollExpired}. */
    @FunctionalInterface
    public interface ExpiryHandler {
        /**
         * Called for each due entry, earliest first, before it is removed. Must not modify the heap.
         *
         * @param handle the entry's handle
         * @param deadline its deadline
         * @param payload its payload
         * @return true to remove the entry and go on, false to keep it and stop polling
         */
        boolean onExpiry(long handle, long deadline, int payload);
    }

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
     * A 4-ary heap.
     *
     * @param initialCapacity entries before the first growth, at least 1
     */
    public TimerHeap(final int initialCapacity) {
        this(4, initialCapacity);
    }

    /**
     * A d-ary heap.
     *
     * @param arity 2, 4 or 8
     * @param initialCapacity entries before the first growth, in [1, MAX_CAPACITY]
     * @throws IllegalArgumentException for another arity or capacity
     */
    public TimerHeap(final int arity, final int initialCapacity) {
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
    public int pollExpired(final long now, final ExpiryHandler handler, final int limit) {
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
}
