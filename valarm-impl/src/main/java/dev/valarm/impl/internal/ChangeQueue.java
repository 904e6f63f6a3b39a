package dev.valarm.impl.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The bounded multi-producer, single-consumer queue through which callers hand heap changes to the
 * device's dispatcher (see the multiplexer's design in {@link Device}). An element is an {@link Instance}
 * whose {@link Instance#queuedTypes} has bits set: the consumer applies each such type's current driver
 * state to the heaps, so a change is never carried by value and a stale element cannot re-arm anything.
 * An instance is in the queue at most once (its caller offers it only when its queued bits go from zero to
 * non-zero), so the queue never holds more elements than instances.
 *
 * <p>Producers claim a slot with a CAS on the tail and publish the element with a release store; the
 * consumer reads slots in order with acquire loads, clears them, and publishes its head with a release
 * store, which is what gives the slot back to producers. A producer that finds the queue full gets
 * {@code false} and must not drop its change (the device then applies it under the heap lock itself).
 * Nothing allocates after construction.
 *
 * <p>Thread-safety: {@link #offer} from any thread; {@link #drain} by one consumer at a time (the holder
 * of the device's heap lock); {@link #isEmpty} from any thread.
 */
final class ChangeQueue {
    /** Receives drained elements. */
    @FunctionalInterface
    interface Sink {
        /**
         * One element.
         *
         * @param in the instance whose queued types to apply
         */
        void accept(Instance in);
    }

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Instance[].class);
    private static final VarHandle TAIL;
    private static final VarHandle HEAD;

    static {
        try {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            TAIL = l.findVarHandle(ChangeQueue.class, "tail", long.class);
            HEAD = l.findVarHandle(ChangeQueue.class, "head", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Spins for a slot whose producer claimed it but has not stored yet, before leaving it for later. */
    private static final int SLOT_SPINS = 256;

    private final Instance[] slots;
    private final int mask;

    // The consumer's and the producers' indexes, apart so that they do not share a cache line.
    private long p01, p02, p03, p04, p05, p06, p07;
    /** Next slot to read; written by the consumer only (release), read by producers. */
    private volatile long head;
    private long p11, p12, p13, p14, p15, p16, p17;
    /** Next slot to claim; CAS by producers. */
    private volatile long tail;
    private long p21, p22, p23, p24, p25, p26, p27;

    /**
     * Creates an empty queue.
     *
     * @param capacity the most elements, a power of two, at least 2
     * @throws IllegalArgumentException if it is not
     */
    ChangeQueue(final int capacity) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two of at least 2: " + capacity);
        }
        this.slots = new Instance[capacity];
        this.mask = capacity - 1;
    }

    /** The capacity. */
    int capacity() {
        return slots.length;
    }

    /**
     * Adds {@code in} unless the queue is full.
     *
     * @param in not null
     * @return false if the queue was full (nothing was added)
     */
    boolean offer(final Instance in) {
        long t;
        do {
            t = tail;
            if (t - head >= slots.length) {
                return false;
            }
        } while (!TAIL.compareAndSet(this, t, t + 1));
        SLOTS.setRelease(slots, (int) t & mask, in);
        return true;
    }

    /**
     * Whether nothing is queued (a claimed slot whose element is still being stored counts as queued).
     *
     * @return whether the queue is empty
     */
    boolean isEmpty() {
        return tail == head;
    }

    /**
     * Hands every element queued now to {@code sink}, in order. A slot claimed but not yet stored after
     * a short spin (its producer was descheduled between claiming and storing) ends the drain; it and
     * what follows stay queued for the next one.
     *
     * @param sink the receiver
     * @return how many elements were drained
     */
    int drain(final Sink sink) {
        final long h0 = head;
        final long end = tail;
        long h = h0;
        try {
            while (h < end) {
                final int i = (int) h & mask;
                Instance in = (Instance) SLOTS.getAcquire(slots, i);
                for (int spin = 0; in == null && spin < SLOT_SPINS; spin++) {
                    Thread.onSpinWait();
                    in = (Instance) SLOTS.getAcquire(slots, i);
                }
                if (in == null) {
                    break;
                }
                slots[i] = null;
                h++;
                sink.accept(in);
            }
        } finally {
            if (h != h0) {
                HEAD.setRelease(this, h);
            }
        }
        return (int) (h - h0);
    }
}
