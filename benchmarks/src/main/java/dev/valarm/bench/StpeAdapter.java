package dev.valarm.bench;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@code ScheduledThreadPoolExecutor} (one worker, {@code removeOnCancel = true}) through its public API:
 * {@code schedule} allocates a task and reads {@code nanoTime}, {@code cancel} removes the task from the
 * queue by its heap index, both under the queue's lock, and the worker is signalled when the head
 * changes. The virtual deadline becomes a real delay of at least two minutes
 * ({@link Workloads#delayOf}), so nothing fires. Runs replace and reschedule only. Not thread-safe.
 */
final class StpeAdapter implements TimerAdapter {
    private static final Runnable TASK = () -> { };

    private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
    private final ScheduledFuture<?>[] futures;
    private final Slots slots;

    StpeAdapter(final int capacity) {
        executor.setRemoveOnCancelPolicy(true);
        futures = new ScheduledFuture<?>[capacity];
        slots = new Slots(capacity);
    }

    @Override
    public long schedule(final long deadline) {
        final int slot = slots.take();
        futures[slot] = executor.schedule(TASK, Workloads.delayOf(deadline), TimeUnit.NANOSECONDS);
        return slot;
    }

    @Override
    public boolean cancel(final long handle) {
        final int slot = (int) handle;
        final boolean cancelled = futures[slot].cancel(false);
        futures[slot] = null;
        slots.give(slot);
        return cancelled;
    }

    @Override
    public long reschedule(final long handle, final long deadline) {
        final int slot = (int) handle;
        futures[slot].cancel(false);
        futures[slot] = executor.schedule(TASK, Workloads.delayOf(deadline), TimeUnit.NANOSECONDS);
        return handle;
    }

    @Override
    public long hold(final long delta) {
        throw new UnsupportedOperationException("stpe: real clock only; use stpeQueue");
    }

    @Override
    public int expire(final long now, final int limit) {
        throw new UnsupportedOperationException("stpe: real clock only; use stpeQueue");
    }

    @Override
    public int size() {
        return executor.getQueue().size();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
