package dev.valarm.rtc.linux.internal;

import dev.valarm.Errno;
import dev.valarm.spi.RtcException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loaded libc binding plus the small helpers every Linux class shares: errno, typed failures, EBUSY
 * retries, timerfd arming, small-file I/O.
 *
 * <p>Loading happens once per JVM ({@link #get()}); it fails fast with an {@link RtcException} (and a log
 * line) when the OS or architecture is not supported or libc cannot be bound, and remembers that failure.
 *
 * <p>Thread-safety: thread-safe; errno is per thread (read it on the calling thread right after the call).
 */
public final class Native {
    private static final Logger LOG = LoggerFactory.getLogger(Native.class);

    /** Nanoseconds per second. */
    public static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** Backoff before each retry of an EBUSY open or ioctl, in milliseconds (about 0.3 s in all). */
    private static final long[] BUSY_BACKOFF_MILLIS = {5, 10, 20, 40, 80, 160};

    private static final Object LOAD_LOCK = new Object();
    private static volatile Native instance;
    private static RtcException loadFailure;

    /** The bound functions. */
    private final LibC libc;
    /** The jnr runtime (errno, memory). */
    private final Runtime runtime;

    private Native(final LibC libc) {
        this.libc = libc;
        this.runtime = Runtime.getRuntime(libc);
    }

    /**
     * The loaded binding.
     *
     * @return the binding
     * @throws RtcException EOPNOTSUPP on a non-Linux OS or an unsupported architecture, ENOSYS if libc
     *         cannot be bound (the cause says why); the same failure on every later call
     */
    public static Native get() {
        final Native n = instance;
        if (n != null) {
            return n;
        }
        synchronized (LOAD_LOCK) {
            if (instance != null) {
                return instance;
            }
            if (loadFailure != null) {
                throw loadFailure;
            }
            try {
                instance = load();
                return instance;
            } catch (final RtcException e) {
                loadFailure = e;
                LOG.warn("valarm-rtc-linux cannot load: {}", e.getMessage());
                throw e;
            }
        }
    }

    private static Native load() {
        final String os = System.getProperty("os.name", "?");
        final String arch = System.getProperty("os.arch", "?");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            throw new RtcException(Errno.EOPNOTSUPP, "load libc", "valarm-rtc-linux needs Linux; os.name=" + os);
        }
        if (!("amd64".equals(arch) || "x86_64".equals(arch) || "aarch64".equals(arch))) {
            throw new RtcException(Errno.EOPNOTSUPP, "load libc",
                    "the ioctl and flag constants are those of x86-64 and aarch64; os.arch=" + arch);
        }
        final LibC libc;
        try {
            libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
        } catch (final LinkageError | RuntimeException e) {
            throw new RtcException(Errno.ENOSYS, "load libc", "jnr-ffi cannot bind libc: " + e, e);
        }
        return new Native(libc);
    }

    /**
     * The bound libc functions.
     *
     * @return libc
     */
    public LibC libc() {
        return libc;
    }

    /**
     * The jnr runtime.
     *
     * @return the runtime
     */
    public Runtime runtime() {
        return runtime;
    }

    /**
     * The errno the last errno-saving call on this thread left.
     *
     * @return errno
     */
    public int errno() {
        return LastError.getLastError(runtime);
    }

    /**
     * Allocates zeroed direct memory.
     *
     * @param bytes the size
     * @return the memory
     */
    public Pointer direct(final int bytes) {
        return Memory.allocateDirect(runtime, bytes, true);
    }

    /**
     * Nanoseconds from seconds and nanoseconds, saturating at the {@code long} range.
     *
     * @param sec seconds
     * @param nsec nanoseconds
     * @return the nanoseconds
     */
    public static long toNanos(final long sec, final long nsec) {
        final long hi = Math.multiplyHigh(sec, NANOS_PER_SECOND);
        final long lo = sec * NANOS_PER_SECOND;
        if ((hi != 0 || lo < 0) && (hi != -1 || lo >= 0)) {
            return sec < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        final long r = lo + nsec;
        if (((lo ^ r) & (nsec ^ r)) < 0) {
            return nsec < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    /**
     * Opens a file, retrying EBUSY (an RTC another process holds) with a bounded backoff.
     *
     * @param path the path
     * @param flags the {@code O_*} flags
     * @return the fd
     * @throws RtcException with the errno of the last attempt
     */
    public int open(final String path, final int flags) {
        int attempt = 0;
        while (true) {
            final int fd = libc.open(path, flags);
            if (fd >= 0) {
                return fd;
            }
            final int err = errno();
            if (err == Errno.EINTR || (err == Errno.EBUSY && attempt < BUSY_BACKOFF_MILLIS.length)) {
                if (err == Errno.EBUSY) {
                    LOG.debug("open({}) busy, retry {} in {} ms", path, attempt + 1, BUSY_BACKOFF_MILLIS[attempt]);
                    backoff(BUSY_BACKOFF_MILLIS[attempt++]);
                }
                continue;
            }
            throw fail(err, "open(" + path + ")", err == Errno.EBUSY
                    ? "still busy after " + attempt + " retries (another process holds it open)"
                    : "cannot open");
        }
    }

    /**
     * Closes an fd, logging (not throwing) a failure.
     *
     * @param fd the fd; negative values are ignored
     * @param what what it is, for the log
     */
    public void closeQuietly(final int fd, final String what) {
        if (fd >= 0 && libc.close(fd) != 0) {
            LOG.warn("close({}) of {} failed: {}", fd, what, Errno.name(errno()));
        }
    }

    /**
     * An ioctl on an {@code rtc_time}, retrying EINTR and EBUSY with the bounded backoff.
     *
     * @param fd the RTC fd
     * @param request the request
     * @param time in and out
     * @param op the operation, for the error
     * @throws RtcException with the errno
     */
    public void ioctl(final int fd, final long request, final RtcTime time, final String op) {
        int attempt = 0;
        while (libc.ioctl(fd, request, time) != 0) {
            attempt = retryOrThrow(errno(), attempt, op);
        }
    }

    /**
     * An ioctl on an {@code rtc_wkalrm}, retrying EINTR and EBUSY with the bounded backoff.
     *
     * @param fd the RTC fd
     * @param request the request
     * @param alarm in and out
     * @param op the operation, for the error
     * @throws RtcException with the errno
     */
    public void ioctl(final int fd, final long request, final RtcWkAlrm alarm, final String op) {
        int attempt = 0;
        while (libc.ioctl(fd, request, alarm) != 0) {
            attempt = retryOrThrow(errno(), attempt, op);
        }
    }

    private int retryOrThrow(final int err, final int attempt, final String op) {
        if (err == Errno.EINTR) {
            return attempt;
        }
        if (err == Errno.EBUSY && attempt < BUSY_BACKOFF_MILLIS.length) {
            backoff(BUSY_BACKOFF_MILLIS[attempt]);
            return attempt + 1;
        }
        throw fail(err, op, err == Errno.EBUSY ? "still busy after " + attempt + " retries" : "failed");
    }

    private static void backoff(final long millis) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    /**
     * Creates a timerfd ({@code TFD_CLOEXEC | TFD_NONBLOCK}).
     *
     * @param clockId the clock
     * @param clockName the clock's name, for the error
     * @return the fd
     * @throws RtcException EPERM for an alarm clock without CAP_WAKE_ALARM, EINVAL for an unknown clock
     */
    public int timerfdCreate(final int clockId, final String clockName) {
        final int fd = libc.timerfd_create(clockId, LinuxAbi.TFD_CLOEXEC | LinuxAbi.TFD_NONBLOCK);
        if (fd < 0) {
            final int err = errno();
            throw fail(err, "timerfd_create(" + clockName + ")",
                    err == Errno.EPERM ? "needs CAP_WAKE_ALARM" : "failed");
        }
        return fd;
    }

    /**
     * Arms a timerfd at an absolute time, or disarms it.
     *
     * @param fd the timerfd
     * @param spec scratch struct (direct memory on hot paths)
     * @param absNanos the absolute time on the timer's clock; values at or below 0 become 1 ns (already
     *        past: a zero value would disarm instead); {@code Long.MAX_VALUE} disarms
     * @param flags extra flags besides {@code TFD_TIMER_ABSTIME} (such as {@code TFD_TIMER_CANCEL_ON_SET})
     * @return 0, or the errno of a failure (ECANCELED from a CANCEL_ON_SET timer whose clock was set)
     */
    public int timerfdSetAbsolute(final int fd, final ITimerSpec spec, final long absNanos, final int flags) {
        if (absNanos == Long.MAX_VALUE) {
            spec.setOneShot(0, 0);
            return libc.timerfd_settime(fd, 0, spec, null) == 0 ? 0 : errno();
        }
        final long nanos = Math.max(1, absNanos);
        spec.setOneShot(nanos / NANOS_PER_SECOND, nanos % NANOS_PER_SECOND);
        return libc.timerfd_settime(fd, LinuxAbi.TFD_TIMER_ABSTIME | flags, spec, null) == 0 ? 0 : errno();
    }

    /**
     * Creates an eventfd ({@code EFD_CLOEXEC | EFD_NONBLOCK}, counter 0).
     *
     * @return the fd
     * @throws RtcException with the errno
     */
    public int eventfd() {
        final int fd = libc.eventfd(0, LinuxAbi.EFD_CLOEXEC | LinuxAbi.EFD_NONBLOCK);
        if (fd < 0) {
            throw fail(errno(), "eventfd", "failed");
        }
        return fd;
    }

    /**
     * {@code sizeof(struct epoll_event)}: 12 on x86-64 (the kernel declares it packed there), 16 on
     * aarch64; {@code events} is the 32-bit word at offset 0, {@code data} the 64-bit one after it.
     *
     * @return the size in bytes
     */
    public static int epollEventSize() {
        final String arch = System.getProperty("os.arch", "");
        return "amd64".equals(arch) || "x86_64".equals(arch) ? 12 : 16;
    }

    /**
     * The offset of {@code data} in {@code struct epoll_event}.
     *
     * @return 4 on x86-64, 8 on aarch64
     */
    public static int epollDataOffset() {
        return epollEventSize() == 12 ? 4 : 8;
    }

    /**
     * Reads a small file whole (sysfs attributes), as ASCII without the trailing newline.
     *
     * @param path the path
     * @return the content, trimmed
     * @throws RtcException with the errno of open or read
     */
    public String readSmallFile(final String path) {
        final int fd = open(path, LinuxAbi.O_RDONLY | LinuxAbi.O_CLOEXEC);
        try {
            final byte[] buf = new byte[256];
            while (true) {
                final long n = libc.read(fd, buf, buf.length);
                if (n >= 0) {
                    return new String(buf, 0, (int) n, StandardCharsets.US_ASCII).trim();
                }
                final int err = errno();
                if (err != Errno.EINTR) {
                    throw fail(err, "read(" + path + ")", "failed");
                }
            }
        } finally {
            closeQuietly(fd, path);
        }
    }

    /**
     * Writes a small file (sysfs attributes) in one {@code write}, opened like a shell's {@code >}
     * ({@code O_WRONLY | O_TRUNC}, never creating it).
     *
     * @param path the path
     * @param content the ASCII content
     * @throws RtcException with the errno of open or write (EBUSY from {@code wakealarm})
     */
    public void writeSmallFile(final String path, final String content) {
        final byte[] bytes = content.getBytes(StandardCharsets.US_ASCII);
        final int fd = open(path, LinuxAbi.O_WRONLY | LinuxAbi.O_TRUNC | LinuxAbi.O_CLOEXEC);
        try {
            while (true) {
                final long n = libc.write(fd, bytes, bytes.length);
                if (n == bytes.length) {
                    return;
                }
                final int err = n < 0 ? errno() : Errno.EIO;
                if (err == Errno.EINTR) {
                    continue;
                }
                throw fail(err, "write(" + path + ", \"" + content + "\")",
                        n < 0 ? "failed" : "short write of " + n + " bytes");
            }
        } finally {
            closeQuietly(fd, path);
        }
    }

    /**
     * A typed failure; logs nothing (the caller decides the level).
     *
     * @param errno the errno
     * @param op the operation
     * @param message what went wrong
     * @return the exception
     */
    public static RtcException fail(final int errno, final String op, final String message) {
        return new RtcException(errno == 0 ? Errno.EIO : errno, op, message);
    }
}
