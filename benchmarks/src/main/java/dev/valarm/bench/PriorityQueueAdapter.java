package dev.valarm.bench;

import java.util.PriorityQueue;

/**
 * {@code java.util.PriorityQueue} of entry objects. Entries are allocated once per slot and reused, so the
 * steady state allocates nothing (the JDK queue's best case); cancel is {@code remove(Object)}, a linear
 * scan, so replace and reschedule are O(n) and only run at capped sizes. Not thread-safe.
 */
final class PriorityQueueAdapter implements TimerAdapter {
    private static final class Node implements Comparable<Node> {
        final int slot;
        long deadline;
        boolean live;

        Node(final int slot) {
            this.slot = slot;
        }

        @Override
        public int compareTo(final Node o) {
            return Long.compare(deadline, o.deadline);
        }
    }

    private final PriorityQueue<Node> queue;
    private final Node[] nodes;
    private final Slots slots;

    PriorityQueueAdapter(final int capacity) {
        queue = new PriorityQueue<>(Math.max(1, capacity));
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
        n.live = true;
        queue.offer(n);
        return n.slot;
    }

    @Override
    public boolean cancel(final long handle) {
        final Node n = nodes[(int) handle];
        if (!n.live) {
            return false;
        }
        queue.remove(n);
        n.live = false;
        slots.give(n.slot);
        return true;
    }

    @Override
    public long reschedule(final long handle, final long deadline) {
        final Node n = nodes[(int) handle];
        queue.remove(n);
        n.deadline = deadline;
        queue.offer(n);
        return handle;
    }

    @Override
    public long hold(final long delta) {
        final Node n = queue.poll();
        final long now = n.deadline;
        n.deadline = now + delta;
        queue.offer(n);
        return now;
    }

    @Override
    public int expire(final long now, final int limit) {
        int k = 0;
        Node n;
        while (k < limit && (n = queue.peek()) != null && n.deadline <= now) {
            queue.poll();
            n.live = false;
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
        queue.clear();
    }
}
