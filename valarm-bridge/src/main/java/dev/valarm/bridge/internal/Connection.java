package dev.valarm.bridge.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kernel connection: an open {@code /dev/fuse} (one mount) or {@code /dev/cuse} (one character
 * device) after its INIT handshake, the handler that answers its requests and the files its callers have
 * open. The serving loop reads requests from it and writes most replies; other threads write only the
 * replies of WAITs answered later, through {@link #writeFromAnyThread}, which never touches the fd once
 * {@link #close} began (so a reply can never land on a reused fd number).
 *
 * <p>A connection can also be adopted: built from a live, already initialised fd and its negotiated
 * minor (the kernel sends INIT once per connection), which is what a successor process needs.
 *
 * <p>Thread-safety: {@link #writeFromAnyThread} is thread-safe; everything else belongs to the serving
 * loop (or to the thread that set the connection up before handing it to the loop).
 */
public final class Connection {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

    /** Which kernel side this connection is. */
    public enum Kind {
        /** {@code /dev/fuse}: a mounted file system; restricted ioctls. */
        FUSE,
        /** {@code /dev/cuse}: a character device; unrestricted ioctls. */
        CUSE
    }

    private final Native nat = Native.get();
    private final int fd;
    private final Kind kind;
    private final String description;
    private final int protocolMinor;
    private final OpenFiles files = new OpenFiles();
    private final AtomicInteger writers = new AtomicInteger();
    private volatile boolean closing;
    private volatile boolean relinquished;
    private boolean closed;
    private Handler handler;
    private StateHook hook = StateHook.NONE;
    private long id = -1;
    private int kernelMinor;
    private int index = -1;

    /**
     * A connection whose handshake is done.
     *
     * @param fd the connection fd (non-blocking, close-on-exec)
     * @param kind FUSE or CUSE
     * @param description for logs, such as {@code "FUSE /run/valarm/c1"}
     * @param protocolMinor the negotiated protocol minor
     */
    public Connection(final int fd, final Kind kind, final String description, final int protocolMinor) {
        this.fd = fd;
        this.kind = kind;
        this.description = description;
        this.protocolMinor = protocolMinor;
        this.kernelMinor = protocolMinor;
    }

    /** Answers the requests of one connection. Called on the serving loop only. */
    public interface Handler {
        /**
         * Answers one request (or parks it, for a WAIT). Must not throw for a bad request: the loop
         * answers EIO for anything that escapes and logs it as a bug.
         *
         * @param connection the connection
         * @param request the request, valid until this method returns
         * @param reply the loop's reply buffer
         */
        void onRequest(Connection connection, Request request, Reply reply);

        /**
         * The connection is going away (stop, close, or the kernel ended it): answer what is pending,
         * close every handle, remove nodes and mounts. Called once, on the loop, after the fd is out of
         * the loop's poll set and before it is closed.
         *
         * @param connection the connection
         * @param byKernel true if the kernel ended the connection (unmounted or aborted from outside)
         */
        void onClose(Connection connection, boolean byKernel);

        /** Called after the fd is closed (e.g. to unmount). */
        void afterClose();
    }

    /**
     * The fd.
     *
     * @return the fd
     */
    public int fd() {
        return fd;
    }

    /**
     * FUSE or CUSE.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * The negotiated protocol minor.
     *
     * @return the minor
     */
    public int protocolMinor() {
        return protocolMinor;
    }

    /**
     * The open files of this connection.
     *
     * @return the table
     */
    public OpenFiles files() {
        return files;
    }

    /**
     * The handler.
     *
     * @return the handler
     */
    public Handler handler() {
        return handler;
    }

    /**
     * Sets the handler (before the loop sees the connection).
     *
     * @param h the handler
     */
    public void handler(final Handler h) {
        this.handler = h;
    }

    /**
     * The durability hook (default {@link StateHook#NONE}).
     *
     * @return the hook
     */
    public StateHook hook() {
        return hook;
    }

    /**
     * Sets the durability hook (before the loop sees the connection).
     *
     * @param h the hook, not null
     */
    public void hook(final StateHook h) {
        this.hook = java.util.Objects.requireNonNull(h, "hook");
    }

    /**
     * The id a daemon gave this connection (stable across processes), or -1.
     *
     * @return the id
     */
    public long id() {
        return id;
    }

    /**
     * Sets the connection's id.
     *
     * @param id the id
     */
    public void id(final long id) {
        this.id = id;
    }

    /**
     * The protocol minor the kernel offered in INIT (7.40 and later can re-send requests a dead server had
     * read: {@code FUSE_NOTIFY_RESEND}).
     *
     * @return the kernel's minor
     */
    public int kernelMinor() {
        return kernelMinor;
    }

    /**
     * Records the kernel's offered minor.
     *
     * @param minor the minor from INIT
     */
    public void kernelMinor(final int minor) {
        this.kernelMinor = minor;
    }

    /**
     * Hands the connection over: from now on this process writes nothing to it (late WAIT answers are
     * dropped; the successor answers them from its journal, or this process does, from the same journal, if
     * the hand-over does not happen) and {@link #close} leaves the fd to the kernel's own cleanup when
     * the process exits. The kernel connection lives on in the successor's copy of the fd.
     */
    public void relinquish() {
        relinquished = true;
    }

    /** Undoes {@link #relinquish} (a hand-over that did not happen). */
    public void unrelinquish() {
        relinquished = false;
    }

    /**
     * Whether {@link #relinquish} was called.
     *
     * @return true once handed over
     */
    public boolean isRelinquished() {
        return relinquished;
    }

    int index() {
        return index;
    }

    void index(final int i) {
        this.index = i;
    }

    /**
     * Writes one reply from the loop thread.
     *
     * @param reply the reply buffer
     * @param length the total length (header included)
     * @return true if the kernel took it
     */
    public boolean write(final Reply reply, final int length) {
        if (relinquished) {
            return false;
        }
        final long n = nat.libc().write(fd, reply.pointer(), length);
        if (n == length) {
            return true;
        }
        logWriteFailure(reply, n < 0 ? nat.errno() : 0);
        return false;
    }

    /**
     * Writes one reply from any thread, unless the connection is closing (then the kernel answers the
     * request itself when the fd closes).
     *
     * @param reply the reply buffer
     * @param length the total length
     * @return true if the kernel took it
     */
    public boolean writeFromAnyThread(final Reply reply, final int length) {
        writers.incrementAndGet();
        try {
            if (closing || relinquished) {
                return false;
            }
            return write(reply, length);
        } finally {
            writers.decrementAndGet();
        }
    }

    private void logWriteFailure(final Reply reply, final int errno) {
        final long unique = reply.buffer().getLong(FuseAbi.OUT_UNIQUE);
        if (errno == 2) {
            // ENOENT: the request is no longer waiting (its caller was killed, or the connection aborted).
            LOG.debug("{}: reply to request {} not taken: the request is gone", description, unique);
        } else if (errno == Native.ENODEV || errno == Native.ECONNABORTED) {
            LOG.debug("{}: reply to request {} not taken: connection ended", description, unique);
        } else {
            LOG.error("{}: the kernel refused the reply to request {} ({}): a bug in the bridge", description,
                    unique, errno == 0 ? "short write" : nat.describe(errno));
        }
    }

    /**
     * Closes the fd once no other thread is writing (waits at most two seconds for them). The kernel then
     * aborts every request still unanswered (its caller gets an error) and, for CUSE, removes the device.
     */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (writers.get() != 0 && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(100_000);
        }
        if (writers.get() != 0) {
            LOG.error("{}: a reply writer did not finish within 2 s; closing fd {} anyway", description, fd);
        }
        if (nat.libc().close(fd) != 0) {
            LOG.warn("{}: close(fd {}) failed: {}", description, fd, nat.describe(nat.errno()));
        }
    }

    /**
     * Whether {@link #close} began.
     *
     * @return true once closing
     */
    public boolean isClosing() {
        return closing;
    }

    @Override
    public String toString() {
        return description;
    }
}
