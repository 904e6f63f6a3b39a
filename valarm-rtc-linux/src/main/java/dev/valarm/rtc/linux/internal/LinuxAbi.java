package dev.valarm.rtc.linux.internal;

/**
 * Kernel and libc constants valarm uses, each with the header it comes from. The values are those of
 * x86-64 and aarch64 (both use the asm-generic numbering for everything here); {@link Native} refuses to
 * load on other architectures. errno values are in {@link dev.valarm.Errno}.
 *
 * <p>Thread-safety: constants only.
 */
public final class LinuxAbi {

    // <linux/time.h> (uapi): clock ids.
    /** {@code CLOCK_REALTIME}. */
    public static final int CLOCK_REALTIME = 0;
    /** {@code CLOCK_MONOTONIC}. */
    public static final int CLOCK_MONOTONIC = 1;
    /** {@code CLOCK_BOOTTIME}. */
    public static final int CLOCK_BOOTTIME = 7;
    /** {@code CLOCK_REALTIME_ALARM}: REALTIME that wakes the machine from suspend (CAP_WAKE_ALARM). */
    public static final int CLOCK_REALTIME_ALARM = 8;
    /** {@code CLOCK_BOOTTIME_ALARM}: BOOTTIME that wakes the machine from suspend (CAP_WAKE_ALARM). */
    public static final int CLOCK_BOOTTIME_ALARM = 9;

    // <sys/timerfd.h> / <linux/timerfd.h>.
    /** {@code TFD_TIMER_ABSTIME}: the value is an absolute time. */
    public static final int TFD_TIMER_ABSTIME = 1;
    /** {@code TFD_TIMER_CANCEL_ON_SET}: reads fail with ECANCELED when the realtime clock is set. */
    public static final int TFD_TIMER_CANCEL_ON_SET = 2;
    /** {@code TFD_CLOEXEC} (= {@code O_CLOEXEC}). */
    public static final int TFD_CLOEXEC = 0x80000;
    /** {@code TFD_NONBLOCK} (= {@code O_NONBLOCK}). */
    public static final int TFD_NONBLOCK = 0x800;

    // <sys/eventfd.h> / <linux/eventfd.h>.
    /** {@code EFD_CLOEXEC} (= {@code O_CLOEXEC}). */
    public static final int EFD_CLOEXEC = 0x80000;
    /** {@code EFD_NONBLOCK} (= {@code O_NONBLOCK}). */
    public static final int EFD_NONBLOCK = 0x800;

    // <sys/epoll.h> / <linux/eventpoll.h>.
    /** {@code EPOLL_CLOEXEC} (= {@code O_CLOEXEC}). */
    public static final int EPOLL_CLOEXEC = 0x80000;
    /** {@code EPOLL_CTL_ADD}. */
    public static final int EPOLL_CTL_ADD = 1;
    /** {@code EPOLLIN}. */
    public static final int EPOLLIN = 0x1;
    /**
     * {@code EPOLLWAKEUP} (Linux 3.5): while the event is ready, a kernel wakeup source is active. The
     * kernel drops the flag silently without CAP_BLOCK_SUSPEND (or without CONFIG_PM_SLEEP).
     */
    public static final int EPOLLWAKEUP = 1 << 29;

    // <asm-generic/fcntl.h>.
    /** {@code O_RDONLY}. */
    public static final int O_RDONLY = 0;
    /** {@code O_WRONLY}. */
    public static final int O_WRONLY = 1;
    /** {@code O_TRUNC} (what a shell's {@code >} passes; sysfs ignores it). */
    public static final int O_TRUNC = 0x200;
    /** {@code O_CLOEXEC}. */
    public static final int O_CLOEXEC = 0x80000;

    // <asm-generic/poll.h>: struct pollfd is {int fd; short events; short revents;}, 8 bytes.
    /** {@code POLLIN}. */
    public static final short POLLIN = 0x1;
    /** {@code POLLERR}. */
    public static final short POLLERR = 0x8;
    /** {@code POLLHUP}. */
    public static final short POLLHUP = 0x10;
    /** {@code POLLNVAL}. */
    public static final short POLLNVAL = 0x20;
    /** {@code sizeof(struct pollfd)}. */
    public static final int POLLFD_SIZE = 8;

    // <linux/rtc.h>: ioctl requests, type 'p' (0x70), sizes 36 (rtc_time) and 40 (rtc_wkalrm).
    /** {@code RTC_ALM_SET = _IOW('p', 0x07, struct rtc_time)}. */
    public static final long RTC_ALM_SET = 0x40247007L;
    /** {@code RTC_ALM_READ = _IOR('p', 0x08, struct rtc_time)}. */
    public static final long RTC_ALM_READ = 0x80247008L;
    /** {@code RTC_RD_TIME = _IOR('p', 0x09, struct rtc_time)}. */
    public static final long RTC_RD_TIME = 0x80247009L;
    /** {@code RTC_SET_TIME = _IOW('p', 0x0a, struct rtc_time)}. */
    public static final long RTC_SET_TIME = 0x4024700aL;
    /** {@code RTC_WKALM_SET = _IOW('p', 0x0f, struct rtc_wkalrm)}: set and enable/disable atomically. */
    public static final long RTC_WKALM_SET = 0x4028700fL;
    /** {@code RTC_WKALM_RD = _IOR('p', 0x10, struct rtc_wkalrm)}. */
    public static final long RTC_WKALM_RD = 0x80287010L;

    /** {@code RTC_PARAM_GET = _IOW('p', 0x13, struct rtc_param)} (sic, W; Linux 5.16+, else ENOTTY). */
    public static final long RTC_PARAM_GET = 0x40187013L;
    /** {@code RTC_PARAM_FEATURES}: the parameter holding the {@code RTC_FEATURE_*} bitmask. */
    public static final long RTC_PARAM_FEATURES = 0;
    /** {@code RTC_FEATURE_ALARM} bit: the RTC has a usable alarm. */
    public static final int RTC_FEATURE_ALARM = 0;
    /** {@code RTC_FEATURE_ALARM_RES_MINUTE} bit: alarm granularity is one minute. */
    public static final int RTC_FEATURE_ALARM_RES_MINUTE = 1;
    /** {@code RTC_FEATURE_ALARM_RES_2S} bit: alarm granularity is two seconds. */
    public static final int RTC_FEATURE_ALARM_RES_2S = 3;

    // <linux/rtc.h>: flags in the word read(2) returns from /dev/rtcN ((count << 8) | flags).
    /** {@code RTC_IRQF}: an interrupt occurred. */
    public static final int RTC_IRQF = 0x80;
    /** {@code RTC_AF}: alarm interrupt. */
    public static final int RTC_AF = 0x20;

    private LinuxAbi() {
    }
}
