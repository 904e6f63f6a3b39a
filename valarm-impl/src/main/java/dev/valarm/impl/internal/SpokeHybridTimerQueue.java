package dev.valarm.impl.internal;

import java.util.Arrays;

/**
 * An exact timer queue for large populations: a small exact heap of the nearest deadlines in front of a
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
public final class SpokeHybridTimerQueue implements TimerQueue {
    /*
     * Design (issue 14: a timer structure ahead of Agrona's wheel at a million entries, exact order kept).
     *
     * Zones, by bucket number b = deadline >> widthBits (an arithmetic shift: monotone over all of long):
     *   b <  cur                 near heap (SlotHeap: 4-ary, keys inline, exact)
     *   cur <= b < cur + M       wheel bucket b & (M - 1): an unsorted doubly linked list through the slots
     *   cur + M <= b             far heap (SlotHeap, exact)
     * Every near deadline is below every wheel deadline, every wheel deadline below every far one, so the
     * earliest entry is the near heap's root whenever the near heap is not empty. cur only grows (except
     * when the queue is re-tuned or empty), and widthBits >= 1, so b - cur never overflows.
     *
     * Operations. Schedule: a bucket head (a small array) and a store into the old head's record. Cancel,
     * or a move to an earlier bucket: an unlink (one load of the slot's record, two stores). A move to a
     * later deadline leaves the entry where it is (Ratas' "leave it in place"): its bucket is then before
     * its deadline's, never after, and the drain of that bucket sends it on; so a push-back is one store.
     * Settling (before a look at the earliest entry, when the near heap is empty) takes the next LANES = 8
     * occupied buckets (an occupancy bitmap, 64 buckets per word), walks their lists side by side so that
     * eight records' cache misses are in flight at once instead of one after another, appends the entries
     * to the near heap and heapifies it (Floyd, O(entries)), sets cur past them and moves far entries that
     * now fall inside the wheel. An entry is thus touched O(1) times between schedule and expiry whatever
     * the population. pollExpired with an empty near heap and now before cur's bucket returns at once: an
     * idle poll, or the end of a burst that was scheduled before the cursor, is a comparison.
     *
     * Heap mode: while the population is at most `spill` (4096) entries, cur is Long.MAX_VALUE: everything
     * is in the near heap and the queue is a 4-ary heap (small heaps are cache-resident; the wheel wins
     * from a few thousand entries on). Below spill / 4 the queue returns to heap mode; the wheel's arrays
     * stay (under 1 B per entry of the largest population) so that growing again allocates nothing.
     *
     * Geometry: M = 2^k buckets, k = ceil(log2(n / target)) with target = 16, so a bucket holds 8 to 32
     * entries (larger buckets mean fewer settles and a smaller head array; the near heap still holds only
     * a few hundred entries). When the population doubles past 2 x M x target every bucket is split: the
     * cursor and the wheel's span stay, so the entries that made it grow (a burst before the cursor, say)
     * cannot pull the wheel away from the bulk. A re-tune (leaving heap mode, or more than a quarter of the
     * entries in the far heap, or a near heap larger than `spill`) sorts a sample of up to 1024 deadlines
     * (heapsort, no allocation): the wheel spans 4/3 of the range between the sample's 1/8 and 7/8
     * quantiles (all of a uniform range), from the earliest deadline, or, if the earliest lie further
     * before the bulk than the wheel reaches, from the start of the bulk (the outliers go to the near
     * heap). A re-tune keeps M while n / M stays within (target / 4, 2 x target], and happens at most once
     * per `size` placements: a distribution no geometry fits costs O(1) amortised per operation and falls
     * back to heap behaviour, never worse. An empty queue whose next deadline falls outside the wheel
     * moves the wheel there.
     *
     * Slot records: one int[] with STRIDE = 6 ints per slot (24 B): deadline (high, low), generation,
     * payload, next, prev. One record is one cache line (or two adjacent ones) and one page, so a cancel,
     * a drain step or a link touches one line per slot involved instead of one per array (at a million
     * entries with 4 KiB pages every separate array is a separate TLB miss).
     *   next: the next slot in the bucket or NIL (wheel), IN_NEAR, IN_FAR or FREE;
     *   prev: the previous slot, or -1 - bucket for a list head (wheel); the next free slot (free list,
     *         LIFO so that a released slot's line is reused warm).
     * Heap positions of near and far entries sit in a separate int[] per slot (4 B): a sift writes the
     * position of every entry it moves, and in heap mode (the whole population in the near heap) a dense
     * array keeps those writes as cheap as TimerHeap's. The near and far heaps keep their keys inline (12 B
     * per entry in them) so that their sifts never chase a slot. About 28.3 B per live entry at 2^20.
     *
     * Measurements that chose this, and the variants that lost: BENCHMARKS.md ("The hybrid timer queue").
     */

    /** The largest number of entries (STRIDE ints per slot in one array). */
    public static final int MAX_CAPACITY = 1 << 28;

    // Slot records: STRIDE ints per slot.
    static final int STRIDE = 5;
    static final int DEADLINE_HI = 0;
    static final int DEADLINE_LO = 1;
    static final int GENERATION = 2;
    static final int PAYLOAD = 3;
    /** A wheel entry's bucket tag (>= 0), IN_NEAR, IN_FAR, or at most FREE_TOP (free, with its link). */
    static final int STATE = 4;
    private static final long LOW = 0xFFFF_FFFFL;

    private static final int NIL = -1;
    private static final int IN_NEAR = -2;
    private static final int IN_FAR = -3;
    /** A free slot's state is FREE_TOP - 1 - (the next free slot, or NIL). */
    private static final int FREE_TOP = -4;
    /** A wheel entry's state: the low 31 bits of its bucket's absolute number. */
    private static final int TAG_MASK = 0x7FFF_FFFF;

    // Bucket lists: chunks of CHUNK ints (one 64-byte line's worth): the next (older) chunk, a count, ids.
    static final int CHUNK = 16;
    private static final int CHUNK_NEXT = 0;
    private static final int CHUNK_IDS = 1;
    private static final int CHUNK_CAP = CHUNK - CHUNK_IDS;
    private static final int FILL_BITS = 4;
    private static final int FILL_MASK = (1 << FILL_BITS) - 1;
    private static final int MAX_CHUNKS = 1 << (31 - FILL_BITS);
    private static final int MIN_CHUNKS = 64;
    /** Stale list entries tolerated beyond half the live population before the lists are rebuilt. */
    private static final int COMPACT_SLACK = Integer.getInteger("spoke.slack", 256);
    private static final long HEAP_MODE = Long.MAX_VALUE;
    private static final int MIN_GROWTH = 16;
    private static final int MIN_WIDTH_BITS = 1;
    private static final int MAX_WIDTH_BITS = 62;
    private static final int FAR_SLACK = 64;
    /** Buckets a drain walks side by side. */
    private static final int LANES = 8;
    private static final long NONE = Long.MIN_VALUE;
    /** Deadlines sampled by a re-tune. */
    private static final int SAMPLE = 1024;

    /** Default: heap mode up to this many entries. */
    static final int DEFAULT_SPILL = 4096;
    /** Default: entries per bucket aimed at by the geometry. */
    static final int DEFAULT_TARGET = 16;
    private static final int MIN_BUCKET_BITS = 6;
    private static final int MAX_BUCKET_BITS = 22;

    private final int spill;
    private final int target;
    private final int minBucketBits;

    private int[] rec;
    /** Per slot: the heap position of a near or far entry. */
    private int[] pos;
    private int capacity;
    private int size;
    private int freeHead = NIL;
    private int slotsUsed;

    private final SlotHeap near = new SlotHeap(64);
    private final SlotHeap far = new SlotHeap(16);

    // The wheel: buckets == 0 in heap mode (the arrays may be longer than buckets: kept from a bigger past).
    /** Per bucket: NIL, or its newest list chunk << FILL_BITS | the ids in it (the older chunks are full). */
    private int[] heads = {};
    /** The chunk pool of the bucket lists. */
    private int[] chunks = new int[0];
    private int chunksUsed;
    private int chunkFree = NIL;
    /** Ids in all bucket lists, stale ones included. */
    private int listed;
    private final int[] laneTags = new int[LANES];
    private final int[] laneFill = new int[LANES];
    private long[] occupied = {};
    private int buckets;
    private int mask;
    private int widthBits = MIN_WIDTH_BITS;
    private long cur = HEAP_MODE;

    // Re-tuning.
    private int growAt;
    private int shrinkAt = -1;
    /** Entries placed since the last re-tune (its amortisation budget). */
    private long sinceRebuild;
    private final long[] sample = new long[SAMPLE];
    private final int[] lanes = new int[LANES];

    /**
     * A queue.
     *
     * @param initialCapacity entries before the first growth of the slot records, in [1, MAX_CAPACITY]
     * @throws IllegalArgumentException for another capacity
     */
    public SpokeHybridTimerQueue(final int initialCapacity) {
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
    SpokeHybridTimerQueue(final int initialCapacity, final int spill, final int target, final int minBucketBits) {
        if (initialCapacity < 1 || initialCapacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("initialCapacity must be in [1, " + MAX_CAPACITY + "]: " + initialCapacity);
        }
        if (spill < 1 || target < 1 || minBucketBits < MIN_BUCKET_BITS || minBucketBits > MAX_BUCKET_BITS) {
            throw new IllegalArgumentException("bad tuning: spill " + spill + ", target " + target + ", minBucketBits "
                    + minBucketBits);
        }
        this.spill = spill;
        this.target = target;
        this.minBucketBits = minBucketBits;
        this.growAt = spill;
        rec = new int[STRIDE * initialCapacity];
        pos = new int[initialCapacity];
        capacity = initialCapacity;
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
        return capacity;
    }

    @Override
    public void ensureCapacity(final int capacity) {
        if (capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be at most " + MAX_CAPACITY + ": " + capacity);
        }
        if (capacity > this.capacity) {
            grow(capacity);
        }
    }

    @Override
    public long schedule(final long deadline, final int payload) {
        int slot = freeHead;
        if (slot >= 0) {
            freeHead = FREE_TOP - 1 - rec[slot * STRIDE + STATE];
        } else {
            slot = newSlot();
        }
        if (size == 0 && cur != HEAP_MODE) {
            rebase(deadline);
        }
        size++;
        final int[] r = rec;
        final int i = slot * STRIDE;
        r[i + DEADLINE_HI] = (int) (deadline >>> 32);
        r[i + DEADLINE_LO] = (int) deadline;
        r[i + PAYLOAD] = payload;
        place(slot, deadline);
        if (size > growAt) {
            rebuild(false);
        }
        return ((long) r[i + GENERATION] << 32) | slot;
    }

    @Override
    public boolean cancel(final long handle) {
        final int slot = liveSlot(handle);
        if (slot < 0) {
            return false;
        }
        final boolean wheel = rec[slot * STRIDE + STATE] >= 0;
        detach(slot);
        release(slot);
        if (wheel) {
            compactIfDue();
        }
        return true;
    }

    @Override
    public boolean reschedule(final long handle, final long deadline) {
        final int slot = liveSlot(handle);
        if (slot < 0) {
            return false;
        }
        final int[] r = rec;
        final int i = slot * STRIDE;
        final long old = deadlineAt(r, i);
        if (deadline == old) {
            return true;
        }
        r[i + DEADLINE_HI] = (int) (deadline >>> 32);
        r[i + DEADLINE_LO] = (int) deadline;
        final int state = r[i + STATE];
        final long b = deadline >> widthBits;
        if (state >= 0) {
            if (b < listedBucket(state)) {
                place(slot, deadline); // its old list entry goes stale
                compactIfDue();
            } // later: the entry stays in its bucket, which is then before its deadline's (drain re-places it)
        } else if (state == IN_NEAR) {
            if (b < cur) {
                near.changeKey(pos[slot], deadline, pos);
            } else {
                near.removeAt(pos[slot], pos);
                place(slot, deadline);
            }
        } else if (b >= cur && b - cur >= buckets) {
            far.changeKey(pos[slot], deadline, pos);
        } else {
            far.removeAt(pos[slot], pos);
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
        return deadlineAt(rec, checkedSlot(handle) * STRIDE);
    }

    @Override
    public int payload(final long handle) {
        return rec[checkedSlot(handle) * STRIDE + PAYLOAD];
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
        return rec[near.minSlot() * STRIDE + PAYLOAD];
    }

    @Override
    public int pollExpired(final long now, final ExpiryHandler handler, final int limit) {
        int removed = 0;
        while (removed < limit) {
            // Nothing after the cursor is due before the cursor's bucket: leave the wheel alone then (an
            // idle poll, or the end of a burst, costs a comparison instead of a drain).
            if (near.size() == 0 && (now >> widthBits < cur || !settle())) {
                break;
            }
            final long deadline = near.minKey();
            if (deadline > now) {
                break;
            }
            final int slot = near.minSlot();
            final int i = slot * STRIDE;
            if (!handler.onExpiry(((long) rec[i + GENERATION] << 32) | slot, deadline, rec[i + PAYLOAD])) {
                break;
            }
            near.removeRoot(pos);
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
        final int[] r = rec;
        final int i = slot * STRIDE;
        r[i + DEADLINE_HI] = (int) (deadline >>> 32);
        r[i + DEADLINE_LO] = (int) deadline;
        if (deadline >> widthBits < cur) {
            near.replaceRoot(deadline, pos);
        } else {
            near.removeRoot(pos);
            place(slot, deadline);
        }
        return ((long) r[i + GENERATION] << 32) | slot;
    }

    @Override
    public void clear() {
        for (int s = 0; s < slotsUsed; s++) {
            if (rec[s * STRIDE + STATE] > FREE_TOP) {
                free(s);
            }
        }
        size = 0;
        toHeapMode();
    }

    // ------------------------------------------------------------------------------------------------
    // Test support (package-private).

    /** Bytes held by the arrays, headers included (16-byte array headers, compressed oops). */
    long arrayBytes() {
        return 2L * 16 + 4L * rec.length + 4L * pos.length + near.arrayBytes() + far.arrayBytes() + 2L * 16 + 4L * heads.length
                + 8L * occupied.length + 16 + 4L * chunks.length + 16 + 8L * sample.length;
    }

    /** Whether the wheel is in use (false: heap mode). */
    boolean wheelMode() {
        return cur != HEAP_MODE;
    }

    /** Entries in the near heap, the wheel and the far heap. */
    int[] zoneSizes() {
        return new int[] {near.size(), wheelCount(), far.size()};
    }

    /** Checks zones, heap order, the bucket lists, the bitmap and the free lists; throws AssertionError when broken. */
    void verifyInvariants() {
        final int[] r = rec;
        near.verify(pos, "near");
        far.verify(pos, "far");
        int inNear = 0;
        int inFar = 0;
        int inWheel = 0;
        int free = 0;
        for (int s = 0; s < slotsUsed; s++) {
            final int i = s * STRIDE;
            final int state = r[i + STATE];
            final long d = deadlineAt(r, i);
            final long b = d >> widthBits;
            if (state <= FREE_TOP) {
                free++;
            } else if (state == IN_NEAR) {
                inNear++;
                check(near.slotAt(pos[s]) == s && near.keyAt(pos[s]) == d, "near link", s);
                check(b < cur, "near entry at or after the cursor", s);
            } else if (state == IN_FAR) {
                inFar++;
                check(far.slotAt(pos[s]) == s && far.keyAt(pos[s]) == d, "far link", s);
                check(b >= cur && b - cur >= buckets, "far entry inside the wheel", s);
            } else {
                check(state >= 0, "unknown state " + state, s);
                inWheel++;
                check(cur != HEAP_MODE, "wheel entry in heap mode", s);
                check(b >= listedBucket(state), "wheel entry in a bucket after its deadline's", s);
            }
            check(state <= FREE_TOP || r[i + GENERATION] != 0, "generation 0", s);
        }
        check(inNear == near.size() && inFar == far.size() && inWheel == wheelCount(), "zone counts", -1);
        check(inNear + inFar + inWheel == size, "size", -1);
        final boolean[] found = new boolean[slotsUsed];
        int ids = 0;
        int inLists = 0;
        for (int phys = 0; phys < buckets; phys++) {
            final boolean bit = (occupied[phys >>> 6] & (1L << phys)) != 0;
            check(bit == (heads[phys] != NIL), "bitmap of bucket " + phys, -1);
            final int tag = (int) (cur + ((phys - cur) & mask)) & TAG_MASK; // this physical bucket's tag
            final int h = heads[phys];
            check(h == NIL || (h & FILL_MASK) >= 1 && (h & FILL_MASK) <= CHUNK_CAP, "fill of bucket " + phys, -1);
            final int newest = h == NIL ? NIL : h >>> FILL_BITS;
            for (int c = newest; c != NIL; c = chunks[c * CHUNK + CHUNK_NEXT]) {
                check(c >= 0 && c < chunksUsed && ++inLists <= chunksUsed, "bucket list chunk " + c, -1);
                final int n = c == newest ? h & FILL_MASK : CHUNK_CAP;
                for (int x = 0; x < n; x++) {
                    final int s = chunks[c * CHUNK + CHUNK_IDS + x];
                    check(s >= 0 && s < slotsUsed, "listed id " + s, -1);
                    ids++;
                    if (r[s * STRIDE + STATE] == tag) {
                        found[s] = true;
                    }
                }
            }
        }
        check(ids == listed, "listed count " + listed + " vs " + ids, -1);
        for (int s = 0; s < slotsUsed; s++) {
            check(r[s * STRIDE + STATE] < 0 || found[s], "wheel entry missing from its bucket's list", s);
        }
        int freeChunks = 0;
        for (int c = chunkFree; c != NIL; c = chunks[c * CHUNK + CHUNK_NEXT]) {
            check(c >= 0 && c < chunksUsed && ++freeChunks <= chunksUsed, "chunk free list", -1);
        }
        check(inLists + freeChunks == chunksUsed, "chunks " + inLists + " listed + " + freeChunks + " free vs " + chunksUsed, -1);
        int freeListed = 0;
        for (int s = freeHead; s >= 0; s = FREE_TOP - 1 - r[s * STRIDE + STATE]) {
            check(r[s * STRIDE + STATE] <= FREE_TOP && ++freeListed <= free, "free list", s);
        }
        check(freeListed == free, "free list length", -1);
        if (cur == HEAP_MODE) {
            check(inWheel == 0 && inFar == 0 && listed == 0, "heap mode with wheel entries", -1);
        }
    }

    private static void check(final boolean ok, final String what, final int slot) {
        if (!ok) {
            throw new AssertionError(what + (slot >= 0 ? " (slot " + slot + ")" : ""));
        }
    }

    // ------------------------------------------------------------------------------------------------

    private static long deadlineAt(final int[] r, final int i) {
        return ((long) r[i + DEADLINE_HI] << 32) | (r[i + DEADLINE_LO] & LOW);
    }

    private long handleOf(final int slot) {
        return ((long) rec[slot * STRIDE + GENERATION] << 32) | slot;
    }

    private int liveSlot(final long handle) {
        final int slot = (int) handle;
        if (slot < 0 || slot >= slotsUsed) {
            return -1;
        }
        final int i = slot * STRIDE;
        if (rec[i + GENERATION] != (int) (handle >>> 32) || rec[i + STATE] <= FREE_TOP) {
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
        if (slotsUsed == capacity) {
            if (capacity >= MAX_CAPACITY) {
                throw new IllegalStateException("timer queue is full: " + size + " entries");
            }
            grow((int) Math.min(MAX_CAPACITY, Math.max(MIN_GROWTH, (long) capacity * 2)));
        }
        rec[slotsUsed * STRIDE + GENERATION] = 1; // generations start at 1: no handle is NULL_HANDLE
        return slotsUsed++;
    }

    private void grow(final int newCapacity) {
        rec = Arrays.copyOf(rec, STRIDE * newCapacity);
        pos = Arrays.copyOf(pos, newCapacity);
        capacity = newCapacity;
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
        final int i = slot * STRIDE;
        int gen = rec[i + GENERATION] + 1;
        if (gen == 0) {
            gen = 1; // never produce generation 0, so no handle is ever NULL_HANDLE
        }
        rec[i + GENERATION] = gen;
        rec[i + STATE] = FREE_TOP - 1 - freeHead;
        freeHead = slot;
    }

    /** Puts a slot whose deadline is set into its zone. */
    private void place(final int slot, final long deadline) {
        sinceRebuild++;
        final long b = deadline >> widthBits;
        if (b < cur) {
            rec[slot * STRIDE + STATE] = IN_NEAR;
            near.push(slot, deadline, pos);
            if (near.size() > spill && cur != HEAP_MODE && sinceRebuild >= size) {
                rebuild(true);
            }
        } else if (b - cur < buckets) {
            enlist(slot, b);
        } else {
            rec[slot * STRIDE + STATE] = IN_FAR;
            far.push(slot, deadline, pos);
            if (far.size() > (size >> 2) + FAR_SLACK && sinceRebuild >= size) {
                rebuild(true);
            }
        }
    }

    /** Entries in the wheel. */
    private int wheelCount() {
        return size - near.size() - far.size();
    }

    /** Takes a live slot out of its zone (the slot stays allocated; a wheel entry's list id goes stale). */
    private void detach(final int slot) {
        final int state = rec[slot * STRIDE + STATE];
        if (state == IN_NEAR) {
            near.removeAt(pos[slot], pos);
        } else if (state == IN_FAR) {
            far.removeAt(pos[slot], pos);
        }
    }

    /** The absolute number of the wheel bucket whose tag is {@code tag} (a wheel bucket: cur <= it < cur + M). */
    private long listedBucket(final int tag) {
        return cur + ((tag - (int) cur) & TAG_MASK);
    }

    /** Puts a slot into wheel bucket {@code b} (cur <= b < cur + M). */
    private void enlist(final int slot, final long b) {
        rec[slot * STRIDE + STATE] = (int) b & TAG_MASK;
        append(slot, (int) b & mask);
    }

    /** Appends a slot's id to a bucket's list. */
    private void append(final int slot, final int phys) {
        final int h = heads[phys];
        int c;
        int n;
        if (h == NIL) {
            c = newChunk(NIL);
            n = 0;
            occupied[phys >>> 6] |= 1L << phys;
        } else {
            c = h >>> FILL_BITS;
            n = h & FILL_MASK;
            if (n == CHUNK_CAP) {
                c = newChunk(c);
                n = 0;
            }
        }
        chunks[c * CHUNK + CHUNK_IDS + n] = slot; // a store only: the chunk's line is not read
        heads[phys] = c << FILL_BITS | (n + 1);
        listed++;
    }

    private int newChunk(final int next) {
        int c = chunkFree;
        if (c != NIL) {
            chunkFree = chunks[c * CHUNK + CHUNK_NEXT];
        } else {
            if ((long) (chunksUsed + 1) * CHUNK > chunks.length) {
                if (chunksUsed >= MAX_CHUNKS) {
                    throw new IllegalStateException("timer queue bucket lists full: " + chunksUsed + " chunks");
                }
                final int grown = Math.min(MAX_CHUNKS, Math.max(MIN_CHUNKS, chunksUsed + (chunksUsed >> 1)));
                chunks = Arrays.copyOf(chunks, grown * CHUNK);
            }
            c = chunksUsed++;
        }
        chunks[c * CHUNK + CHUNK_NEXT] = next;
        return c;
    }

    /** Empties the first m buckets' lists and the chunk pool (the arrays stay). */
    private void resetLists(final int m) {
        Arrays.fill(heads, 0, m, NIL);
        Arrays.fill(occupied, 0, m >>> 6, 0L);
        chunksUsed = 0;
        chunkFree = NIL;
        listed = 0;
    }

    /**
     * Rebuilds the bucket lists from the slot records when stale ids (left by cancels and earlier moves) are
     * more than half the live population (or an eighth of the slots): O(slots) once per that many stale ids.
     */
    private void compactIfDue() {
        final int live = wheelCount();
        if (listed - live > (Math.max(live, slotsUsed >> 2) >> 1) + COMPACT_SLACK) {
            resetLists(buckets);
            final int[] r = rec;
            for (int s = 0; s < slotsUsed; s++) {
                final int state = r[s * STRIDE + STATE];
                if (state >= 0) {
                    append(s, state & mask);
                }
            }
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
                cur = far.minKey() >> widthBits; // jump: the wheel is empty, it starts at the earliest far entry
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

    /**
     * The absolute number of the first occupied bucket at or after {@code from} (within the wheel,
     * {@code cur <= from}), or {@link #NONE} if there is none.
     */
    private long nextOccupied(final long from) {
        final long left = buckets - (from - cur); // buckets of the wheel at or after from
        if (left <= 0) {
            return NONE;
        }
        final int start = (int) (from & mask);
        final long[] occ = occupied;
        final int wordMask = (buckets >>> 6) - 1;
        int w = start >>> 6;
        long bits = occ[w] & (-1L << start);
        long seen = 64 - (start & 63); // buckets covered by the words looked at so far
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

    /**
     * Moves the next occupied buckets (up to LANES of them) into the (empty) near heap and the cursor past
     * them. Each list is a run of ids, so the records' cache misses do not wait for one another. A list id
     * counts only if its slot's state still names this bucket (stale ids of cancelled or moved entries, and
     * second ids of an entry listed twice, do not). Entries that were pushed back while in a bucket (their
     * own bucket is at or after the new cursor) go on to their own bucket or the far heap.
     */
    private void drainNext() {
        final int[] lane = lanes;
        final int[] tags = laneTags;
        int k = 0;
        long b = nextOccupied(cur);
        if (b == NONE) {
            throw new IllegalStateException("timer queue corrupted: " + wheelCount() + " wheel entries, no occupied bucket");
        }
        do {
            final int phys = (int) (b & mask);
            final int h = heads[phys];
            lane[k] = h >>> FILL_BITS;
            laneFill[k] = h & FILL_MASK;
            tags[k++] = (int) b & TAG_MASK;
            heads[phys] = NIL;
            occupied[phys >>> 6] &= ~(1L << phys);
            cur = b + 1;
        } while (k < LANES && (b = nextOccupied(cur)) != NONE);
        for (int j = 0; j < k; j++) {
            final int tag = tags[j];
            int c = lane[j];
            int n = laneFill[j];
            while (c != NIL) {
                final int base = c * CHUNK;
                for (int x = 0; x < n; x++) {
                    final int s = chunks[base + CHUNK_IDS + x];
                    final int i = s * STRIDE;
                    if (rec[i + STATE] == tag) {
                        sortIn(s, deadlineAt(rec, i), false);
                    }
                }
                listed -= n;
                final int next = chunks[base + CHUNK_NEXT];
                chunks[base + CHUNK_NEXT] = chunkFree;
                chunkFree = c;
                c = next;
                n = CHUNK_CAP;
            }
        }
        near.heapify(pos);
    }

    /**
     * Puts an entry into its zone: into the near heap unordered (the caller heapifies it), into its bucket,
     * or into the far heap, in heap order or, with {@code farUnordered}, unordered too (the caller heapifies).
     */
    private void sortIn(final int s, final long d, final boolean farUnordered) {
        final long b = d >> widthBits;
        if (b < cur) {
            rec[s * STRIDE + STATE] = IN_NEAR;
            near.append(s, d, pos);
        } else if (b - cur < buckets) {
            enlist(s, b);
        } else {
            rec[s * STRIDE + STATE] = IN_FAR;
            if (farUnordered) {
                far.append(s, d, pos);
            } else {
                far.push(s, d, pos);
            }
        }
    }

    /** Moves far entries that now fall inside the wheel into their buckets. */
    private void refill() {
        while (far.size() > 0) {
            final long b = far.minKey() >> widthBits;
            if (b - cur >= buckets) {
                return;
            }
            final int slot = far.minSlot();
            far.removeRoot(pos);
            enlist(slot, b);
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
        final int[] r = rec;
        for (int s = 0; s < slotsUsed; s++) {
            final int i = s * STRIDE;
            if (r[i + STATE] > FREE_TOP) {
                r[i + STATE] = IN_NEAR;
                near.append(s, deadlineAt(r, i), pos);
            }
        }
        near.heapify(pos);
        cur = HEAP_MODE;
        // The wheel's arrays stay for the next time the population grows (no allocation then).
        resetLists(buckets);
        buckets = 0;
        mask = 0;
        growAt = spill;
        shrinkAt = -1;
        sinceRebuild = 0;
    }

    /**
     * Re-chooses the geometry and puts every entry into its zone.
     *
     * @param retune true: choose the width and the cursor from the live deadlines (the population left heap
     *        mode, or the geometry stopped fitting); false (the population outgrew the buckets): split each
     *        bucket, keeping the cursor and the wheel's span
     */
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
            k = Integer.numberOfTrailingZeros(buckets); // the bucket count still fits: keep it
        } else if (buckets == 0 && heads.length > 1 << k) {
            // Leaving heap mode with the arrays of a larger past population (a queue that is filled and
            // drained again and again): use them, up to 16 times the buckets needed now, so that growing
            // back does not split the buckets again and again.
            k = Math.min(Integer.numberOfTrailingZeros(heads.length), k + 4);
        }
        if (retune || cur == HEAP_MODE) {
            estimate(k);
        } else {
            // Same span, 2^(k - k0) times the buckets: no estimate, so a few outliers scheduled just now
            // (the entries that made the population grow) cannot move the wheel away from the bulk.
            final int w = Math.max(MIN_WIDTH_BITS, widthBits - (k - Integer.numberOfTrailingZeros(buckets)));
            cur = cur << (widthBits - w); // the horizon cur << widthBits, in the new width (w >= 1: no overflow)
            widthBits = w;
        }
        relinkAll(k);
        growAt = k >= MAX_BUCKET_BITS ? Integer.MAX_VALUE : (int) Math.min(Integer.MAX_VALUE, 2L * (1 << k) * target);
        shrinkAt = spill / 4;
    }

    /**
     * Chooses widthBits and cur for 2^k buckets from a sample of the live deadlines: the wheel spans 4/3 of
     * the range between the sample's 1/8 and 7/8 quantiles (all of a uniform range), from the earliest
     * deadline, or, if the earliest deadlines lie so far before the bulk that the wheel could not reach its
     * 7/8 quantile from them (a few entries scheduled long before the rest), from the start of the bulk;
     * those few go to the near heap.
     */
    private void estimate(final int k) {
        final int[] r = rec;
        final long[] sample = this.sample;
        final int stride = Math.max(1, size / SAMPLE);
        int c = 0;
        int seen = 0;
        long lo = Long.MAX_VALUE;
        for (int s = 0; s < slotsUsed; s++) {
            final int i = s * STRIDE;
            if (r[i + STATE] > FREE_TOP) {
                final long d = deadlineAt(r, i);
                lo = Math.min(lo, d);
                if (seen++ % stride == 0 && c < SAMPLE) {
                    sample[c++] = d;
                }
            }
        }
        sort(sample, c);
        final long q7 = sample[c - 1 - c / 8];
        final long spread = q7 - sample[c / 8]; // unsigned
        long needed = spread + Long.divideUnsigned(spread, 3);
        if (Long.compareUnsigned(needed, spread) < 0) {
            needed = -1L; // overflow: the whole long range
        }
        final int bits = needed == 0 ? 0 : 64 - Long.numberOfLeadingZeros(needed - 1);
        final int w = Math.max(MIN_WIDTH_BITS, Math.min(MAX_WIDTH_BITS, bits - k));
        final long window = k + w >= 63 ? Long.MAX_VALUE : 1L << (k + w);
        int first = 0;
        while (first < c / 8 && Long.compareUnsigned(q7 - sample[first], window) >= 0) {
            first++; // an outlier: the wheel could not reach the 7/8 quantile from it
        }
        if (first > 0) {
            // the exact start of the bulk: the earliest deadline at most half a wheel before its first sample
            final long from = Long.compareUnsigned(sample[first] - Long.MIN_VALUE, window / 2) < 0
                    ? Long.MIN_VALUE : sample[first] - window / 2;
            lo = Long.MAX_VALUE;
            for (int s = 0; s < slotsUsed; s++) {
                final int i = s * STRIDE;
                if (r[i + STATE] > FREE_TOP) {
                    final long d = deadlineAt(r, i);
                    if (d >= from && d < lo) {
                        lo = d;
                    }
                }
            }
        }
        widthBits = w;
        cur = lo >> w;
    }

    /** Puts every live entry into its zone for 2^k buckets at the current widthBits and cur. */
    private void relinkAll(final int k) {
        final int m = 1 << k;
        if (heads.length < m) {
            heads = new int[m];
            occupied = new long[m >>> 6];
        }
        // Arrays larger than m (from a bigger population) are reused: only the first m buckets count.
        resetLists(m);
        buckets = m;
        mask = m - 1;
        near.clear();
        far.clear();
        final int[] r = rec;
        for (int s = 0; s < slotsUsed; s++) {
            final int i = s * STRIDE;
            if (r[i + STATE] > FREE_TOP) {
                sortIn(s, deadlineAt(r, i), true);
            }
        }
        near.heapify(pos);
        far.heapify(pos);
    }

    /** Sorts a[0, n) ascending (heapsort: in place, no allocation). */
    private static void sort(final long[] a, final int n) {
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftSample(a, i, n);
        }
        for (int end = n - 1; end > 0; end--) {
            final long t = a[0];
            a[0] = a[end];
            a[end] = t;
            siftSample(a, 0, end);
        }
    }

    private static void siftSample(final long[] a, int i, final int n) {
        final long v = a[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) {
                break;
            }
            if (c + 1 < n && a[c + 1] > a[c]) {
                c++;
            }
            if (a[c] <= v) {
                break;
            }
            a[i] = a[c];
            i = c;
        }
        a[i] = v;
    }
}
