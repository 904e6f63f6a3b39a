package dev.valarm.bridge.internal;

import static dev.valarm.bridge.internal.FuseAbi.IOCTL_OUT_SIZE;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.ValarmException;
import dev.valarm.impl.abi.AlarmIoctlCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request table: every WAIT (or SET_AND_WAIT) a process is blocked in, as a preallocated slot holding
 * the request id, the connection, the handle and the handle's asynchronous wait. A slot is answered
 * exactly once, by whichever comes first:
 * <ul>
 * <li>the wait completes (an event, or the handle/instance/device closed): the mask or the errno, from the
 * device's callback thread;</li>
 * <li>a {@code FUSE_INTERRUPT} for its id (a signal to the caller): {@code -ERESTARTSYS} in the ioctl
 * result, so {@code SA_RESTART} callers are restarted and the others get EINTR, as from the driver's
 * {@code wait_event_interruptible}; the alarm stays armed and any event goes back to the instance;</li>
 * <li>the connection or the bridge stops: {@code -ENODEV}.</li>
 * </ul>
 * The race between them is decided by the wait's own future: an interrupt or a stop answers only if it
 * cancels the future, and a completion answers only if the future was not cancelled.
 *
 * <p>No thread waits per blocked caller. {@link #snapshot()} lists what is pending (id, connection, handle,
 * request number), which a successor process needs to take a live connection over.
 *
 * <p>Thread-safety: thread-safe; slots are taken on the serving loop and freed from any thread.
 */
public final class PendingWaits {
    private static final Logger LOG = LoggerFactory.getLogger(PendingWaits.class);
    /** Bytes of a WAIT reply: header plus {@code fuse_ioctl_out}. */
    private static final int WAIT_REPLY_SIZE = FuseAbi.OUT_HEADER_SIZE + IOCTL_OUT_SIZE;

    private Slot[] slots;
    private int[] free;
    private int freeCount;
    private int pending;

    /**
     * A table with {@code capacity} preallocated slots (it grows when more are blocked at once).
     *
     * @param capacity the initial number of slots
     */
    public PendingWaits(final int capacity) {
        slots = new Slot[capacity];
        free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            slots[i] = new Slot(i);
            free[freeCount++] = capacity - 1 - i;
        }
    }

    /**
     * One pending WAIT: what a successor needs to know about it.
     *
     * @param unique the request id
     * @param connection the connection it came from
     * @param fh the open file's handle
     * @param handle the handle
     * @param cmd the request number
     */
    public record Pending(long unique, Connection connection, long fh, AlarmHandle handle, int cmd) {
    }

    /**
     * Parks a WAIT that passed the codec's checks: starts the handle's asynchronous wait and answers the
     * request when it completes (at once if events are already pending).
     *
     * @param connection the connection the request came from
     * @param unique the request id
     * @param fh the open file's handle (for the snapshot and the durability hook)
     * @param handle the handle
     * @param cmd the request number (for the snapshot)
     */
    public void park(final Connection connection, final long unique, final long fh, final AlarmHandle handle,
            final int cmd) {
        final Slot s = take();
        final int gen;
        synchronized (s) {
            s.connection = connection;
            s.unique = unique;
            s.fh = fh;
            s.handle = handle;
            s.cmd = cmd;
            gen = s.generation;
        }
        connection.hook().parked(connection, unique, fh, handle, cmd);
        final CompletableFuture<AlarmEvents> f;
        try {
            f = handle.awaitAsync();
        } catch (final ValarmException e) {
            s.answer(gen, -e.errno());
            return;
        } catch (final RuntimeException e) {
            LOG.error("{}: awaitAsync failed for request {}: {}", connection, unique, e.toString(), e);
            s.answer(gen, -dev.valarm.Errno.EIO);
            return;
        }
        synchronized (s) {
            if (s.generation == gen) {
                s.future = f;
            }
        }
        f.whenComplete((events, failure) -> s.completed(gen, events, failure));
    }

    /**
     * A signal reached the caller of request {@code unique} ({@code FUSE_INTERRUPT}): answers it with
     * {@code -ERESTARTSYS} if its wait is still pending; otherwise the completion answers it (with events).
     * An interrupt for an id not pending (already answered) is ignored, as the protocol allows.
     *
     * @param connection the connection of the interrupt
     * @param unique the id of the interrupted request
     * @return true if this answered the request
     */
    public boolean interrupt(final Connection connection, final long unique) {
        final Slot s = find(connection, unique);
        return s != null && s.cancelAndAnswer(-FuseAbi.ERESTARTSYS);
    }

    /**
     * Answers every pending WAIT of a connection (or of all, if null) with {@code errno} and waits (at most
     * {@code timeoutNanos}) for those whose wait was completing meanwhile to be answered by their
     * completion.
     *
     * @param connection the connection, or null for every connection
     * @param errno the positive errno to answer with
     * @param timeoutNanos how long to wait for racing completions
     * @return the number answered here
     */
    public int answerAll(final Connection connection, final int errno, final long timeoutNanos) {
        int n = 0;
        for (final Slot s : slotsSnapshot()) {
            if (s.belongsTo(connection) && s.cancelAndAnswer(-errno)) {
                n++;
            }
        }
        final long deadline = System.nanoTime() + timeoutNanos;
        while (countPending(connection) > 0 && System.nanoTime() - deadline < 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        final int left = countPending(connection);
        if (left > 0) {
            LOG.warn("{} WAIT(s) still unanswered after stop; the kernel aborts them when the connection closes", left);
        }
        return n;
    }

    /**
     * What is pending now.
     *
     * @return a snapshot, one entry per pending WAIT
     */
    public List<Pending> snapshot() {
        final List<Pending> out = new ArrayList<>();
        for (final Slot s : slotsSnapshot()) {
            synchronized (s) {
                if (s.connection != null) {
                    out.add(new Pending(s.unique, s.connection, s.fh, s.handle, s.cmd));
                }
            }
        }
        return out;
    }

    /**
     * The number of pending WAITs.
     *
     * @return the count
     */
    public synchronized int size() {
        return pending;
    }

    private int countPending(final Connection connection) {
        int n = 0;
        for (final Slot s : slotsSnapshot()) {
            synchronized (s) {
                if (s.connection != null && s.belongsTo(connection)) {
                    n++;
                }
            }
        }
        return n;
    }

    private synchronized Slot[] slotsSnapshot() {
        return slots.clone();
    }

    private Slot find(final Connection connection, final long unique) {
        for (final Slot s : slotsSnapshot()) {
            synchronized (s) {
                if (s.connection == connection && s.unique == unique) {
                    return s;
                }
            }
        }
        return null;
    }

    private synchronized Slot take() {
        if (freeCount == 0) {
            final int old = slots.length;
            slots = Arrays.copyOf(slots, old * 2);
            free = Arrays.copyOf(free, old * 2);
            for (int i = old; i < old * 2; i++) {
                slots[i] = new Slot(i);
            }
            for (int i = old * 2 - 1; i >= old; i--) {
                free[freeCount++] = i;
            }
        }
        pending++;
        return slots[free[--freeCount]];
    }

    private synchronized void giveBack(final Slot s) {
        pending--;
        free[freeCount++] = s.index;
    }

    /** One preallocated slot, with its own reply buffer. */
    private final class Slot {
        final int index;
        final Reply reply = new Reply(WAIT_REPLY_SIZE);
        int generation;
        Connection connection;
        long unique;
        long fh;
        AlarmHandle handle;
        int cmd;
        CompletableFuture<AlarmEvents> future;

        Slot(final int index) {
            this.index = index;
        }

        synchronized boolean belongsTo(final Connection c) {
            return connection != null && (c == null || connection == c);
        }

        /** The wait completed: answer unless an interrupt or a stop cancelled it (they answer). */
        void completed(final int gen, final AlarmEvents events, final Throwable failure) {
            if (failure instanceof CancellationException
                    || failure != null && failure.getCause() instanceof CancellationException) {
                return;
            }
            answer(gen, AlarmIoctlCodec.waitResult(events, failure));
        }

        /** Interrupt or stop: answer only if the wait is cancelled before it completes. */
        boolean cancelAndAnswer(final int result) {
            final int gen;
            synchronized (this) {
                if (connection == null || future == null) {
                    return false;
                }
                if (!future.cancel(false)) {
                    return false; // completing: its completion answers (with the events it took)
                }
                gen = generation;
            }
            return answer(gen, result);
        }

        /** Writes the ioctl reply and frees the slot, if it is still the request {@code gen}. */
        boolean answer(final int gen, final int result) {
            final Connection c;
            final long u;
            synchronized (this) {
                if (generation != gen || connection == null) {
                    return false;
                }
                c = connection;
                u = unique;
                final AlarmHandle h = handle;
                generation++;
                connection = null;
                handle = null;
                future = null;
                final int len = reply.header(u, 0, IOCTL_OUT_SIZE);
                reply.clearBody(IOCTL_OUT_SIZE);
                reply.buffer().putInt(FuseAbi.OUT_HEADER_SIZE + FuseAbi.IOCTL_OUT_RESULT, result);
                if (c.hook().answered(c, u, fh, h, reply, len)) {
                    c.writeFromAnyThread(reply, len);
                }
            }
            giveBack(this);
            return true;
        }
    }
}
