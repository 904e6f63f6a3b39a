package dev.valarm.rtc.linux.fuse;

import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A minimal test-side client of an RTC device file through raw libc calls (open, ioctl, read, poll, close),
 * used to check the emulator independently of the backend under test.
 *
 * <p>Thread-safety: each instance wraps one descriptor; do not share an instance between threads except to
 * {@link #close()} it.
 */
public final class RtcClient implements AutoCloseable {
    /** {@code O_RDONLY | O_CLOEXEC}. */
    public static final int O_RDONLY_CLOEXEC = 0x80000;
    /** {@code O_NONBLOCK}. */
    public static final int O_NONBLOCK = 04000;

    /** The libc calls. */
    public interface LibC {
        /**
         * open(2).
         *
         * @param path the path
         * @param flags the flags
         * @return fd or -1
         */
        int open(String path, int flags);

        /**
         * close(2).
         *
         * @param fd the fd
         * @return 0 or -1
         */
        int close(int fd);

        /**
         * ioctl(2) with a pointer argument; the request is passed as a 64-bit value.
         *
         * @param fd the fd
         * @param request the request
         * @param arg the argument
         * @return 0 or -1
         */
        int ioctl(int fd, long request, Pointer arg);

        /**
         * read(2).
         *
         * @param fd the fd
         * @param buf the buffer
         * @param count the size
         * @return bytes read or -1
         */
        long read(int fd, Pointer buf, long count);

        /**
         * poll(2).
         *
         * @param fds the struct pollfd array
         * @param nfds the count
         * @param timeoutMillis the timeout
         * @return ready count, 0 or -1
         */
        int poll(Pointer fds, long nfds, int timeoutMillis);
    }

    /** A failed call with its errno. */
    public static final class ErrnoException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        ErrnoException(final String call, final int errno) {
            super(call + " failed with errno " + errno);
            this.errno = errno;
        }

        /**
         * The errno.
         *
         * @return the errno
         */
        public int errno() {
            return errno;
        }
    }

    /** The binding. */
    public static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private final int fd;

    private RtcClient(final int fd) {
        this.fd = fd;
    }

    /**
     * Opens the device.
     *
     * @param device the path
     * @param extraFlags flags ORed into {@code O_RDONLY | O_CLOEXEC}, such as {@link #O_NONBLOCK}
     * @return the client
     * @throws ErrnoException if open fails (EBUSY while someone else holds it)
     */
    public static RtcClient open(final Path device, final int extraFlags) {
        final int fd = LIBC.open(device.toString(), O_RDONLY_CLOEXEC | extraFlags);
        if (fd < 0) {
            throw new ErrnoException("open(" + device + ")", RUNTIME.getLastError());
        }
        return new RtcClient(fd);
    }

    /**
     * Opens the device read-only.
     *
     * @param device the path
     * @return the client
     */
    public static RtcClient open(final Path device) {
        return open(device, 0);
    }

    /**
     * Issues an ioctl with a buffer of the given size.
     *
     * @param request the request
     * @param buf the buffer (or null)
     * @return 0 on success or the errno
     */
    public int ioctl(final int request, final Pointer buf) {
        final int rc = LIBC.ioctl(fd, request & 0xffffffffL, buf);
        return rc < 0 ? RUNTIME.getLastError() : 0;
    }

    /**
     * {@code RTC_RD_TIME}.
     *
     * @return the fields
     */
    public int[] readTime() {
        final Pointer buf = Memory.allocateDirect(RUNTIME, RtcAbi.RTC_TIME_SIZE);
        check("RTC_RD_TIME", ioctl(RtcAbi.RTC_RD_TIME, buf));
        return RtcAbi.getTm(buf, 0);
    }

    /**
     * {@code RTC_SET_TIME}.
     *
     * @param tm the fields
     * @return 0 or the errno
     */
    public int setTime(final int[] tm) {
        final Pointer buf = Memory.allocateDirect(RUNTIME, RtcAbi.RTC_TIME_SIZE);
        RtcAbi.putTm(buf, 0, tm);
        return ioctl(RtcAbi.RTC_SET_TIME, buf);
    }

    /**
     * {@code RTC_WKALM_SET}.
     *
     * @param enabled the enabled byte
     * @param tm the time fields
     * @return 0 or the errno
     */
    public int setWakeAlarm(final boolean enabled, final int[] tm) {
        final Pointer buf = Memory.allocateDirect(RUNTIME, RtcAbi.RTC_WKALRM_SIZE);
        buf.putByte(0, (byte) (enabled ? 1 : 0));
        buf.putByte(1, (byte) 0);
        RtcAbi.putTm(buf, RtcAbi.WKALRM_TIME_OFFSET, tm);
        return ioctl(RtcAbi.RTC_WKALM_SET, buf);
    }

    /**
     * {@code RTC_WKALM_RD}.
     *
     * @return the raw 40 bytes: [0] enabled, [1] pending, then the time fields
     */
    public Pointer readWakeAlarm() {
        final Pointer buf = Memory.allocateDirect(RUNTIME, RtcAbi.RTC_WKALRM_SIZE);
        buf.putInt(0, -1);
        check("RTC_WKALM_RD", ioctl(RtcAbi.RTC_WKALM_RD, buf));
        return buf;
    }

    /**
     * read(2) of {@code size} bytes.
     *
     * @param size the size to ask for
     * @return the value read (4 or 8 bytes, little-endian), the byte count in the high half is not kept
     * @throws ErrnoException on failure
     */
    public long read(final int size) {
        final Pointer buf = Memory.allocateDirect(RUNTIME, Math.max(size, 8));
        final long n = LIBC.read(fd, buf, size);
        if (n < 0) {
            throw new ErrnoException("read", RUNTIME.getLastError());
        }
        if (n == 4) {
            return buf.getInt(0) & 0xffffffffL;
        }
        if (n != 8) {
            throw new AssertionError("read returned " + n + " bytes");
        }
        return buf.getLong(0);
    }

    /**
     * poll(2) for POLLIN.
     *
     * @param timeoutMillis the timeout
     * @return the revents, 0 on timeout
     */
    public int pollIn(final int timeoutMillis) {
        final Pointer pfd = Memory.allocateDirect(RUNTIME, 8);
        pfd.putInt(0, fd);
        pfd.putShort(4, (short) 0x0001);
        pfd.putShort(6, (short) 0);
        final int rc = LIBC.poll(pfd, 1, timeoutMillis);
        if (rc < 0) {
            throw new ErrnoException("poll", RUNTIME.getLastError());
        }
        return rc == 0 ? 0 : pfd.getShort(6) & 0xffff;
    }

    private static void check(final String call, final int errno) {
        if (errno != 0) {
            throw new ErrnoException(call, errno);
        }
    }

    @Override
    public void close() {
        if (LIBC.close(fd) < 0) {
            throw new ErrnoException("close", RUNTIME.getLastError());
        }
    }
}
