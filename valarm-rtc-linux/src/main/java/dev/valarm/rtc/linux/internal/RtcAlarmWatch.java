package dev.valarm.rtc.linux.internal;

import dev.valarm.Errno;
import dev.valarm.spi.RtcException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices that an RTC alarm has fired without holding the RTC open: a {@code CLOCK_BOOTTIME} timerfd
 * (which keeps counting through suspend and fires right after resume) is armed for the moment the RTC's
 * clock reaches the alarm second, plus a small grace; when it expires the RTC's clock is read again
 * (open, read, close) and, if it has reached the alarm second, the callback runs; if the RTC runs slow
 * against BOOTTIME the check is re-armed for the remainder.
 *
 * <p>This is level-triggered on the RTC's own clock, not on its interrupt: it works for wake-only RTCs,
 * RTCs without an alarm IRQ while running, and emulated ones, and never conflicts with other openers
 * (hwclock, rtcwake, chronyd). Its cost is one short open/ioctl/close per programmed alarm.
 *
 * <p>Thread-safety: thread-safe; the callback runs on the watcher thread.
 */
public final class RtcAlarmWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RtcAlarmWatch.class);

    /** Slack after the computed fire moment, covering the RTC's unknown sub-second phase. */
    private static final long GRACE_NANOS = 150_000_000L;
    /** Sentinel: nothing armed. */
    private static final long NONE = Long.MIN_VALUE;

    private final Native nat;
    private final String name;
    private final LongSupplier rtcSeconds;
    private final Runnable fired;
    private final int timerFd;
    private final ITimerSpec spec;
    private final TimerfdWatcher watcher;
    private long targetSec = NONE;

    /**
     * Starts the watch thread (idle until {@link #arm}).
     *
     * @param nat the binding
     * @param name a name for the thread and logs
     * @param rtcSeconds reads the RTC's clock in epoch seconds (may throw {@link RtcException})
     * @param fired run when the RTC's clock has reached the armed second
     */
    public RtcAlarmWatch(final Native nat, final String name, final LongSupplier rtcSeconds, final Runnable fired) {
        this.nat = nat;
        this.name = name;
        this.rtcSeconds = rtcSeconds;
        this.fired = fired;
        this.spec = new ITimerSpec(nat.runtime());
        this.timerFd = nat.timerfdCreate(LinuxAbi.CLOCK_BOOTTIME, "CLOCK_BOOTTIME");
        TimerfdWatcher w = null;
        try {
            w = TimerfdWatcher.start(nat, "valarm-watch " + name, timerFd, this::check);
        } finally {
            if (w == null) {
                nat.closeQuietly(timerFd, "watch timerfd");
            }
        }
        this.watcher = w;
    }

    /**
     * Arms the check for an alarm programmed at {@code alarmSec} while the RTC read {@code rtcNowSec}.
     *
     * @param alarmSec the programmed alarm, RTC epoch seconds
     * @param rtcNowSec the RTC's clock, read just before programming
     */
    public void arm(final long alarmSec, final long rtcNowSec) {
        final boolean previousCame;
        synchronized (this) {
            previousCame = targetSec != NONE && rtcNowSec >= targetSec;
            targetSec = alarmSec;
            armIn(alarmSec - rtcNowSec);
        }
        reportReplaced(previousCame);
    }

    /**
     * Disarms the check (the alarm was cancelled).
     *
     * @param rtcNowSec the RTC's clock, read just before cancelling
     */
    public void disarm(final long rtcNowSec) {
        final boolean previousCame;
        synchronized (this) {
            previousCame = targetSec != NONE && rtcNowSec >= targetSec;
            targetSec = NONE;
            nat.timerfdSetAbsolute(timerFd, spec, Long.MAX_VALUE, 0);
        }
        reportReplaced(previousCame);
    }

    /**
     * The alarm being replaced or cancelled had already come (the RTC's clock reached its second, so the
     * chip fired it) but its check had not run yet: report it now rather than lose it. This happens when
     * the device re-arms right at the alarm's second, before the check's grace period, and whenever the RTC's
     * clock passed the alarm while this watch's BOOTTIME timer is still far off: the RTC was moved forward
     * ({@code RTC_SET_TIME}: the kernel's {@code rtc_set_time} never rewrites the queued alarm and schedules
     * the rtc core's expiry worker, which expires the user alarm, {@code aie_timer}, and clears its
     * {@code enabled}: sysfs {@code wakealarm} then reads empty and {@code RTC_WKALM_RD} enabled = 0), or the
     * machine woke at an alarm whose second on the RTC came early for that reason.
     *
     * <p>The report comes after the new alarm was written (on the caller's thread, inside its programming
     * call) and, like every report, names no alarm: the listener must not take it for the one just written.
     * The device decides on the RTC's clock ({@code WakeProgrammer.onFired}); when it took such a report for
     * the new alarm it wrote the same second again, and the sysfs backend's disable-then-write left the RTC
     * without any alarm in between (the QemuSuspendTest clamp flake).
     */
    private void reportReplaced(final boolean previousCame) {
        if (previousCame) {
            LOG.debug("{}: the replaced alarm had come due; reporting it as fired", name);
            fired.run();
        }
    }

    private void armIn(final long seconds) {
        final long boot = bootNanos();
        final long delay = Math.max(0, Math.min(seconds, Long.MAX_VALUE / Native.NANOS_PER_SECOND - 1))
                * Native.NANOS_PER_SECOND + GRACE_NANOS;
        final int err = nat.timerfdSetAbsolute(timerFd, spec, boot + delay, 0);
        if (err != 0) {
            LOG.error("{}: cannot arm the alarm-fired check (timerfd_settime {}); the device will still "
                    + "re-read its clocks after its own timers", name, Errno.name(err));
        }
    }

    private long bootNanos() {
        final NativeTimespec ts = new NativeTimespec(nat.runtime());
        nat.libc().clock_gettime(LinuxAbi.CLOCK_BOOTTIME, ts);
        return ts.nanos();
    }

    private void check() {
        final long target;
        synchronized (this) {
            target = targetSec;
        }
        if (target == NONE) {
            return;
        }
        long now;
        try {
            now = rtcSeconds.getAsLong();
        } catch (final RtcException e) {
            LOG.warn("{}: cannot read the RTC to confirm the alarm at {} fired ({}); telling the listener anyway",
                    name, target, e.getMessage());
            now = target;
        }
        synchronized (this) {
            if (targetSec != target) {
                return;
            }
            if (now < target) {
                LOG.debug("{}: RTC at {} has not reached the alarm at {} yet; checking again", name, now, target);
                armIn(target - now);
                return;
            }
            targetSec = NONE;
        }
        fired.run();
    }

    /** Stops the watch thread and closes its timerfd. */
    @Override
    public void close() {
        watcher.close();
        nat.closeQuietly(timerFd, "watch timerfd");
    }
}
