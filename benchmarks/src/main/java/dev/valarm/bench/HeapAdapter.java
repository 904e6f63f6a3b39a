package dev.valarm.bench;

import dev.valarm.impl.internal.TimerQueue;

/**
 * One of our timer structures ({@code TimerHeap} or {@code HybridTimerQueue}), through the public operations
 * of {@link TimerQueue} only ({@code schedule}, {@code cancel}, {@code reschedule}, {@code peekDeadline} +
 * {@code replaceTop}, {@code pollExpired}). With {@code rounded} every deadline is rounded up to the wheels'
 * tick first, which compares the structure with the wheels at equal precision. Not thread-safe.
 */
final class HeapAdapter implements TimerAdapter {
    private static final TimerQueue.ExpiryHandler DRAIN = (handle, deadline, payload) -> true;

    private final TimerQueue heap;
    private final boolean rounded;

    HeapAdapter(final TimerQueue queue, final boolean rounded) {
        this.heap = queue;
        this.rounded = rounded;
    }

    private long adjust(final long deadline) {
        return rounded ? Workloads.roundUp(deadline) : deadline;
    }

    @Override
    public long schedule(final long deadline) {
        return heap.schedule(adjust(deadline), 0);
    }

    @Override
    public boolean cancel(final long handle) {
        return heap.cancel(handle);
    }

    @Override
    public long reschedule(final long handle, final long deadline) {
        heap.reschedule(handle, adjust(deadline));
        return handle;
    }

    @Override
    public long hold(final long delta) {
        final long now = heap.peekDeadline();
        heap.replaceTop(adjust(now + delta));
        return now;
    }

    @Override
    public int expire(final long now, final int limit) {
        return heap.pollExpired(now, DRAIN, limit);
    }

    @Override
    public int size() {
        return heap.size();
    }

    @Override
    public void close() {
        heap.clear();
    }
}
