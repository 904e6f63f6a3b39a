package dev.valarm.rtc.linux.internal;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;

/**
 * The only libc functions valarm calls, bound through jnr-ffi (glibc prototypes, x86-64 / aarch64 LP64).
 *
 * <p>errno is saved after every call except those marked {@link IgnoreError} (the hot reads and the
 * eventfd write, whose failure needs no errno); read it through {@link Native#errno()} right after the
 * call, on the same thread. Requests for {@code ioctl} are 64-bit values ({@code unsigned long} in
 * glibc), so {@code RTC_RD_TIME = 0x80247009L} stays positive.
 *
 * <p>Thread-safety: the functions are thread-safe as libc's are; the struct and pointer arguments are
 * not shared between threads by the callers.
 */
public interface LibC {

    /**
     * {@code int clock_gettime(clockid_t, struct timespec *)}, the hot path: no errno saved.
     *
     * @param clockId a {@code CLOCK_*} id
     * @param timespec 16 bytes of direct memory
     * @return 0, or -1 on failure
     */
    @IgnoreError
    int clock_gettime(int clockId, Pointer timespec);

    /**
     * {@code clock_gettime} with errno saved, for probing (EINVAL for an unsupported clock id).
     *
     * @param clockId a {@code CLOCK_*} id
     * @param timespec the result
     * @return 0, or -1 with errno
     */
    int clock_gettime(int clockId, @Out NativeTimespec timespec);

    /**
     * {@code int clock_getres(clockid_t, struct timespec *)}.
     *
     * @param clockId a {@code CLOCK_*} id
     * @param timespec the result
     * @return 0, or -1 with errno
     */
    int clock_getres(int clockId, @Out NativeTimespec timespec);

    /**
     * {@code int clock_settime(clockid_t, const struct timespec *)}.
     *
     * @param clockId a {@code CLOCK_*} id
     * @param timespec the new time
     * @return 0, or -1 with errno (EPERM without CAP_SYS_TIME)
     */
    int clock_settime(int clockId, @In NativeTimespec timespec);

    /**
     * {@code int timerfd_create(int clockid, int flags)}.
     *
     * @param clockId REALTIME, MONOTONIC, BOOTTIME or one of the ALARM clocks
     * @param flags {@code TFD_CLOEXEC | TFD_NONBLOCK}
     * @return the fd, or -1 with errno (EPERM for alarm clocks without CAP_WAKE_ALARM)
     */
    int timerfd_create(int clockId, int flags);

    /**
     * {@code int timerfd_settime(int fd, int flags, const struct itimerspec *new, struct itimerspec *old)}.
     *
     * @param fd the timerfd
     * @param flags {@code TFD_TIMER_ABSTIME}, {@code TFD_TIMER_CANCEL_ON_SET}
     * @param newValue the new setting (zero {@code it_value} disarms)
     * @param oldValue null
     * @return 0, or -1 with errno
     */
    int timerfd_settime(int fd, int flags, @In ITimerSpec newValue, Pointer oldValue);

    /**
     * {@code int timerfd_gettime(int fd, struct itimerspec *curr)}: the time <em>remaining</em>.
     *
     * @param fd the timerfd
     * @param current the result
     * @return 0, or -1 with errno
     */
    int timerfd_gettime(int fd, @Out ITimerSpec current);

    /**
     * {@code int eventfd(unsigned int initval, int flags)}.
     *
     * @param initialValue the counter's start value
     * @param flags {@code EFD_CLOEXEC | EFD_NONBLOCK}
     * @return the fd, or -1 with errno
     */
    int eventfd(int initialValue, int flags);

    /**
     * {@code ssize_t read(int, void *, size_t)} into direct memory.
     *
     * @param fd the fd
     * @param buffer direct memory of at least {@code count} bytes
     * @param count bytes to read
     * @return bytes read, or -1 with errno (ECANCELED from a cancelled timerfd)
     */
    @ssize_t
    long read(int fd, Pointer buffer, @size_t long count);

    /**
     * {@code ssize_t read(int, void *, size_t)} into a Java array (small sysfs files).
     *
     * @param fd the fd
     * @param buffer the array
     * @param count bytes to read, at most the array's length
     * @return bytes read, or -1 with errno
     */
    @ssize_t
    long read(int fd, @Out byte[] buffer, @size_t long count);

    /**
     * {@code ssize_t write(int, const void *, size_t)} from direct memory; no errno (the eventfd write).
     *
     * @param fd the fd
     * @param buffer direct memory
     * @param count bytes to write
     * @return bytes written, or -1
     */
    @IgnoreError
    @ssize_t
    long write(int fd, Pointer buffer, @size_t long count);

    /**
     * {@code ssize_t write(int, const void *, size_t)} from a Java array (sysfs files), errno saved.
     *
     * @param fd the fd
     * @param buffer the bytes
     * @param count bytes to write
     * @return bytes written, or -1 with errno (EBUSY from sysfs wakealarm)
     */
    @ssize_t
    long write(int fd, @In byte[] buffer, @size_t long count);

    /**
     * {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)}.
     *
     * @param fds {@code nfds} 8-byte {@code struct pollfd} entries in direct memory
     * @param nfds the number of entries
     * @param timeoutMillis -1 to wait without limit
     * @return the number of ready entries, 0 on timeout, or -1 with errno (EINTR)
     */
    int poll(Pointer fds, @u_int64_t long nfds, int timeoutMillis);

    /**
     * {@code int open(const char *path, int flags)} (no mode: never creates).
     *
     * @param path the path
     * @param flags {@code O_*} flags
     * @return the fd, or -1 with errno (EBUSY from an RTC that another process holds)
     */
    int open(String path, int flags);

    /**
     * {@code int ioctl(int fd, unsigned long request, struct rtc_time *)}.
     *
     * @param fd an RTC fd
     * @param request RTC_RD_TIME, RTC_SET_TIME, RTC_ALM_READ or RTC_ALM_SET, as a 64-bit value
     * @param time in and out
     * @return 0 or -1 with errno
     */
    int ioctl(int fd, @u_int64_t long request, @In @Out RtcTime time);

    /**
     * {@code int ioctl(int fd, unsigned long request, struct rtc_wkalrm *)}.
     *
     * @param fd an RTC fd
     * @param request RTC_WKALM_SET or RTC_WKALM_RD, as a 64-bit value
     * @param alarm in and out
     * @return 0 or -1 with errno
     */
    int ioctl(int fd, @u_int64_t long request, @In @Out RtcWkAlrm alarm);

    /**
     * {@code int ioctl(int fd, unsigned long request, struct rtc_param *)}.
     *
     * @param fd an RTC fd
     * @param request RTC_PARAM_GET, as a 64-bit value
     * @param param in ({@code param}, {@code index}) and out (the value)
     * @return 0 or -1 with errno (ENOTTY before Linux 5.16)
     */
    int ioctl(int fd, @u_int64_t long request, @In @Out RtcParam param);

    /**
     * {@code int epoll_create1(int flags)}.
     *
     * @param flags {@code EPOLL_CLOEXEC}
     * @return the fd, or -1 with errno
     */
    int epoll_create1(int flags);

    /**
     * {@code int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)}.
     *
     * @param epfd the epoll fd
     * @param op {@code EPOLL_CTL_ADD}
     * @param fd the watched fd
     * @param event a {@code struct epoll_event} in direct memory ({@link Native#epollEventSize()} bytes)
     * @return 0, or -1 with errno
     */
    int epoll_ctl(int epfd, int op, int fd, Pointer event);

    /**
     * {@code int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)}.
     *
     * @param epfd the epoll fd
     * @param events room for {@code maxevents} events in direct memory
     * @param maxevents at least 1
     * @param timeoutMillis 0 to return at once
     * @return the number of ready events, or -1 with errno
     */
    int epoll_wait(int epfd, Pointer events, int maxevents, int timeoutMillis);

    /**
     * {@code int close(int fd)}.
     *
     * @param fd the fd
     * @return 0 or -1 with errno
     */
    int close(int fd);
}
