package dev.valarm.bench;

import dev.valarm.impl.internal.TimerHeap;

/**
 * Our heap, through its public operations only ({@code schedule}, {@code cancel}, {@code reschedule},
 * {@code peekDeadline} + {@code replaceTop}, {@code pollExpired}). With {@code rounded} every deadline is
 * rounded up to the wheels' tick first, which compares the heap with the wheels at equal precision.
 * Not thread-safe.
 */
final class HeapAdapter implements TimerAdapter {
    private static final TimerHeap.ExpiryHandler DRAIN = (handle, deadline, payload) -> true;

    private final TimerHeap heap;
    private final boolean rounded;

    HeapAdapter(final int arity, final int capacity, final boolean rounded) {
        this.heap = new TimerHeap(arity, Math.max(1, capacity));
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
