package dev.valarm.daemon.internal.serve;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.OpenMode;
import dev.valarm.ValarmInstance;
import dev.valarm.bridge.internal.Connection;
import dev.valarm.bridge.internal.FuseAbi;
import dev.valarm.bridge.internal.Reply;
import dev.valarm.bridge.internal.StateHook;
import dev.valarm.daemon.internal.journal.Journal;
import dev.valarm.daemon.internal.journal.Record;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.spi.HostClocks;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's write-ahead rule on every connection: before a caller is told of a change (an open, a
 * release, an ioctl that changed or may have changed its instance, a WAIT's consumption of pending events),
 * the change and the reply are in the journal. While the daemon hands its connections over, WAIT answers
 * are held back (the successor answers them from the journal; if the hand-over does not happen they are
 * written then).
 *
 * <p>A journal that cannot be written ends the process at once: no caller is ever told of a change that is
 * not durable, and every request not yet answered stays in the kernel for a successor.
 *
 * <p>Thread-safety: thread-safe; records are made under the journal's lock.
 */
final class DurabilityHook implements StateHook {
    private static final Logger LOG = LoggerFactory.getLogger(DurabilityHook.class);
    /** The exit status when the journal fails. */
    static final int JOURNAL_FAILED = 70;

    private final Journal journal;
    private final HostClocks clocks;
    private final long[] img = new long[DriverAccess.IMAGE_LONGS];
    private final List<Held> held = new ArrayList<>();

    /** A WAIT answer held back during a hand-over. */
    private record Held(Connection connection, long unique, long fh, AlarmHandle handle, byte[] reply) {
    }

    DurabilityHook(final Journal journal, final HostClocks clocks) {
        this.journal = journal;
        this.clocks = clocks;
    }

    @Override
    public void opened(final Connection c, final long unique, final long fh, final AlarmHandle handle, final Reply reply,
            final int length) {
        commit(null, c, fh, new Record.File(c.id(), fh, handle.instance().minor(), handle.mode() == OpenMode.READ_WRITE),
                answer(c, unique, reply, length));
    }

    @Override
    public void released(final Connection c, final long unique, final long fh, final AlarmHandle handle,
            final Reply reply, final int length) {
        commit(handle, c, fh, new Record.FileGone(c.id(), fh), answer(c, unique, reply, length));
    }

    @Override
    public void changed(final Connection c, final long unique, final long fh, final AlarmHandle handle,
            final Reply reply, final int length) {
        Failpoints.pass("before-record");
        commit(handle, c, fh, answer(c, unique, reply, length), null);
        Failpoints.pass("after-record");
    }

    @Override
    public void parked(final Connection c, final long unique, final long fh, final AlarmHandle handle, final int cmd) {
        commit(handle, c, fh, new Record.Parked(c.id(), unique, fh, cmd), null);
    }

    @Override
    public boolean answered(final Connection c, final long unique, final long fh, final AlarmHandle handle,
            final Reply reply, final int length) {
        final long pos;
        synchronized (journal.lock()) {
            if (journal.isFrozen()) {
                held.add(new Held(c, unique, fh, handle, bytes(reply, length)));
                return false;
            }
            pos = append(handle, c, fh, answer(c, unique, reply, length), null);
        }
        durable(pos);
        return true;
    }

    @Override
    public int replay(final Connection c, final long unique, final Reply reply) {
        final Record.Answer a;
        synchronized (journal.lock()) {
            a = journal.state().answer(c.id(), unique & ~FuseAbi.UNIQUE_RESEND);
        }
        if (a == null) {
            return -1;
        }
        reply.buffer().put(0, a.reply());
        reply.buffer().putLong(FuseAbi.OUT_UNIQUE, unique);
        return a.reply().length;
    }

    /**
     * The WAIT answers held back while frozen, written now that the hand-over did not happen (the journal
     * is appendable again).
     */
    void releaseHeld() {
        final List<Held> h;
        synchronized (journal.lock()) {
            h = new ArrayList<>(held);
            held.clear();
        }
        for (final Held x : h) {
            final long pos;
            synchronized (journal.lock()) {
                pos = append(x.handle(), x.connection(), x.fh(), new Record.Answer(x.connection().id(), x.unique(),
                        x.reply()), null);
            }
            durable(pos);
            dev.valarm.bridge.internal.Channels.writeRecorded(x.connection().fd(), x.reply());
        }
        if (!h.isEmpty()) {
            LOG.info("hand-over abandoned: wrote {} WAIT answer(s) held back meanwhile", h.size());
        }
    }

    /** Forgets the held answers (the successor answers them). */
    void dropHeld() {
        synchronized (journal.lock()) {
            held.clear();
        }
    }

    private static byte[] bytes(final Reply reply, final int length) {
        final byte[] b = new byte[length];
        reply.buffer().get(0, b);
        return b;
    }

    private static Record.Answer answer(final Connection c, final long unique, final Reply reply, final int length) {
        return new Record.Answer(c.id(), unique, bytes(reply, length));
    }

    private void commit(final AlarmHandle stateOf, final Connection c, final long fh, final Record a, final Record b) {
        final long pos;
        synchronized (journal.lock()) {
            pos = append(stateOf, c, fh, a, b);
        }
        durable(pos);
    }

    /** Appends the instance's state (if {@code stateOf}) then {@code a} and {@code b}. Journal lock held. */
    private long append(final AlarmHandle stateOf, final Connection c, final long fh, final Record a, final Record b) {
        try {
            final Record.State s = stateOf == null ? null : state(stateOf, c, fh);
            if (s != null) {
                return b == null ? journal.append(s, a) : journal.append(s, a, b);
            }
            return b == null ? journal.append(a) : journal.append(a, b);
        } catch (final Journal.JournalException e) {
            throw fatal(e);
        }
    }

    private void durable(final long pos) {
        try {
            journal.awaitDurable(pos);
        } catch (final Journal.JournalException e) {
            throw fatal(e);
        }
    }

    /** Ends the process: a caller must never be told of a change that is not durable. */
    private static RuntimeException fatal(final Journal.JournalException e) {
        LOG.error("the journal cannot record a change ({}); stopping at once so that no caller is told of a change "
                + "that is not durable: a restarted daemon answers every pending request from the journal", e.getMessage(), e);
        Runtime.getRuntime().halt(JOURNAL_FAILED);
        return e;
    }

    /**
     * The instance's state now, with its owner (the handle that acted, if it owns the instance now; else the
     * one on record). Null if the instance was closed. Journal lock held.
     */
    Record.State state(final AlarmHandle h, final Connection c, final long fh) {
        final ValarmInstance in = h.instance();
        final AlarmHandle owner = DriverAccess.image(in, img);
        if (img[3] != 0) {
            return null;
        }
        final Record.State prev = journal.state().state(in.minor());
        final long oc;
        final long of;
        if (owner == null) {
            oc = Record.NONE;
            of = 0;
        } else if (owner == h) {
            oc = c.id();
            of = fh;
        } else if (prev != null) {
            oc = prev.ownerConnection();
            of = prev.ownerFh();
        } else {
            oc = Record.NONE;
            of = 0;
        }
        return stateRecord(in.minor(), oc, of);
    }

    /** The state record of an instance from the image just taken. Journal lock held. */
    private Record.State stateRecord(final int minor, final long ownerConnection, final long ownerFh) {
        final long[] times = new long[AlarmType.COUNT];
        final long[] windows = new long[AlarmType.COUNT];
        System.arraycopy(img, 4, times, 0, AlarmType.COUNT);
        System.arraycopy(img, 4 + AlarmType.COUNT, windows, 0, AlarmType.COUNT);
        return new Record.State(minor, (int) img[0], (int) img[1], img[2], times, windows, ownerConnection, ownerFh,
                realtimeMinusBoottime());
    }

    /**
     * The state record of an instance with a given owner (for records made outside a request: creation,
     * restore). Journal lock held.
     *
     * @return the record, or null if the instance is closed
     */
    Record.State state(final ValarmInstance in, final long ownerConnection, final long ownerFh) {
        DriverAccess.image(in, img);
        if (img[3] != 0) {
            return null;
        }
        return stateRecord(in.minor(), ownerConnection, ownerFh);
    }

    /** Host realtime minus boottime now: changes when the host clock is set. */
    long realtimeMinusBoottime() {
        return clocks.nanos(ClockBase.REALTIME) - clocks.nanos(ClockBase.BOOTTIME);
    }
}
