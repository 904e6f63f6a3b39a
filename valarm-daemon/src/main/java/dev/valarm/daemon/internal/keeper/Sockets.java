package dev.valarm.daemon.internal.keeper;

import dev.valarm.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Unix-domain sockets that carry file descriptors: a {@code SOCK_SEQPACKET} socket (one message per send, so
 * a text line and the fd that goes with it arrive together), {@code sendmsg}/{@code recvmsg} with one
 * {@code SCM_RIGHTS} control message, and the {@code sockaddr_un}, {@code msghdr}, {@code iovec} and
 * {@code cmsghdr} layouts of x86-64 and aarch64 Linux.
 *
 * <p>Thread-safety: the static binding is thread-safe; each call uses its own buffers.
 */
public final class Sockets {
    /** {@code AF_UNIX}. */
    public static final int AF_UNIX = 1;
    /** {@code SOCK_SEQPACKET}. */
    public static final int SOCK_SEQPACKET = 5;
    /** {@code SOCK_DGRAM}. */
    public static final int SOCK_DGRAM = 2;
    /** {@code SOCK_CLOEXEC}. */
    public static final int SOCK_CLOEXEC = 02000000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int MSG_CTRUNC = 0x8;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_SNDTIMEO = 21;
    /** The largest message. */
    public static final int MAX_MESSAGE = 4096;
    private static final int MSGHDR = 56;
    private static final int CMSG_SPACE_ONE_FD = 24;

    private static final SocketLib LIB = LibraryLoader.create(SocketLib.class).failImmediately().load("c");
    private static final Runtime RT = Runtime.getRuntime(LIB);

    private Sockets() {
    }

    /**
     * The bound functions.
     *
     * @return libc's socket calls
     */
    public static SocketLib lib() {
        return LIB;
    }

    /**
     * The errno of this thread's last call.
     *
     * @return errno
     */
    public static int errno() {
        return LastError.getLastError(RT);
    }

    /**
     * An errno as a person reads it.
     *
     * @param e the errno
     * @return e.g. {@code "ENOENT (No such file or directory)"}
     */
    public static String describe(final int e) {
        return Errno.name(e) + " (" + LIB.strerror(e) + ")";
    }

    /**
     * A direct little-endian buffer and its pointer.
     *
     * @param size the size
     * @return the buffer
     */
    public static ByteBuffer direct(final int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The pointer to a direct buffer's memory.
     *
     * @param b a direct buffer
     * @return its pointer
     */
    public static Pointer ptr(final ByteBuffer b) {
        return Pointer.wrap(RT, b);
    }

    /**
     * A {@code sockaddr_un} for a path (a leading {@code @} names the abstract namespace, as systemd's
     * {@code NOTIFY_SOCKET} does).
     *
     * @param path the socket path
     * @return the address buffer; its limit is the address length
     * @throws IllegalArgumentException if the path does not fit
     */
    public static ByteBuffer address(final String path) {
        final byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length > 107) {
            throw new IllegalArgumentException("a unix socket path must be shorter than 108 bytes: " + path);
        }
        final ByteBuffer a = direct(110);
        a.putShort(0, (short) AF_UNIX);
        a.put(2, p);
        if (p.length > 0 && p[0] == '@') {
            a.put(2, (byte) 0);
            a.limit(2 + p.length);
        } else {
            a.limit(2 + p.length + 1);
        }
        return a;
    }

    /**
     * Binds and listens on a new {@code SOCK_SEQPACKET} socket at {@code path} (a stale socket file is
     * replaced) with permission bits {@code mode}.
     *
     * @param path the path
     * @param mode the socket file's bits (0600)
     * @return the listening fd
     * @throws SocketException naming the path and errno
     */
    public static int listen(final Path path, final int mode) {
        final int fd = LIB.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new SocketException("socket(AF_UNIX) failed: " + describe(errno()), errno());
        }
        LIB.unlink(path.toString());
        final ByteBuffer a = address(path.toString());
        if (LIB.bind(fd, ptr(a), a.limit()) != 0 || LIB.chmod(path.toString(), mode) != 0 || LIB.listen(fd, 64) != 0) {
            final int e = errno();
            LIB.close(fd);
            throw new SocketException("cannot listen on " + path + ": " + describe(e), e);
        }
        return fd;
    }

    /**
     * Connects a new {@code SOCK_SEQPACKET} socket to {@code path}, with send and receive timeouts.
     *
     * @param path the path
     * @param timeoutMillis the timeout of each send and receive
     * @return the fd
     * @throws SocketException (ENOENT, ECONNREFUSED: nobody listens) naming the path and errno
     */
    public static int connect(final Path path, final int timeoutMillis) {
        final int fd = LIB.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new SocketException("socket(AF_UNIX) failed: " + describe(errno()), errno());
        }
        final ByteBuffer a = address(path.toString());
        if (LIB.connect(fd, ptr(a), a.limit()) != 0) {
            final int e = errno();
            LIB.close(fd);
            throw new SocketException("cannot connect to " + path + ": " + describe(e), e);
        }
        final ByteBuffer tv = direct(16);
        tv.putLong(0, timeoutMillis / 1000);
        tv.putLong(8, (timeoutMillis % 1000) * 1000L);
        LIB.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, ptr(tv), 16);
        LIB.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, ptr(tv), 16);
        return fd;
    }

    /**
     * Sends one message, with one fd attached if {@code passFd >= 0}.
     *
     * @param fd the socket
     * @param text the message
     * @param passFd the fd to pass, or -1
     * @throws SocketException if the send fails
     */
    public static void send(final int fd, final String text, final int passFd) {
        final byte[] t = text.getBytes(StandardCharsets.UTF_8);
        final ByteBuffer data = direct(Math.max(1, t.length));
        data.put(0, t);
        final ByteBuffer iov = direct(16);
        iov.putLong(0, ptr(data).address());
        iov.putLong(8, t.length);
        final ByteBuffer msg = direct(MSGHDR);
        msg.putLong(16, ptr(iov).address());
        msg.putLong(24, 1);
        final ByteBuffer ctl = direct(CMSG_SPACE_ONE_FD);
        if (passFd >= 0) {
            ctl.putLong(0, 20); // CMSG_LEN(sizeof(int))
            ctl.putInt(8, SOL_SOCKET);
            ctl.putInt(12, SCM_RIGHTS);
            ctl.putInt(16, passFd);
            msg.putLong(32, ptr(ctl).address());
            msg.putLong(40, CMSG_SPACE_ONE_FD);
        }
        final long n = LIB.sendmsg(fd, ptr(msg), MSG_NOSIGNAL);
        if (n != t.length) {
            final int e = n < 0 ? errno() : Errno.EIO;
            throw new SocketException("sendmsg failed: " + describe(e), e);
        }
    }

    /** One message received: its text and the fd that came with it (-1 if none). */
    public record Message(String text, int fd) {
    }

    /**
     * Receives one message and the fd that came with it (close-on-exec in this process).
     *
     * @param fd the socket
     * @return the message, or null at end of file
     * @throws SocketException if the receive fails or times out (EAGAIN)
     */
    public static Message receive(final int fd) {
        final ByteBuffer data = direct(MAX_MESSAGE);
        final ByteBuffer iov = direct(16);
        iov.putLong(0, ptr(data).address());
        iov.putLong(8, MAX_MESSAGE);
        final ByteBuffer ctl = direct(CMSG_SPACE_ONE_FD * 2);
        final ByteBuffer msg = direct(MSGHDR);
        msg.putLong(16, ptr(iov).address());
        msg.putLong(24, 1);
        msg.putLong(32, ptr(ctl).address());
        msg.putLong(40, ctl.capacity());
        final long n = LIB.recvmsg(fd, ptr(msg), MSG_CMSG_CLOEXEC);
        if (n < 0) {
            final int e = errno();
            throw new SocketException("recvmsg failed: " + describe(e), e);
        }
        final long ctlLen = msg.getLong(40);
        int got = -1;
        if (ctlLen >= 20 && ctl.getInt(8) == SOL_SOCKET && ctl.getInt(12) == SCM_RIGHTS) {
            got = ctl.getInt(16);
            final long cmsgLen = ctl.getLong(0);
            for (long off = 20; off + 4 <= cmsgLen; off += 4) { // more fds than expected: close the extra ones
                LIB.close(ctl.getInt((int) off));
            }
        }
        if ((msg.getInt(48) & MSG_CTRUNC) != 0) {
            throw new SocketException("a control message was truncated (too many fds sent)", Errno.EINVAL);
        }
        if (n == 0 && got < 0) {
            return null;
        }
        final byte[] t = new byte[(int) n];
        data.get(0, t);
        return new Message(new String(t, StandardCharsets.UTF_8), got);
    }

    /** A socket call failed. */
    public static final class SocketException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        SocketException(final String message, final int errno) {
            super(message);
            this.errno = errno;
        }

        /**
         * The errno.
         *
         * @return errno
         */
        public int errno() {
            return errno;
        }
    }
}
