package dev.valarm.rtc.linux.guest;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;

/**
 * A deliberately separate, minimal binding of the RTC character device for the guest tests: it
 * checks what the real driver does independently of the backends under test (which have their own
 * binding). Numbers from {@code include/uapi/linux/rtc.h} on x86-64.
 *
 * <p>Also the few raw clock and timer calls the suspend tier ({@code dev.valarm.rtc.linux.guest.suspend})
 * needs: {@code clock_gettime}, {@code clock_settime} and an alarm-clock timerfd.
 *
 * <p>Not thread-safe: one instance per test; {@link #close} releases the device (the kernel allows
 * one opener). The static methods are thread-safe.
 */
public final class RawRtc implements AutoCloseable {

    /** The libc calls used. */
    public interface C {
        int open(String path, int flags);

        int close(int fd);

        int ioctl(int fd, @u_int64_t long request, Pointer arg);

        @ssize_t
        long read(int fd, Pointer buffer, @size_t long count);

        int poll(Pointer fds, @u_int64_t long nfds, int timeoutMillis);

        int clock_getres(int clockId, Pointer timespec);

        int clock_gettime(int clockId, Pointer timespec);

        int clock_settime(int clockId, Pointer timespec);

        int timerfd_create(int clockId, int flags);

        int timerfd_settime(int fd, int flags, Pointer newValue, Pointer oldValue);
    }

    static final long RTC_RD_TIME = 0x80247009L;
    static final long RTC_SET_TIME = 0x4024700aL;
    static final long RTC_WKALM_SET = 0x4028700fL;
    static final long RTC_WKALM_RD = 0x80287010L;
    static final int RTC_IRQF = 0x80;
    static final int RTC_AF = 0x20;
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    static final int O_NONBLOCK = 0x800;
    static final short POLLIN = 0x1;
    static final int EAGAIN = 11;
    static final int EINVAL = 22;
    static final int EBUSY = 16;
    static final int CLOCK_BOOTTIME_ALARM = 9;
    static final int CLOCK_REALTIME_ALARM = 8;
    /** {@code CLOCK_REALTIME}. */
    public static final int CLOCK_REALTIME = 0;
    /** {@code CLOCK_MONOTONIC}. */
    public static final int CLOCK_MONOTONIC = 1;
    /** {@code CLOCK_BOOTTIME}. */
    public static final int CLOCK_BOOTTIME = 7;

    private static final C LIBC = LibraryLoader.create(C.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private final String path;
    private final int fd;

    /** A failed call with its errno. */
    public static final class ErrnoException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        /** The errno. */
        public final int errno;

        ErrnoException(final int errno, final String what) {
            super(what + " failed: errno " + errno);
            this.errno = errno;
        }
    }

    private RawRtc(final String path, final int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * Opens an RTC device.
     *
     * @param path the device
     * @param flags extra open flags
     * @return the open device
     */
    public static RawRtc open(final String path, final int flags) {
        final int fd = LIBC.open(path, flags | O_CLOEXEC);
        if (fd < 0) {
            throw new ErrnoException(LastError.getLastError(RUNTIME), "open(" + path + ")");
        }
        return new RawRtc(path, fd);
    }

    /**
     * Opens an RTC device read-only.
     *
     * @param path the device
     * @return the open device
     */
    public static RawRtc open(final String path) {
        return open(path, O_RDONLY);
    }

    /**
     * RTC_RD_TIME as seconds since the epoch (the RTC keeps UTC in the guest).
     *
     * @return the RTC's time
     */
    public long readTime() {
        final Pointer tm = Memory.allocateDirect(RUNTIME, 36);
        check(LIBC.ioctl(fd, RTC_RD_TIME, tm), "ioctl(RTC_RD_TIME)");
        return toEpoch(tm, 0);
    }

    /**
     * RTC_SET_TIME.
     *
     * @param epochSeconds the new RTC time
     */
    public void setTime(final long epochSeconds) {
        final Pointer tm = Memory.allocateDirect(RUNTIME, 36);
        fill(tm, 0, epochSeconds);
        check(LIBC.ioctl(fd, RTC_SET_TIME, tm), "ioctl(RTC_SET_TIME, " + epochSeconds + ")");
    }

    /**
     * RTC_WKALM_SET with a full date.
     *
     * @param enabled whether to enable the alarm
     * @param epochSeconds the alarm time
     */
    public void setWakeAlarm(final boolean enabled, final long epochSeconds) {
        final Pointer a = Memory.allocateDirect(RUNTIME, 40);
        a.putByte(0, (byte) (enabled ? 1 : 0));
        a.putByte(1, (byte) 0);
        fill(a, 4, epochSeconds);
        check(LIBC.ioctl(fd, RTC_WKALM_SET, a), "ioctl(RTC_WKALM_SET, enabled=" + enabled + ", "
                + LocalDateTime.ofEpochSecond(epochSeconds, 0, ZoneOffset.UTC) + ")");
    }

    private static void fill(final Pointer p, final int off, final long epochSeconds) {
        final LocalDateTime t = LocalDateTime.ofEpochSecond(epochSeconds, 0, ZoneOffset.UTC);
        p.putInt(off, t.getSecond());
        p.putInt(off + 4, t.getMinute());
        p.putInt(off + 8, t.getHour());
        p.putInt(off + 12, t.getDayOfMonth());
        p.putInt(off + 16, t.getMonthValue() - 1);
        p.putInt(off + 20, t.getYear() - 1900);
        p.putInt(off + 24, -1);
        p.putInt(off + 28, -1);
        p.putInt(off + 32, -1);
    }

    /**
     * RTC_WKALM_RD.
     *
     * @return {enabled, pending, epoch seconds}
     */
    public long[] readWakeAlarm() {
        final Pointer a = Memory.allocateDirect(RUNTIME, 40);
        check(LIBC.ioctl(fd, RTC_WKALM_RD, a), "ioctl(RTC_WKALM_RD)");
        return new long[] {a.getByte(0), a.getByte(1), toEpoch(a, 4)};
    }

    /** Blocking (or, with O_NONBLOCK, non-blocking) read of the 8-byte interrupt word. */
    long readEvent() {
        final Pointer buf = Memory.allocateDirect(RUNTIME, 8);
        final long n = LIBC.read(fd, buf, 8);
        if (n < 0) {
            throw new ErrnoException(LastError.getLastError(RUNTIME), "read(" + path + ")");
        }
        if (n != 8) {
            throw new IllegalStateException("read(" + path + ") returned " + n + " bytes, expected 8");
        }
        return buf.getLong(0);
    }

    /** poll for POLLIN; returns the revents (0 on timeout). */
    int pollIn(final int timeoutMillis) {
        final Pointer pfd = Memory.allocateDirect(RUNTIME, 8);
        pfd.putInt(0, fd);
        pfd.putShort(4, POLLIN);
        pfd.putShort(6, (short) 0);
        check(LIBC.poll(pfd, 1, timeoutMillis), "poll(" + path + ")");
        return pfd.getShort(6);
    }

    /**
     * clock_gettime.
     *
     * @param clockId the clock
     * @return its time in nanoseconds
     */
    public static long clockNanos(final int clockId) {
        final Pointer ts = Memory.allocateDirect(RUNTIME, 16);
        if (LIBC.clock_gettime(clockId, ts) != 0) {
            throw new ErrnoException(LastError.getLastError(RUNTIME), "clock_gettime(" + clockId + ")");
        }
        return ts.getLong(0) * 1_000_000_000L + ts.getLong(8);
    }

    /**
     * clock_settime.
     *
     * @param clockId the clock (CLOCK_REALTIME)
     * @param nanos the new time in nanoseconds
     */
    public static void clockSet(final int clockId, final long nanos) {
        final Pointer ts = Memory.allocateDirect(RUNTIME, 16);
        ts.putLong(0, Math.floorDiv(nanos, 1_000_000_000L));
        ts.putLong(8, Math.floorMod(nanos, 1_000_000_000L));
        if (LIBC.clock_settime(clockId, ts) != 0) {
            throw new ErrnoException(LastError.getLastError(RUNTIME), "clock_settime(" + clockId + ", " + nanos + ")");
        }
    }

    /**
     * A {@code CLOCK_BOOTTIME_ALARM} timerfd armed {@code seconds} ahead (relative), bypassing valarm.
     *
     * @param seconds how far ahead
     * @return the fd; close it with {@link #closeFd}
     */
    public static int armedAlarmTimer(final long seconds) {
        final int tfd = LIBC.timerfd_create(CLOCK_BOOTTIME_ALARM, O_CLOEXEC);
        if (tfd < 0) {
            throw new ErrnoException(LastError.getLastError(RUNTIME), "timerfd_create(CLOCK_BOOTTIME_ALARM)");
        }
        final Pointer spec = Memory.allocateDirect(RUNTIME, 32);
        spec.putLong(16, seconds);
        if (LIBC.timerfd_settime(tfd, 0, spec, null) != 0) {
            final int err = LastError.getLastError(RUNTIME);
            LIBC.close(tfd);
            throw new ErrnoException(err, "timerfd_settime(+" + seconds + " s)");
        }
        return tfd;
    }

    /**
     * close(2).
     *
     * @param fd the fd
     */
    public static void closeFd(final int fd) {
        LIBC.close(fd);
    }

    /** clock_getres on a clock id; returns the errno, 0 on success. */
    static int clockGetresErrno(final int clockId) {
        final Pointer ts = Memory.allocateDirect(RUNTIME, 16);
        return LIBC.clock_getres(clockId, ts) == 0 ? 0 : LastError.getLastError(RUNTIME);
    }

    private void check(final int rc, final String what) {
        if (rc < 0) {
            throw new ErrnoException(LastError.getLastError(RUNTIME), what + " on " + path);
        }
    }

    private static long toEpoch(final Pointer p, final int off) {
        final LocalDateTime t = LocalDateTime.of(p.getInt(off + 20) + 1900, p.getInt(off + 16) + 1,
                p.getInt(off + 12), p.getInt(off + 8), p.getInt(off + 4), p.getInt(off));
        return t.toEpochSecond(ZoneOffset.UTC);
    }

    @Override
    public void close() {
        LIBC.close(fd);
    }
}
