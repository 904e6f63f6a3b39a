package dev.valarm.bench;

/**
 * The handle table of the object-based peers: a stack of free slot numbers. The slot number is the
 * handle. Not thread-safe.
 */
final class Slots {
    private final int[] free;
    private int top;

    Slots(final int capacity) {
        free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            free[i] = capacity - 1 - i;
        }
        top = capacity;
    }

    int take() {
        if (top == 0) {
            throw new IllegalStateException("adapter full: " + free.length + " entries");
        }
        return free[--top];
    }

    void give(final int slot) {
        free[top++] = slot;
    }

    int capacity() {
        return free.length;
    }
}
