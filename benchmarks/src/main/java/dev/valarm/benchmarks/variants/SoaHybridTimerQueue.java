package dev.valarm.benchmarks.variants;

import dev.valarm.impl.internal.TimerQueue;

import java.util.Arrays;

/**
 * Benchmark variant: {@code HybridTimerQueue} with its per-slot state in five parallel arrays (structure of
 * arrays, as in its first version, commit 8e9f4aa) instead of one record array, and otherwise the shipped
 * algorithm and tuning (push-backs left in place, drains over eight buckets side by side, 16 entries per
 * bucket, growth by splitting, sampled re-tunes, no drain when nothing is due). Kept for comparison only.
 * Not thread-safe.
 *
 * <p>Original description: an exact timer queue for large populations: a small exact heap of the nearest deadlines in front of a
 * wheel of unsorted buckets and a far heap. Not thread-safe: confined to one thread or guarded by the
 * owner's lock. The contract is {@link TimerQueue}'s: exact order, generation-tagged handles, no
 * allocation except growth and re-tuning.
 *
 * <p>Small populations (up to a few thousand entries) live in the near heap alone and cost what a 4-ary
 * heap costs. Above that the queue keeps entries in three zones by the bucket number {@code deadline >>
 * width}: before the cursor bucket in the near heap (exact), in the {@code 2^k} buckets from the cursor in
 * the wheel (unsorted doubly linked lists, O(1) insert, cancel and move), after the wheel in the far heap
 * (exact). When the near heap runs empty the next occupied bucket is moved into it and heapified, and the
 * wheel slides on, taking from the far heap what now falls inside it. The geometry (bucket count and width)
 * is chosen from the live population and re-chosen when it stops fitting, at most once per {@code size}
 * placements.
 */
public final class SoaHybridTimerQueue implements TimerQueue {
    /*
     * Design (issue 14: a timer structure ahead of Agrona's wheel at a million entries, exact order kept).
     *
     * Zones, by bucket number b = deadline >> widthBits (an arithmetic shift: monotone over all of long):
     *   b <  cur                 near heap (SlotHeap: 4-ary, keys inline, exact)
     *   cur <= b < cur + M       wheel bucket b & (M - 1): an unsorted doubly linked list through the slots
     *   cur + M <= b             far heap (SlotHeap, exact)
     * Every near deadline is below every wheel deadline, every wheel deadline below every far one, so the
     * earliest entry is the near heap's root whenever the near heap is not empty. "Settling" (before any
     * look at the earliest entry, when the near heap is empty) moves the next occupied bucket (found with
     * an occupancy bitmap, 64 buckets per word) into the near heap, O(bucket) with Floyd's heapify, sets cur
     * past it and moves far entries that now fall inside the wheel. An entry is therefore touched O(1)
     * times between its schedule and its expiry whatever the population, the bucket it lands in is one
     * random cache line (its head) plus a store into the old head's slot, and cancel or a move to another
     * bucket is an unlink: one load of the slot's links and two stores. A move inside its bucket costs one
     * store. cur only grows (except when the queue is re-tuned or empty), and widthBits >= 1, so b - cur
     * never overflows.
     *
     * Heap mode: while the population is at most `spill` entries, cur is Long.MAX_VALUE: everything is in
     * the near heap and the queue is a 4-ary heap (small heaps are cache-resident and as fast as anything).
     *
     * Geometry (rebuild, O(n + M)): M = 2^k buckets with k = ceil(log2(n / target)), so a bucket holds
     * target/2 to 2 x target entries; the width is the smallest power of two such that M buckets from the
     * earliest deadline cover 7/8 of the live deadlines (a histogram of the bit lengths of deadline - min,
     * no sampling, no allocation), cur = the earliest entry's bucket. It is redone when the population
     * doubles past 2 x M x target, when more than a quarter of the entries sit in the far heap (buckets too
     * narrow) or the near heap outgrows `spill` (buckets too wide, or deadlines scheduled before the
     * cursor), the last two at most once per `size` placements so that a distribution no geometry fits
     * costs O(1) amortised per operation and falls back to heap behaviour, never worse. Below spill / 4
     * entries the queue returns to heap mode and drops the wheel's arrays. An empty queue whose next
     * deadline falls outside the wheel moves the wheel there (no entries to move).
     *
     * Per slot (SoA, like TimerHeap): long deadline, int generation, int payload, int next, int prev = 24 B.
     *   next: the next slot in the bucket or NIL (wheel), IN_NEAR, IN_FAR or FREE;
     *   prev: the previous slot, or -1 - bucket for a list head (wheel); the heap position (near, far); the
     *         next free slot (free list, LIFO so that a released slot's lines are reused warm).
     * Wheel: int head per bucket + 1 bit; M <= 2 n / target, i.e. at most 1 B per entry at target 4.
     * The near and far heaps keep their keys inline (12 B per entry in them) so that their sifts never
     * chase a slot; both hold few entries once the geometry fits.
     *
     * Measurements that chose this: see BENCHMARKS.md ("The hybrid timer queue: design and the variants
     * that lost").
     */

    /** The largest number of entries. */
    public static final int MAX_ENTRIES = 1 << 30;

    private static final int NIL = -1;
    private static final int IN_NEAR = -2;
    private static final int IN_FAR = -3;
    private static final int FREE = -4;
    private static final long HEAP_MODE = Long.MAX_VALUE;
    private static final int MIN_GROWTH = 16;
    private static final int MIN_WIDTH_BITS = 1;
    private static final int MAX_WIDTH_BITS = 62;
    private static final int FAR_SLACK = 64;
    private static final int LANES = 8;
    private static final long NONE = Long.MIN_VALUE;

    /** Default: heap mode up to this many entries. */
    static final int DEFAULT_SPILL = 4096;
    /** Default: entries per bucket aimed at by the geometry. */
    static final int DEFAULT_TARGET = 16;
    private static final int MIN_BUCKET_BITS = 6;
    private static final int MAX_BUCKET_BITS = 22;

    private final int spill;
    private final int target;
    private final int minBucketBits;

    // Per slot.
    private long[] deadlines;
    private int[] generations;
    private int[] payloads;
    private int[] next;
    private int[] prev;
    private int size;
    private int freeHead = NIL;
    private int slotsUsed;

    private final SlotHeap near = new SlotHeap(64);
    private final SlotHeap far = new SlotHeap(16);

    // The wheel (empty arrays in heap mode).
    private int[] heads = {};
    private long[] occupied = {};
    private int buckets;
    private int mask;
    private int widthBits = MIN_WIDTH_BITS;
    private long cur = HEAP_MODE;

    // Re-tuning.
    private int growAt;
    private int shrinkAt = -1;
    private long sinceRebuild;
    private static final int SAMPLE = 1024;
    private final long[] sample = new long[SAMPLE];
    private final int[] lanes = new int[LANES];

    /**
     * A queue.
     *
     * @param initialCapacity entries before the first growth of the per-entry arrays, in [1, MAX_ENTRIES]
     * @throws IllegalArgumentException for another capacity
     */
    public SoaHybridTimerQueue(final int initialCapacity) {
        this(initialCapacity, DEFAULT_SPILL, DEFAULT_TARGET, MIN_BUCKET_BITS);
    }

    /**
     * A queue with explicit tuning (tests use small values to reach every zone with few entries).
     *
     * @param initialCapacity entries before the first growth
     * @param spill the largest population kept in heap mode, at least 1
     * @param target entries per bucket aimed at, at least 1
     * @param minBucketBits log2 of the fewest buckets, in [6, 22]
     */
    SoaHybridTimerQueue(final int initialCapacity, final int spill, final int target, final int minBucketBits) {
        if (initialCapacity < 1 || initialCapacity > MAX_ENTRIES) {
            throw new IllegalArgumentException("initialCapacity must be in [1, " + MAX_ENTRIES + "]: " + initialCapacity);
        }
        if (spill < 1 || target < 1 || minBucketBits < MIN_BUCKET_BITS || minBucketBits > MAX_BUCKET_BITS) {
            throw new IllegalArgumentException("bad tuning: spill " + spill + ", target " + target + ", minBucketBits "
                    + minBucketBits);
        }
        this.spill = spill;
        this.target = target;
        this.minBucketBits = minBucketBits;
        this.growAt = spill;
        deadlines = new long[initialCapacity];
        generations = new int[initialCapacity];
        Arrays.fill(generations, 1);
        payloads = new int[initialCapacity];
        next = new int[initialCapacity];
        prev = new int[initialCapacity];
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public int capacity() {
        return deadlines.length;
    }

    @Override
    public void ensureCapacity(final int capacity) {
        if (capacity > MAX_ENTRIES) {
            throw new IllegalArgumentException("capacity must be at most " + MAX_ENTRIES + ": " + capacity);
        }
        if (capacity > deadlines.length) {
            grow(capacity);
        }
    }

    @Override
    public long schedule(final long deadline, final int payload) {
        int slot = freeHead;
        if (slot >= 0) {
            freeHead = prev[slot];
        } else {
            slot = newSlot();
        }
        if (size == 0 && cur != HEAP_MODE) {
            rebase(deadline);
        }
        size++;
        payloads[slot] = payload;
        deadlines[slot] = deadline;
        place(slot, deadline);
        if (size > growAt) {
            rebuild(false);
        }
        return ((long) generations[slot] << 32) | slot;
    }

    @Override
    public boolean cancel(final long handle) {
        final int slot = liveSlot(handle);
        if (slot < 0) {
            return false;
        }
        detach(slot);
        release(slot);
        return true;
    }

    @Override
    public boolean reschedule(final long handle, final long deadline) {
        final int slot = liveSlot(handle);
        if (slot < 0) {
            return false;
        }
        final long old = deadlines[slot];
        if (deadline == old) {
            return true;
        }
        deadlines[slot] = deadline;
        final int state = next[slot];
        final long b = deadline >> widthBits;
        if (state >= NIL) {
            if (b < old >> widthBits) {
                unlink(slot);
                place(slot, deadline);
            } // later: stays in its bucket (the drain re-places it)
        } else if (state == IN_NEAR) {
            if (b < cur) {
                near.changeKey(prev[slot], deadline, prev);
            } else {
                near.removeAt(prev[slot], prev);
                place(slot, deadline);
            }
        } else if (b >= cur && b - cur >= buckets) {
            far.changeKey(prev[slot], deadline, prev);
        } else {
            far.removeAt(prev[slot], prev);
            place(slot, deadline);
        }
        return true;
    }

    @Override
    public boolean contains(final long handle) {
        return liveSlot(handle) >= 0;
    }

    @Override
    public long deadline(final long handle) {
        return deadlines[checkedSlot(handle)];
    }

    @Override
    public int payload(final long handle) {
        return payloads[checkedSlot(handle)];
    }

    @Override
    public long peekDeadline() {
        return near.size() > 0 || settle() ? near.minKey() : Long.MAX_VALUE;
    }

    @Override
    public long peekHandle() {
        return near.size() > 0 || settle() ? handleOf(near.minSlot()) : NULL_HANDLE;
    }

    @Override
    public int peekPayload() {
        if (near.size() == 0 && !settle()) {
            throw new IllegalStateException("timer queue is empty");
        }
        return payloads[near.minSlot()];
    }

    @Override
    public int pollExpired(final long now, final ExpiryHandler handler, final int limit) {
        int removed = 0;
        while (removed < limit) {
            if (near.size() == 0 && (now >> widthBits < cur || !settle())) {
                break;
            }
            final long deadline = near.minKey();
            if (deadline > now) {
                break;
            }
            final int slot = near.minSlot();
            if (!handler.onExpiry(handleOf(slot), deadline, payloads[slot])) {
                break;
            }
            near.removeRoot(prev);
            release(slot);
            removed++;
        }
        return removed;
    }

    @Override
    public long replaceTop(final long deadline) {
        if (near.size() == 0 && !settle()) {
            throw new IllegalStateException("timer queue is empty");
        }
        final int slot = near.minSlot();
        deadlines[slot] = deadline;
        if (deadline >> widthBits < cur) {
            near.replaceRoot(deadline, prev);
        } else {
            near.removeRoot(prev);
            place(slot, deadline);
        }
        return handleOf(slot);
    }

    @Override
    public int visitBefore(final long bound, final EntryVisitor visitor, final int limit) {
        if (size == 0 || limit <= 0) {
            return 0;
        }
        int count = near.visitBefore(bound, visitor, payloads, limit, 0);
        if (count < limit && size - near.size() - far.size() > 0) {
            count = visitWheel(bound, visitor, limit, count);
        }
        if (count < limit && far.size() > 0) {
            count = far.visitBefore(bound, visitor, payloads, limit, count);
        }
        return count;
    }

    private int visitWheel(final long bound, final EntryVisitor visitor, final int limit, final int seen) {
        if (bound == Long.MIN_VALUE) {
            return seen;
        }
        final long last = (bound - 1) >> widthBits;
        if (last < cur) {
            return seen;
        }
        final long span = Math.min(last - cur, buckets - 1L);
        int count = seen;
        long off = 0;
        while (off <= span && count < limit) {
            final int phys = (int) ((cur + off) & mask);
            final long bits = occupied[phys >>> 6] >>> phys;
            if (bits == 0) {
                off += 64 - (phys & 63);
                continue;
            }
            off += Long.numberOfTrailingZeros(bits);
            if (off > span) {
                break;
            }
            for (int s = heads[(int) ((cur + off) & mask)]; s != NIL && count < limit; s = next[s]) {
                final long d = deadlines[s];
                if (d < bound) {
                    visitor.visit(d, payloads[s]);
                    count++;
                }
            }
            off++;
        }
        return count;
    }

    @Override
    public void clear() {
        for (int s = 0; s < slotsUsed; s++) {
            if (next[s] != FREE) {
                free(s);
            }
        }
        size = 0;
        toHeapMode();
    }

    // ------------------------------------------------------------------------------------------------

    private long handleOf(final int slot) {
        return ((long) generations[slot] << 32) | slot;
    }

    private int liveSlot(final long handle) {
        final int slot = (int) handle;
        if (slot < 0 || slot >= slotsUsed) {
            return -1;
        }
        if (generations[slot] != (int) (handle >>> 32) || next[slot] == FREE) {
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
        if (slotsUsed == deadlines.length) {
            if (deadlines.length >= MAX_ENTRIES) {
                throw new IllegalStateException("timer queue is full: " + size + " entries");
            }
            grow((int) Math.min(MAX_ENTRIES, Math.max(MIN_GROWTH, (long) deadlines.length * 2)));
        }
        return slotsUsed++;
    }

    private void grow(final int capacity) {
        final int old = deadlines.length;
        deadlines = Arrays.copyOf(deadlines, capacity);
        generations = Arrays.copyOf(generations, capacity);
        Arrays.fill(generations, old, capacity, 1);
        payloads = Arrays.copyOf(payloads, capacity);
        next = Arrays.copyOf(next, capacity);
        prev = Arrays.copyOf(prev, capacity);
    }

    /** Returns a detached slot to the free list and counts it out; small populations go back to heap mode. */
    private void release(final int slot) {
        free(slot);
        if (--size < shrinkAt) {
            toHeapMode();
        }
    }

    /** Returns a slot to the free list; its handle goes stale. */
    private void free(final int slot) {
        int gen = generations[slot] + 1;
        if (gen == 0) {
            gen = 1; // never produce generation 0, so no handle is ever NULL_HANDLE
        }
        generations[slot] = gen;
        next[slot] = FREE;
        prev[slot] = freeHead;
        freeHead = slot;
    }

    /** Puts a slot whose deadline is set into its zone. */
    private void place(final int slot, final long deadline) {
        sinceRebuild++;
        final long b = deadline >> widthBits;
        if (b < cur) {
            next[slot] = IN_NEAR;
            near.push(slot, deadline, prev);
            if (near.size() > spill && cur != HEAP_MODE && sinceRebuild >= size) {
                rebuild(true);
            }
        } else if (b - cur < buckets) {
            link(slot, (int) b & mask);
        } else {
            next[slot] = IN_FAR;
            far.push(slot, deadline, prev);
            if (far.size() > (size >> 2) + FAR_SLACK && sinceRebuild >= size) {
                rebuild(true);
            }
        }
    }

    /** Takes a live slot out of its zone (the slot stays allocated). */
    private void detach(final int slot) {
        final int state = next[slot];
        if (state >= NIL) {
            unlink(slot);
        } else if (state == IN_NEAR) {
            near.removeAt(prev[slot], prev);
        } else {
            far.removeAt(prev[slot], prev);
        }
    }

    private void link(final int slot, final int phys) {
        final int h = heads[phys];
        next[slot] = h;
        prev[slot] = -1 - phys;
        if (h != NIL) {
            prev[h] = slot;
        } else {
            occupied[phys >>> 6] |= 1L << phys;
        }
        heads[phys] = slot;
    }

    private void unlink(final int slot) {
        final int n = next[slot];
        final int p = prev[slot];
        if (p >= 0) {
            next[p] = n;
        } else {
            final int phys = -1 - p;
            heads[phys] = n;
            if (n == NIL) {
                occupied[phys >>> 6] &= ~(1L << phys);
            }
        }
        if (n != NIL) {
            prev[n] = p;
        }
    }

    /**
     * Makes the near heap hold the earliest entries. Called when the near heap is empty.
     *
     * @return false if the queue is empty
     */
    private boolean settle() {
        while (near.size() == 0) {
            if (size == 0) {
                return false;
            }
            if (size == far.size()) {
                cur = far.minKey() >> widthBits; // jump: the wheel starts at the earliest far entry
                refill();
            }
            drainNext();
            refill();
            if (near.size() > spill && sinceRebuild >= size) {
                rebuild(true); // buckets too wide for this population; the loop settles again
            }
        }
        return true;
    }

    /** The first occupied bucket at or after {@code from} (cur <= from), or NONE. */
    private long nextOccupied(final long from) {
        final long left = buckets - (from - cur);
        if (left <= 0) {
            return NONE;
        }
        final int start = (int) (from & mask);
        final long[] occ = occupied;
        final int wordMask = (buckets >>> 6) - 1;
        int w = start >>> 6;
        long bits = occ[w] & (-1L << start);
        long seen = 64 - (start & 63);
        while (bits == 0) {
            if (seen >= left) {
                return NONE;
            }
            w = (w + 1) & wordMask;
            bits = occ[w];
            seen += 64;
        }
        final long found = from + ((((w << 6) + Long.numberOfTrailingZeros(bits)) - start) & mask);
        return found - cur < buckets ? found : NONE;
    }

    /** Moves up to LANES occupied buckets into the (empty) near heap, their lists walked side by side. */
    private void drainNext() {
        final long[] d = deadlines;
        final int[] nx = next;
        final int[] lane = lanes;
        int k = 0;
        long b = nextOccupied(cur);
        do {
            final int phys = (int) (b & mask);
            lane[k++] = heads[phys];
            heads[phys] = NIL;
            occupied[phys >>> 6] &= ~(1L << phys);
            cur = b + 1;
        } while (k < LANES && (b = nextOccupied(cur)) != NONE);
        for (int active = k; active > 0;) {
            for (int j = 0; j < k; j++) {
                final int s = lane[j];
                if (s == NIL) {
                    continue;
                }
                final int n = nx[s];
                lane[j] = n;
                if (n == NIL) {
                    active--;
                }
                final long dl = d[s];
                final long own = dl >> widthBits;
                if (own < cur) {
                    nx[s] = IN_NEAR;
                    near.append(s, dl, prev);
                } else if (own - cur < buckets) {
                    link(s, (int) own & mask);
                } else {
                    nx[s] = IN_FAR;
                    far.push(s, dl, prev);
                }
            }
        }
        near.heapify(prev);
    }

    /** Moves far entries that now fall inside the wheel into their buckets. */
    private void refill() {
        while (far.size() > 0) {
            final long key = far.minKey();
            final long b = key >> widthBits;
            if (b - cur >= buckets) {
                return;
            }
            final int slot = far.minSlot();
            far.removeRoot(prev);
            link(slot, (int) b & mask);
        }
    }

    /** An empty wheel-mode queue: moves the wheel so that the next deadline falls inside it. */
    private void rebase(final long deadline) {
        final long b = deadline >> widthBits;
        if (b < cur || b - cur >= buckets) {
            cur = b;
        }
    }

    private void toHeapMode() {
        near.clear();
        far.clear();
        for (int s = 0; s < slotsUsed; s++) {
            if (next[s] != FREE) {
                next[s] = IN_NEAR;
                near.append(s, deadlines[s], prev);
            }
        }
        near.heapify(prev);
        cur = HEAP_MODE;
        Arrays.fill(heads, 0, buckets, NIL);
        Arrays.fill(occupied, 0, buckets >>> 6, 0L);
        buckets = 0;
        mask = 0;
        growAt = spill;
        shrinkAt = -1;
        sinceRebuild = 0;
    }

    /** Re-chooses the geometry (retune: from a sample; else split every bucket) and re-zones every entry. */
    private void rebuild(final boolean retune) {
        final int n = size;
        if (n <= spill) {
            toHeapMode();
            return;
        }
        sinceRebuild = 0;
        int k = Math.max(minBucketBits, Math.min(MAX_BUCKET_BITS,
                32 - Integer.numberOfLeadingZeros(Math.max(1, (n - 1) / target))));
        if (buckets > 0 && n <= 2L * buckets * target && 4L * n > (long) buckets * target) {
            k = Integer.numberOfTrailingZeros(buckets);
        }
        if (retune || cur == HEAP_MODE) {
            estimate(k);
        } else {
            final int w = Math.max(MIN_WIDTH_BITS, widthBits - (k - Integer.numberOfTrailingZeros(buckets)));
            cur = cur << (widthBits - w);
            widthBits = w;
        }
        relinkAll(k);
        growAt = k >= MAX_BUCKET_BITS ? Integer.MAX_VALUE : (int) Math.min(Integer.MAX_VALUE, 2L * (1 << k) * target);
        shrinkAt = spill / 4;
    }

    private void estimate(final int k) {
        final int stride = Math.max(1, size / SAMPLE);
        int c = 0;
        int seen = 0;
        long lo = Long.MAX_VALUE;
        for (int s = 0; s < slotsUsed; s++) {
            if (next[s] != FREE) {
                final long d = deadlines[s];
                lo = Math.min(lo, d);
                if (seen++ % stride == 0 && c < SAMPLE) {
                    sample[c++] = d;
                }
            }
        }
        Arrays.sort(sample, 0, c);
        final long q7 = sample[c - 1 - c / 8];
        final long spread = q7 - sample[c / 8];
        long needed = spread + Long.divideUnsigned(spread, 3);
        if (Long.compareUnsigned(needed, spread) < 0) {
            needed = -1L;
        }
        final int bits = needed == 0 ? 0 : 64 - Long.numberOfLeadingZeros(needed - 1);
        final int w = Math.max(MIN_WIDTH_BITS, Math.min(MAX_WIDTH_BITS, bits - k));
        final long window = k + w >= 63 ? Long.MAX_VALUE : 1L << (k + w);
        int first = 0;
        while (first < c / 8 && Long.compareUnsigned(q7 - sample[first], window) >= 0) {
            first++;
        }
        if (first > 0) {
            final long from = Long.compareUnsigned(sample[first] - Long.MIN_VALUE, window / 2) < 0
                    ? Long.MIN_VALUE : sample[first] - window / 2;
            lo = Long.MAX_VALUE;
            for (int s = 0; s < slotsUsed; s++) {
                if (next[s] != FREE && deadlines[s] >= from && deadlines[s] < lo) {
                    lo = deadlines[s];
                }
            }
        }
        widthBits = w;
        cur = lo >> w;
    }

    private void relinkAll(final int k) {
        final int m = 1 << k;
        if (heads.length < m) {
            heads = new int[m];
            occupied = new long[m >>> 6];
        }
        Arrays.fill(heads, 0, m, NIL);
        Arrays.fill(occupied, 0, m >>> 6, 0L);
        buckets = m;
        mask = m - 1;
        near.clear();
        far.clear();
        for (int s = 0; s < slotsUsed; s++) {
            if (next[s] != FREE) {
                final long d = deadlines[s];
                final long b = d >> widthBits;
                if (b < cur) {
                    next[s] = IN_NEAR;
                    near.append(s, d, prev);
                } else if (b - cur < m) {
                    link(s, (int) b & mask);
                } else {
                    next[s] = IN_FAR;
                    far.append(s, d, prev);
                }
            }
        }
        near.heapify(prev);
        far.heapify(prev);
    }

    /** The first version's 4-ary slot heap (positions in a separate per-slot array). */
    static final class SlotHeap {
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

        /**
         * Reports entries with keys before {@code bound}, pruned at the first key at or after it.
         *
         * @return the running count, at most {@code limit}
         */
        int visitBefore(final long bound, final TimerQueue.EntryVisitor visitor, final int[] payloads, final int limit,
                final int seen) {
            if (size == 0 || seen >= limit || keys[ROOT] >= bound) {
                return seen;
            }
            return visitFrom(ROOT, bound, visitor, payloads, limit, seen);
        }

        private int visitFrom(final int index, final long bound, final TimerQueue.EntryVisitor visitor,
                final int[] payloads, final int limit, final int seen) {
            visitor.visit(keys[index], payloads[slots[index]]);
            int count = seen + 1;
            final int end = ROOT + size;
            if (index > parent(end - 1)) {
                return count;
            }
            final int first = (index - 2) << 2;
            final int stop = Math.min(first + 4, end);
            for (int c = first; c < stop && count < limit; c++) {
                if (keys[c] < bound) {
                    count = visitFrom(c, bound, visitor, payloads, limit, count);
                }
            }
            return count;
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
            final int capacity = (int) Math.min(MAX_ENTRIES + (long) ROOT, 2L * keys.length);
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
}
