package dev.valarm.bridge.internal;

import dev.valarm.bridge.BridgeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving loop: one thread that waits on every connection of a bridge at once ({@code epoll}), reads
 * one request at a time from whichever is ready (non-blocking, so a request is never half-consumed), hands
 * it to the connection's handler and writes the answer. A WAIT is parked in the request table and does
 * not hold the loop. Nothing a handler throws escapes: the request is answered with EIO and the error is
 * logged as a bug.
 *
 * <p>Control operations (attach, detach, park, stop) are queued to the loop and run between two requests,
 * so the loop can be parked at a request boundary (nothing read and left unanswered), which a successor
 * process taking a live connection over needs.
 *
 * <p>Thread-safety: the control methods are thread-safe and block until the loop has done them; the
 * handlers run on the loop thread only.
 */
public final class Session implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    /** The epoll data of the wake eventfd. */
    private static final long WAKE_ID = -1L;
    /** Ready events taken per epoll_wait. */
    private static final int MAX_EVENTS = 64;
    /** Read buffer: any request (an ioctl carries at most 16383 argument bytes; max_write is 4096). */
    public static final int READ_BUFFER_SIZE = 64 * 1024 + 4096;
    /** Reply buffer of the loop (READDIR pages are the largest replies). */
    public static final int REPLY_BUFFER_SIZE = 16 * 1024;
    /** How long a control operation may wait for the loop. */
    private static final long CONTROL_TIMEOUT_SECONDS = 30;

    private final Native nat = Native.get();
    private final int epfd;
    private final int wakeFd;
    private final ByteBuffer wakeBuf = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
    private final Pointer wakePtr = nat.pointer(wakeBuf);
    private final ByteBuffer events;
    private final Pointer eventsPtr;
    private final ByteBuffer ctl = ByteBuffer.allocateDirect(16).order(ByteOrder.LITTLE_ENDIAN);
    private final Pointer ctlPtr = nat.pointer(ctl);
    private final ByteBuffer readBuf;
    private final Pointer readPtr;
    private final Request request;
    private final InFlight inFlight;
    private final Reply reply = new Reply(REPLY_BUFFER_SIZE);
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile Connection[] connections = new Connection[0];
    private volatile boolean stopped;
    private boolean parked;
    private long requestsServed;

    /**
     * Where the loop reads requests, and what it tells about the one it is serving: a daemon keeps this in a
     * file mapping that outlives the process, so that a successor finds the request a crashed predecessor had
     * read and not finished (on kernels that cannot re-send it).
     */
    public interface InFlight {
        /**
         * The read buffer: direct, little-endian, at least {@link #READ_BUFFER_SIZE} bytes, position 0.
         *
         * @return the buffer
         */
        ByteBuffer buffer();

        /**
         * The loop is about to read a request of {@code c} into the buffer.
         *
         * @param c the connection
         */
        void reading(Connection c);

        /**
         * The request {@code unique} in the buffer is finished: answered, or parked in the request table.
         *
         * @param unique its id
         */
        void done(long unique);
    }

    /** A plain buffer, nothing recorded. */
    private static final class Volatile implements InFlight {
        private final ByteBuffer buf = ByteBuffer.allocateDirect(READ_BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);

        @Override
        public ByteBuffer buffer() {
            return buf;
        }

        @Override
        public void reading(final Connection c) {
        }

        @Override
        public void done(final long unique) {
        }
    }

    /**
     * Starts a loop.
     *
     * @param threadName the loop thread's name
     * @throws BridgeException if epoll or eventfd cannot be created
     */
    public Session(final String threadName) {
        this(threadName, new Volatile());
    }

    /**
     * Starts a loop that reads into {@code inFlight}'s buffer and reports each request to it.
     *
     * @param threadName the loop thread's name
     * @param inFlight the read buffer and its observer
     * @throws BridgeException if epoll or eventfd cannot be created
     * @throws IllegalArgumentException if the buffer is not direct or too small
     */
    public Session(final String threadName, final InFlight inFlight) {
        this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
        final ByteBuffer b = inFlight.buffer();
        if (!b.isDirect() || b.capacity() < READ_BUFFER_SIZE) {
            throw new IllegalArgumentException("the read buffer must be direct with at least " + READ_BUFFER_SIZE
                    + " bytes: " + b);
        }
        readBuf = b.order(ByteOrder.LITTLE_ENDIAN);
        readPtr = nat.pointer(readBuf);
        request = new Request(readBuf);
        epfd = nat.libc().epoll_create1(Native.EPOLL_CLOEXEC);
        if (epfd < 0) {
            throw new BridgeException(nat.errno(), "start the serving loop", "epoll_create1 failed: "
                    + nat.describe(nat.errno()));
        }
        wakeFd = nat.libc().eventfd(0, Native.EFD_FLAGS);
        if (wakeFd < 0) {
            final int e = nat.errno();
            nat.libc().close(epfd);
            throw new BridgeException(e, "start the serving loop", "eventfd failed: " + nat.describe(e));
        }
        events = ByteBuffer.allocateDirect(MAX_EVENTS * nat.epollEventSize()).order(ByteOrder.LITTLE_ENDIAN);
        eventsPtr = nat.pointer(events);
        epollAdd(wakeFd, WAKE_ID);
        thread = new Thread(this::loop, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    private void epollAdd(final int fd, final long id) {
        ctl.putInt(0, Native.EPOLLIN);
        ctl.putLong(nat.epollDataOffset(), id);
        if (nat.libc().epoll_ctl(epfd, Native.EPOLL_CTL_ADD, fd, ctlPtr) != 0) {
            final int e = nat.errno();
            throw new BridgeException(e, "serve fd " + fd, "epoll_ctl(ADD) failed: " + nat.describe(e));
        }
    }

    /**
     * Hands a connection (after its handshake) to the loop.
     *
     * @param c the connection, with its handler set
     * @throws BridgeException if the loop is stopped or cannot watch the fd
     */
    public void attach(final Connection c) {
        Objects.requireNonNull(c.handler(), "handler");
        call("attach " + c, () -> {
            Connection[] cur = connections;
            int slot = -1;
            for (int i = 0; i < cur.length; i++) {
                if (cur[i] == null) {
                    slot = i;
                    break;
                }
            }
            if (slot < 0) {
                slot = cur.length;
                cur = Arrays.copyOf(cur, cur.length + 1);
            } else {
                cur = cur.clone();
            }
            epollAdd(c.fd(), slot);
            c.index(slot);
            cur[slot] = c;
            connections = cur;
            return null;
        });
    }

    /**
     * Takes a connection out of the loop and closes it: the handler answers what is pending and closes
     * the open files, the fd is closed (the kernel aborts anything left and, for CUSE, removes the node),
     * then the handler's {@code afterClose} runs (unmount). Idempotent.
     *
     * @param c the connection
     */
    public void detach(final Connection c) {
        if (stopped && !thread.isAlive()) {
            return;
        }
        call("detach " + c, () -> {
            teardown(c, false);
            return null;
        });
    }

    /**
     * Parks the loop at a request boundary: returns once the loop has stopped reading (every request read
     * so far is answered or in the request table). Control operations still run while parked.
     */
    public void park() {
        call("park", () -> {
            parked = true;
            return null;
        });
    }

    /**
     * Hands every connection over to a successor process: the loop parks at a request boundary and this
     * process stops writing to any connection (see {@link Connection#relinquish}); nothing is answered,
     * closed, unmounted or removed. What is pending stays for the successor, which holds its own copies of
     * the fds. Afterwards only {@link #unrelinquishAll} (then {@link #resume}) or the end of the process make
     * sense.
     */
    public void relinquishAll() {
        call("relinquish", () -> {
            parked = true;
            for (final Connection c : connections()) {
                c.relinquish();
            }
            return null;
        });
    }

    /**
     * Takes the connections back after a hand-over that did not happen (the successor failed before it
     * served anything): writes are allowed again, and the loop stays parked until {@link #resume}, so that
     * answers dropped meanwhile can be written again before the loop answers anything new.
     */
    public void unrelinquishAll() {
        call("take back", () -> {
            for (final Connection c : connections()) {
                c.unrelinquish();
            }
            return null;
        });
    }

    /**
     * Serves the request that is already in the read buffer (left there by a predecessor process that read
     * it and died before finishing it), as if it had just been read from {@code c}. Runs on the loop.
     *
     * @param c an attached connection
     * @return the request's id, or 0 if the buffer holds no well-formed request
     */
    public long serveBuffered(final Connection c) {
        return call("serve the buffered request", () -> {
            final int len = readBuf.getInt(FuseAbi.IN_LEN);
            if (len < FuseAbi.IN_HEADER_SIZE || len > READ_BUFFER_SIZE) {
                return 0L;
            }
            request.reset(len);
            final long unique = request.unique();
            handle(c);
            return unique;
        });
    }

    /** Lets a parked loop read again. */
    public void resume() {
        call("resume", () -> {
            parked = false;
            return null;
        });
    }

    /**
     * The connections served now.
     *
     * @return a snapshot
     */
    public List<Connection> connections() {
        final List<Connection> out = new ArrayList<>();
        for (final Connection c : connections) {
            if (c != null) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * The number of requests the loop has answered or parked (for tests and logs; approximate when read
     * from another thread).
     *
     * @return the count
     */
    public long requestsServed() {
        return requestsServed;
    }

    /** Stops: detaches every connection (answering every pending request), then ends the loop thread. */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        try {
            call("stop", () -> {
                for (final Connection c : connections()) {
                    teardown(c, false);
                }
                stopped = true;
                return null;
            });
        } finally {
            stopped = true;
            wake();
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            nat.libc().close(wakeFd);
            nat.libc().close(epfd);
        }
    }

    private <T> T call(final String what, final Supplier<T> body) {
        if (Thread.currentThread() == thread) {
            return body.get();
        }
        if (stopped) {
            throw new BridgeException(dev.valarm.Errno.ENODEV, what, "the bridge is stopped");
        }
        final CompletableFuture<T> done = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                done.complete(body.get());
            } catch (final RuntimeException | Error e) {
                done.completeExceptionally(e);
            }
        });
        wake();
        try {
            return done.get(CONTROL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BridgeException(dev.valarm.Errno.EINTR, what, "interrupted while waiting for the serving loop");
        } catch (final TimeoutException e) {
            throw new BridgeException(dev.valarm.Errno.ETIMEDOUT, what, "the serving loop did not answer within "
                    + CONTROL_TIMEOUT_SECONDS + " s");
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new BridgeException(dev.valarm.Errno.EIO, what, e.getCause().toString(), e.getCause());
        }
    }

    private synchronized void wake() {
        wakeBuf.putLong(0, 1L);
        nat.libc().write(wakeFd, wakePtr, 8);
    }

    private void teardown(final Connection c, final boolean byKernel) {
        final Connection[] cur = connections;
        final int i = c.index();
        if (i < 0 || i >= cur.length || cur[i] != c) {
            return; // already gone
        }
        nat.libc().epoll_ctl(epfd, Native.EPOLL_CTL_DEL, c.fd(), null);
        final Connection[] next = cur.clone();
        next[i] = null;
        connections = next;
        c.index(-1);
        try {
            c.handler().onClose(c, byKernel);
        } catch (final RuntimeException e) {
            LOG.error("{}: closing failed: {}", c, e.toString(), e);
        }
        c.close();
        try {
            c.handler().afterClose();
        } catch (final RuntimeException e) {
            LOG.error("{}: cleanup after close failed: {}", c, e.toString(), e);
        }
    }

    private void loop() {
        LOG.debug("serving loop started");
        final int evSize = nat.epollEventSize();
        final int dataOff = nat.epollDataOffset();
        while (!stopped) {
            Runnable t;
            while ((t = tasks.poll()) != null) {
                t.run();
            }
            if (stopped) {
                break;
            }
            final int n = nat.libc().epoll_wait(epfd, eventsPtr, parked ? 1 : MAX_EVENTS, -1);
            if (n < 0) {
                final int e = nat.errno();
                if (e != 4) { // EINTR
                    LOG.error("epoll_wait failed: {}; retrying", nat.describe(e));
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
                continue;
            }
            for (int k = 0; k < n; k++) {
                final long id = events.getLong(k * evSize + dataOff);
                if (id == WAKE_ID) {
                    nat.libc().read(wakeFd, wakePtr, 8);
                    continue;
                }
                if (parked) {
                    continue; // a parked loop reads nothing; the event stays level-triggered
                }
                final Connection[] cur = connections;
                if (id >= 0 && id < cur.length && cur[(int) id] != null) {
                    serveOne(cur[(int) id]);
                }
            }
            if (parked) {
                // Only the wake eventfd may end a park: wait on it alone, not on the connections.
                waitForWakeWhileParked();
            }
        }
        LOG.debug("serving loop ended after {} requests", requestsServed);
    }

    private void waitForWakeWhileParked() {
        final ByteBuffer pfd = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        pfd.putInt(0, wakeFd);
        pfd.putShort(4, (short) Native.EPOLLIN);
        final Pointer p = nat.pointer(pfd);
        while (parked && !stopped && tasks.isEmpty()) {
            nat.libc().poll(p, 1, -1);
            nat.libc().read(wakeFd, wakePtr, 8);
            Runnable t;
            while ((t = tasks.poll()) != null) {
                t.run();
            }
        }
    }

    private void serveOne(final Connection c) {
        inFlight.reading(c);
        final long n = nat.libc().read(c.fd(), readPtr, READ_BUFFER_SIZE);
        if (n < 0) {
            final int e = nat.errno();
            if (e == Native.EAGAIN || e == 4 || e == 2) {
                return; // nothing (another wake), interrupted, or a request the kernel withdrew
            }
            if (e == Native.ENODEV || e == Native.ECONNABORTED || e == Native.ENOTCONN) {
                LOG.warn("{}: the kernel ended the connection ({})", c, nat.describe(e));
            } else {
                LOG.error("{}: read failed ({}); closing the connection", c, nat.describe(e));
            }
            teardown(c, true);
            return;
        }
        if (n == 0) {
            LOG.warn("{}: the connection reached end of file; closing it", c);
            teardown(c, true);
            return;
        }
        if (n < FuseAbi.IN_HEADER_SIZE) {
            LOG.error("{}: short request of {} bytes ignored", c, n);
            return;
        }
        request.reset((int) n);
        handle(c);
    }

    /** Answers (or parks) the request in the buffer; never throws. */
    private void handle(final Connection c) {
        requestsServed++;
        if ((request.unique() & FuseAbi.UNIQUE_RESEND) != 0 && replayed(c)) {
            inFlight.done(request.unique());
            return;
        }
        try {
            c.handler().onRequest(c, request, reply);
        } catch (final RuntimeException | Error e) {
            LOG.error("{}: {} request {} failed: {} (answered EIO)", c, FuseAbi.opcodeName(request.opcode()),
                    request.unique(), e.toString(), e);
            if (!request.answered() && expectsReply(request.opcode())) {
                final int len = reply.header(request.unique(), -dev.valarm.Errno.EIO, 0);
                c.write(reply, len);
            }
            request.markAnswered();
        }
        if (!request.answered() && expectsReply(request.opcode())) {
            LOG.error("{}: {} request {} left unanswered by its handler; answered EIO", c,
                    FuseAbi.opcodeName(request.opcode()), request.unique());
            final int len = reply.header(request.unique(), -dev.valarm.Errno.EIO, 0);
            c.write(reply, len);
        }
        inFlight.done(request.unique());
    }

    /** A re-sent request whose answer the predecessor recorded: answers it with that record. */
    private boolean replayed(final Connection c) {
        final int len;
        try {
            len = c.hook().replay(c, request.unique(), reply);
        } catch (final RuntimeException e) {
            LOG.error("{}: looking up re-sent request {} failed: {}; serving it anew", c, request.unique(), e.toString(), e);
            return false;
        }
        if (len < 0) {
            return false;
        }
        LOG.info("{}: re-sent {} request {} answered with its recorded reply", c, FuseAbi.opcodeName(request.opcode()),
                Long.toUnsignedString(request.unique() & ~FuseAbi.UNIQUE_RESEND));
        c.write(reply, len);
        return true;
    }

    private static boolean expectsReply(final int opcode) {
        return opcode != FuseAbi.FORGET && opcode != FuseAbi.BATCH_FORGET && opcode != FuseAbi.INTERRUPT;
    }
}
