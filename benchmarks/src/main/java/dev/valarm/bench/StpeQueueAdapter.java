package dev.valarm.bench;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The executor's {@code DelayedWorkQueue} driven directly through {@code getQueue()}, with our own
 * {@code RunnableScheduledFuture} entries on a virtual clock: the JDK's indexed binary heap with its lock
 * on every operation, without the executor's task allocation, {@code nanoTime} or worker. No worker is
 * ever started (nothing is submitted to the executor). Entries are reused, so the steady state allocates
 * nothing. Only its own task class gets the O(log n) indexed removal, so cancel and reschedule here
 * would be linear scans: this adapter runs hold, burst, idle and build + drain; replace and reschedule
 * use the public API ({@link StpeAdapter}). Not thread-safe.
 */
final class StpeQueueAdapter implements TimerAdapter {
    private final class Entry implements RunnableScheduledFuture<Void> {
        final int slot;
        long deadline;

        Entry(final int slot) {
            this.slot = slot;
        }

        @Override
        public long getDelay(final TimeUnit unit) {
            return unit.convert(deadline - now, TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(final Delayed o) {
            return Long.compare(deadline, ((Entry) o).deadline);
        }

        @Override
        public boolean isPeriodic() {
            return false;
        }

        @Override
        public void run() {
            // never run: no worker drains this queue
        }

        @Override
        public boolean cancel(final boolean mayInterruptIfRunning) {
            return false;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public boolean isDone() {
            return false;
        }

        @Override
        public Void get() {
            return null;
        }

        @Override
        public Void get(final long timeout, final TimeUnit unit) {
            return null;
        }
    }

    private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
    private final BlockingQueue<Runnable> queue = executor.getQueue();
    private final Entry[] entries;
    private final Slots slots;
    private long now;

    StpeQueueAdapter(final int capacity) {
        executor.setRemoveOnCancelPolicy(true);
        entries = new Entry[capacity];
        for (int i = 0; i < capacity; i++) {
            entries[i] = new Entry(i);
        }
        slots = new Slots(capacity);
    }

    @Override
    public long schedule(final long deadline) {
        final Entry e = entries[slots.take()];
        e.deadline = deadline;
        queue.offer(e);
        return e.slot;
    }

    @Override
    public boolean cancel(final long handle) {
        final Entry e = entries[(int) handle];
        if (!queue.remove(e)) {
            return false;
        }
        slots.give(e.slot);
        return true;
    }

    @Override
    public long reschedule(final long handle, final long deadline) {
        final Entry e = entries[(int) handle];
        queue.remove(e);
        e.deadline = deadline;
        queue.offer(e);
        return handle;
    }

    @Override
    public long hold(final long delta) {
        final Entry head = (Entry) queue.peek();
        now = head.deadline;
        final Entry e = (Entry) queue.poll();
        e.deadline = now + delta;
        queue.offer(e);
        return now;
    }

    @Override
    public int expire(final long t, final int limit) {
        now = t;
        int k = 0;
        Entry e;
        while (k < limit && (e = (Entry) queue.poll()) != null) {
            slots.give(e.slot);
            k++;
        }
        return k;
    }

    @Override
    public int size() {
        return queue.size();
    }

    @Override
    public void close() {
        queue.clear();
        executor.shutdownNow();
    }
}
