package dev.valarm.bridge.internal;

import static dev.valarm.bridge.internal.FuseAbi.OUT_HEADER_SIZE;

import dev.valarm.AlarmHandle;
import dev.valarm.Errno;
import dev.valarm.OpenMode;
import dev.valarm.ValarmException;
import dev.valarm.ValarmInstance;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file operations both transports share, answered as the misc driver {@code alarm-dev} answers
 * them: {@code open} makes one {@link AlarmHandle} ({@code O_RDONLY} read-only, anything else
 * read-write), {@code release} closes it (an owner's release cancels the instance's alarms), ioctls go
 * through {@link IoctlRequests}. The driver has no read, write, fsync or poll: read and write fail with
 * EINVAL and fsync with EINVAL (what the VFS gives for a file without those operations), poll answers
 * {@code DEFAULT_POLLMASK} (readable and writable at once, what {@code vfs_poll} answers), flush succeeds.
 * Subclasses add the transport's own requests (the FUSE namespace, or nothing for CUSE).
 *
 * <p>Thread-safety: confined to the serving loop.
 */
public abstract class DeviceRequests implements Connection.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceRequests.class);

    /** Where WAITs wait. */
    protected final PendingWaits waits;
    private final IoctlRequests ioctls;

    /**
     * Creates the handler.
     *
     * @param waits the bridge's request table
     * @param unrestricted true for CUSE's unrestricted ioctls
     */
    protected DeviceRequests(final PendingWaits waits, final boolean unrestricted) {
        this.waits = waits;
        this.ioctls = new IoctlRequests(waits, unrestricted);
    }

    @Override
    public final void onRequest(final Connection c, final Request req, final Reply reply) {
        switch (req.opcode()) {
            case FuseAbi.IOCTL:
                ioctls.ioctl(c, req, reply);
                return;
            case FuseAbi.INTERRUPT:
                req.markAnswered(); // no reply to an interrupt itself
                waits.interrupt(c, req.int64(FuseAbi.INTERRUPT_IN_UNIQUE));
                return;
            case FuseAbi.READ:
            case FuseAbi.WRITE:
            case FuseAbi.FSYNC:
                error(c, req, reply, Errno.EINVAL);
                return;
            case FuseAbi.FLUSH:
                error(c, req, reply, 0);
                return;
            case FuseAbi.POLL:
                final int len = reply.header(req.unique(), 0, FuseAbi.POLL_OUT_SIZE);
                reply.buffer().putLong(OUT_HEADER_SIZE, 0L);
                reply.buffer().putInt(OUT_HEADER_SIZE + FuseAbi.POLL_OUT_REVENTS, FuseAbi.DEFAULT_POLLMASK);
                req.markAnswered();
                c.write(reply, len);
                return;
            case FuseAbi.RELEASE:
                release(c, req, reply);
                return;
            case FuseAbi.FORGET:
            case FuseAbi.BATCH_FORGET:
                req.markAnswered(); // no reply
                return;
            default:
                other(c, req, reply);
        }
    }

    /**
     * A request of the transport's own (OPEN, the FUSE namespace, ...).
     *
     * @param c the connection
     * @param req the request
     * @param reply the reply buffer
     */
    protected abstract void other(Connection c, Request req, Reply reply);

    /**
     * Opens a handle on {@code instance} with the access mode of {@code fuse_open_in.flags} and replies
     * its {@code fh}, with direct I/O and no seeking.
     *
     * @param c the connection
     * @param req the OPEN request
     * @param reply the reply buffer
     * @param instance the instance the node serves
     */
    protected final void open(final Connection c, final Request req, final Reply reply, final ValarmInstance instance) {
        final int flags = req.int32(FuseAbi.OPEN_IN_FLAGS);
        final OpenMode mode = (flags & FuseAbi.O_ACCMODE) == 0 ? OpenMode.READ_ONLY : OpenMode.READ_WRITE;
        final AlarmHandle h;
        try {
            h = instance.open(mode);
        } catch (final ValarmException e) {
            error(c, req, reply, e.errno());
            return;
        }
        final long fh = c.files().add(h);
        final int len = reply.header(req.unique(), 0, FuseAbi.OPEN_OUT_SIZE);
        reply.buffer().putLong(OUT_HEADER_SIZE + FuseAbi.OPEN_OUT_FH, fh);
        reply.buffer().putInt(OUT_HEADER_SIZE + FuseAbi.OPEN_OUT_OPEN_FLAGS,
                FuseAbi.FOPEN_DIRECT_IO | FuseAbi.FOPEN_NONSEEKABLE);
        reply.buffer().putInt(OUT_HEADER_SIZE + 12, 0);
        req.markAnswered();
        c.hook().opened(c, req.unique(), fh, h, reply, len);
        if (!c.write(reply, len)) {
            // The opener is gone (killed during open): no RELEASE will come for this fh.
            c.files().remove(fh);
            h.close();
        }
    }

    private void release(final Connection c, final Request req, final Reply reply) {
        final long fh = req.int64(FuseAbi.RELEASE_IN_FH);
        final AlarmHandle h = c.files().remove(fh);
        if (h == null) {
            error(c, req, reply, 0);
            return;
        }
        h.close();
        final int len = reply.header(req.unique(), 0, 0);
        req.markAnswered();
        c.hook().released(c, req.unique(), fh, h, reply, len);
        c.write(reply, len);
    }

    /**
     * Replies a bare header: success or a positive errno.
     *
     * @param c the connection
     * @param req the request
     * @param reply the reply buffer
     * @param errno 0 for success, else the positive errno
     */
    protected static void error(final Connection c, final Request req, final Reply reply, final int errno) {
        final int len = reply.header(req.unique(), -errno, 0);
        req.markAnswered();
        c.write(reply, len);
    }

    @Override
    public void onClose(final Connection c, final boolean byKernel) {
        final int answered = waits.answerAll(c, Errno.ENODEV, TimeUnit.SECONDS.toNanos(1));
        int closed = 0;
        for (final AlarmHandle h : c.files().removeAll()) {
            h.close();
            closed++;
        }
        LOG.info("{}: {}; answered {} blocked WAIT(s) with ENODEV, closed {} open file(s)", c,
                byKernel ? "ended by the kernel (unmounted or aborted from outside)" : "stopping", answered, closed);
    }
}
