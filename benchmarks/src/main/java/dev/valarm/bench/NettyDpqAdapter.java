package dev.valarm.bench;

import io.netty.util.internal.DefaultPriorityQueue;
import io.netty.util.internal.PriorityQueueNode;
import java.util.Comparator;

/**
 * Netty's {@code DefaultPriorityQueue}: a binary heap of objects that keep their own heap index, so cancel
 * ({@code removeTyped}) and reschedule ({@code priorityChanged}, in place) are O(log n), with no lock and,
 * entries being reused, no allocation. The "same algorithm as the executor's queue, objects instead of
 * primitive arrays" control. Not thread-safe.
 */
final class NettyDpqAdapter implements TimerAdapter {
    private static final class Node implements PriorityQueueNode {
        final int slot;
        long deadline;
        int index = INDEX_NOT_IN_QUEUE;

        Node(final int slot) {
            this.slot = slot;
        }

        @Override
        public int priorityQueueIndex(final DefaultPriorityQueue<?> queue) {
            return index;
        }

        @Override
        public void priorityQueueIndex(final DefaultPriorityQueue<?> queue, final int i) {
            index = i;
        }
    }

    private static final Comparator<Node> BY_DEADLINE = (a, b) -> Long.compare(a.deadline, b.deadline);

    private final DefaultPriorityQueue<Node> queue;
    private final Node[] nodes;
    private final Slots slots;

    NettyDpqAdapter(final int capacity) {
        queue = new DefaultPriorityQueue<>(BY_DEADLINE, Math.max(1, capacity));
        nodes = new Node[capacity];
        for (int i = 0; i < capacity; i++) {
            nodes[i] = new Node(i);
        }
        slots = new Slots(capacity);
    }

    @Override
    public long schedule(final long deadline) {
        final Node n = nodes[slots.take()];
        n.deadline = deadline;
        queue.offer(n);
        return n.slot;
    }

    @Override
    public boolean cancel(final long handle) {
        final Node n = nodes[(int) handle];
        if (!queue.removeTyped(n)) {
            return false;
        }
        slots.give(n.slot);
        return true;
    }

    @Override
    public long reschedule(final long handle, final long deadline) {
        final Node n = nodes[(int) handle];
        n.deadline = deadline;
        queue.priorityChanged(n);
        return handle;
    }

    @Override
    public long hold(final long delta) {
        final Node n = queue.peek();
        final long now = n.deadline;
        n.deadline = now + delta;
        queue.priorityChanged(n);
        return now;
    }

    @Override
    public int expire(final long now, final int limit) {
        int k = 0;
        Node n;
        while (k < limit && (n = queue.peek()) != null && n.deadline <= now) {
            queue.poll();
            slots.give(n.slot);
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
        queue.clearIgnoringIndexes();
    }
}
