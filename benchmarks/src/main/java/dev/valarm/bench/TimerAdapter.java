package dev.valarm.bench;

/**
 * The common face of every timer structure measured (our heap and its peers), so that each workload is
 * written once. Not thread-safe: a benchmark thread owns its adapter.
 *
 * <p>Handles are {@code long}s: our heap's own generation-tagged handles, Agrona's timer ids, or an
 * index into the adapter's table of entry objects for the object-based peers (that table is part of the
 * fair cost of a handle-based API, caveat 7 of the anchors). Deadlines are virtual nanoseconds: nothing
 * here reads a clock, except the two adapters whose peer only has a real-clock API (the executor's public
 * API and Netty's HashedWheelTimer), which turn a deadline into a delay (see {@link Workloads#delayOf}).
 */
public interface TimerAdapter extends AutoCloseable {

    /**
     * Adds an entry.
     *
     * @param deadline virtual nanoseconds
     * @return its handle
     */
    long schedule(long deadline);

    /**
     * Removes a live entry.
     *
     * @param handle a live handle
     * @return true if it was removed
     */
    boolean cancel(long handle);

    /**
     * Moves a live entry to a new deadline: in place where the peer can, otherwise cancel + schedule.
     *
     * @param handle a live handle
     * @param deadline the new deadline
     * @return the entry's handle afterwards (a new one where the peer cannot move in place)
     */
    long reschedule(long handle, long deadline);

    /**
     * The hold model's step: removes the earliest entry (for a wheel, the first one due in the earliest
     * non-empty tick, advancing the wheel's time to it), and inserts it again at that time plus
     * {@code delta}.
     *
     * @param delta how far after its firing time the entry comes back, at least 0
     * @return the virtual time at which the entry fired
     */
    long hold(long delta);

    /**
     * Removes every entry due at {@code now} (deadline at or before it), up to {@code limit}.
     *
     * @param now virtual nanoseconds, never less than a previous call's
     * @param limit the most entries to remove
     * @return the number removed
     */
    int expire(long now, int limit);

    /**
     * The number of live entries.
     *
     * @return the size
     */
    int size();

    /** Releases threads and memory. */
    @Override
    void close();
}
