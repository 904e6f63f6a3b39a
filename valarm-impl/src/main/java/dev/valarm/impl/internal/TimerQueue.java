package dev.valarm.impl.internal;

/**
 * The timer structure's contract: pending {@code long} deadlines with {@code int} payloads, named by
 * generation-tagged {@code long} handles, in exact order. Implementations are not thread-safe: confined
 * to one thread or guarded by the owner's lock (the device's).
 *
 * <p>Handles are {@code (generation << 32) | slot}. A slot's generation is bumped when its entry leaves
 * the structure, so a stale handle is a harmless no-op for {@link #cancel}/{@link #reschedule} and
 * {@code false} for {@link #contains}. No handle is ever {@link #NULL_HANDLE}. The structure never reads a
 * clock: {@code now} is an argument. Deadlines are compared as signed {@code long} values (natural order),
 * so any value from {@code Long.MIN_VALUE} to {@code Long.MAX_VALUE} is allowed; every entry is reported due
 * at or after its deadline, never rounded. No operation allocates except growth, which
 * {@link #ensureCapacity} can do ahead of time.
 *
 * <p>Two implementations: {@link TimerHeap} (an indexed d-ary heap) and {@link HybridTimerQueue} (an exact
 * near heap in front of a bucket wheel and a far heap). The device picks one at one construction site.
 */
public interface TimerQueue {
    /** A value no live or stale handle ever has. */
    long NULL_HANDLE = 0L;

    /** Receives due entries from {@link #pollExpired}. */
    @FunctionalInterface
    interface ExpiryHandler {
        /**
         * Called for each due entry, earliest first, before it is removed. Must not modify the structure.
         *
         * @param handle the entry's handle
         * @param deadline its deadline
         * @param payload its payload
         * @return true to remove the entry and go on, false to keep it and stop polling
         */
        boolean onExpiry(long handle, long deadline, int payload);
    }

    /**
     * The number of entries.
     *
     * @return the size
     */
    int size();

    /**
     * Whether the structure is empty.
     *
     * @return true if there are no entries
     */
    boolean isEmpty();

    /**
     * The number of entries that fit without growing the per-entry arrays.
     *
     * @return the capacity
     */
    int capacity();

    /**
     * Grows the per-entry arrays so that {@code capacity} entries fit without further allocation.
     *
     * @param capacity the number of entries, at most the implementation's {@code MAX_CAPACITY}
     * @throws IllegalArgumentException if {@code capacity} exceeds the implementation's {@code MAX_CAPACITY}
     */
    void ensureCapacity(int capacity);

    /**
     * Adds an entry.
     *
     * @param deadline any value; equal deadlines come out in no particular order
     * @param payload any value
     * @return the entry's handle, never {@link #NULL_HANDLE}
     * @throws IllegalStateException if the structure holds its implementation's {@code MAX_CAPACITY} entries
     */
    long schedule(long deadline, int payload);

    /**
     * Removes an entry.
     *
     * @param handle a handle from {@link #schedule}
     * @return true if it was live and is now removed, false for a stale or foreign handle
     */
    boolean cancel(long handle);

    /**
     * Moves an entry to a new deadline in place, keeping its handle.
     *
     * @param handle a handle from {@link #schedule}
     * @param deadline the new deadline
     * @return true if it was live, false (and nothing changed) for a stale handle
     */
    boolean reschedule(long handle, long deadline);

    /**
     * Whether a handle names a live entry.
     *
     * @param handle any value
     * @return true if live
     */
    boolean contains(long handle);

    /**
     * The deadline of a live entry.
     *
     * @param handle a live handle
     * @return its deadline
     * @throws IllegalArgumentException if the handle is not live
     */
    long deadline(long handle);

    /**
     * The payload of a live entry.
     *
     * @param handle a live handle
     * @return its payload
     * @throws IllegalArgumentException if the handle is not live
     */
    int payload(long handle);

    /**
     * The earliest deadline.
     *
     * @return the earliest deadline, or {@code Long.MAX_VALUE} if empty (check {@link #isEmpty()})
     */
    long peekDeadline();

    /**
     * The handle of an entry with the earliest deadline.
     *
     * @return its handle, or {@link #NULL_HANDLE} if empty
     */
    long peekHandle();

    /**
     * The payload of the entry {@link #peekHandle} names.
     *
     * @return its payload
     * @throws IllegalStateException if empty
     */
    int peekPayload();

    /**
     * Removes and reports due entries (deadline at or before {@code now}), earliest first.
     *
     * @param now the current time on the structure's clock
     * @param handler told about each entry before it is removed
     * @param limit the most entries to remove in this call
     * @return the number removed
     */
    int pollExpired(long now, ExpiryHandler handler, int limit);

    /**
     * Moves the earliest entry (the one {@link #peekHandle} names) to a new deadline (fire and
     * reschedule), keeping its handle.
     *
     * @param deadline the new deadline
     * @return the entry's handle
     * @throws IllegalStateException if empty
     */
    long replaceTop(long deadline);

    /** Removes every entry; every outstanding handle becomes stale. */
    void clear();
}
