package dev.valarm.rtc.linux;

import dev.valarm.Errno;
import dev.valarm.Timespec;
import dev.valarm.rtc.linux.internal.ITimerSpec;
import dev.valarm.rtc.linux.internal.LinuxAbi;
import dev.valarm.rtc.linux.internal.Native;
import dev.valarm.rtc.linux.internal.NativeTimespec;
import dev.valarm.rtc.linux.internal.TimerfdWatcher;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeAlarm;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wake alarm as a {@code CLOCK_BOOTTIME_ALARM} timerfd: the kernel's alarmtimer multiplexes every
 * process's alarm timers, programs the RTC only at suspend (relative to its own clock, clamped to what
 * the chip takes), and owns the RTC's single slot without conflicts. This is the preferred backend
 * (systemd uses the same API for WakeSystem= timers).
 *
 * <p><b>Clock.</b> The "RTC clock" of this backend is {@code CLOCK_REALTIME}: {@link #readTime()} reads
 * it, and {@link #programAlarm} converts the absolute realtime target to BOOTTIME at the moment of the
 * call ({@code boot_now + (target - real_now)}), so a later wall-clock change does not move a programmed
 * wake (the device re-programs after a clock change anyway).
 *
 * <p><b>Needs.</b> {@code CAP_WAKE_ALARM} for {@code timerfd_create} and {@code timerfd_settime}: without
 * it the constructor throws {@link RtcException} EPERM (and logs a line), and the provider moves on to
 * the next backend. Whether an alarm can <em>wake</em> the machine depends on the kernel having chosen a
 * wake-capable RTC: {@code clock_gettime(CLOCK_BOOTTIME_ALARM)} fails with EINVAL when it has none, and
 * then {@link #capabilities()} says {@code canWake = false} (the timer still fires while the machine is
 * awake, like a BOOTTIME timer).
 *
 * <p><b>Furthest alarm.</b> At suspend the kernel programs the RTC with the time left on the earliest alarm
 * timer. Before Linux 6.7 it does not clamp that to what the chip holds: rtc_cmos refuses an alarm more
 * than 24 h - 1 s ahead with EINVAL, and then <em>every</em> suspend fails ("alarmtimer: PM: failed to
 * suspend: error -22"; seen on Debian's 6.1 kernel in the qemu tier). So this backend reports a furthest
 * alarm of 24 h - 1 s by default ({@link #DEFAULT_MAX_ALARM_AHEAD}, configurable): the device clamps a
 * later wakeup to it and re-arms after the early wake, exactly as for the RTC backends. (Newer kernels
 * clamp by themselves; the device's clamp is then harmless.)
 *
 * <p><b>Firing.</b> One daemon thread waits on the timerfd and calls the alarm listener on expiry.
 *
 * <p>Thread-safety: thread-safe; the listener runs on the watcher thread.
 */
public final class AlarmTimerBackend implements RtcBackend {
    private static final Logger LOG = LoggerFactory.getLogger(AlarmTimerBackend.class);

    /** The backend name reported by probes and accepted by the provider. */
    public static final String NAME = "alarm-timerfd";
    /**
     * The default furthest alarm: 24 h - 1 s, what rtc_cmos without a day-alarm register holds (kernels
     * before 6.7 refuse to suspend while an alarm timer is further ahead than the RTC holds).
     */
    public static final Duration DEFAULT_MAX_ALARM_AHEAD = RtcDeviceBackend.DEFAULT_MAX_ALARM_AHEAD;

    private final Native nat;
    private final int fd;
    private final Duration maxAhead;
    private final boolean canWake;
    private final String noWakeReason;
    private final ITimerSpec spec;
    private final TimerfdWatcher watcher;
    private volatile Runnable listener;
    private boolean closed;
    /** Whether the timer is armed: timerfd_gettime on a disarmed alarm timerfd reports stale values. */
    private boolean armed;

    /**
     * Opens a {@code CLOCK_BOOTTIME_ALARM} timerfd and its watcher thread, with the default furthest alarm
     * ({@link #DEFAULT_MAX_ALARM_AHEAD}).
     *
     * @throws RtcException EPERM without CAP_WAKE_ALARM, EOPNOTSUPP/ENOSYS if libc cannot be bound, or the
     *         errno of {@code timerfd_create}
     */
    public AlarmTimerBackend() {
        this(DEFAULT_MAX_ALARM_AHEAD);
    }

    /**
     * Opens a {@code CLOCK_BOOTTIME_ALARM} timerfd and its watcher thread.
     *
     * @param maxAlarmAhead the furthest ahead an alarm is programmed (the device clamps to it and re-arms
     *        after the early wake): what the RTC the kernel wakes through holds, at least 1 s; larger than
     *        that only on kernels that clamp by themselves (6.7 and later)
     * @throws IllegalArgumentException if {@code maxAlarmAhead} is below 1 s
     * @throws RtcException EPERM without CAP_WAKE_ALARM, EOPNOTSUPP/ENOSYS if libc cannot be bound, or the
     *         errno of {@code timerfd_create}
     */
    public AlarmTimerBackend(final Duration maxAlarmAhead) {
        Objects.requireNonNull(maxAlarmAhead, "maxAlarmAhead");
        if (maxAlarmAhead.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("maxAlarmAhead must be at least 1 s: " + maxAlarmAhead);
        }
        this.maxAhead = maxAlarmAhead;
        this.nat = Native.get();
        final int err = wakeProbe(nat);
        this.canWake = err == 0;
        this.noWakeReason = err == 0 ? null : "clock_gettime(CLOCK_BOOTTIME_ALARM) fails with " + Errno.name(err)
                + ": the kernel has no wake-capable RTC, so these timers fire only while the machine is awake";
        final int timerFd;
        try {
            timerFd = nat.timerfdCreate(LinuxAbi.CLOCK_BOOTTIME_ALARM, "CLOCK_BOOTTIME_ALARM");
        } catch (final RtcException e) {
            LOG.info("{} unusable: {}", NAME, e.getMessage());
            throw e;
        }
        this.fd = timerFd;
        this.spec = new ITimerSpec(nat.runtime());
        TimerfdWatcher w = null;
        try {
            w = TimerfdWatcher.start(nat, "valarm-" + NAME, fd, this::fired);
        } finally {
            if (w == null) {
                nat.closeQuietly(fd, "alarm timerfd");
            }
        }
        this.watcher = w;
        if (!canWake) {
            LOG.warn("{}: {}", NAME, noWakeReason);
        }
        LOG.info("{}: opened (can wake: {}, furthest alarm {} s)", NAME, canWake, maxAhead.getSeconds());
    }

    /**
     * 0 if the alarm clocks can wake this machine, else the errno of
     * {@code clock_gettime(CLOCK_BOOTTIME_ALARM)} (EINVAL: no wake-capable RTC).
     */
    static int wakeProbe(final Native nat) {
        final NativeTimespec ts = new NativeTimespec(nat.runtime());
        return nat.libc().clock_gettime(LinuxAbi.CLOCK_BOOTTIME_ALARM, ts) == 0 ? 0 : nat.errno();
    }

    /**
     * Checks this backend on this machine without keeping anything open.
     *
     * @param provider the provider name to report
     * @return the probe
     */
    static BackendProbe probe(final String provider) {
        final Native nat;
        try {
            nat = Native.get();
        } catch (final RtcException e) {
            return new BackendProbe(provider, NAME, false, false, e.getMessage());
        }
        final int wakeErr = wakeProbe(nat);
        final int fd = nat.libc().timerfd_create(LinuxAbi.CLOCK_BOOTTIME_ALARM, LinuxAbi.TFD_CLOEXEC);
        if (fd < 0) {
            final int err = nat.errno();
            return new BackendProbe(provider, NAME, false, wakeErr == 0, "timerfd_create(CLOCK_BOOTTIME_ALARM) fails "
                    + "with " + Errno.name(err) + (err == Errno.EPERM ? " (no CAP_WAKE_ALARM)" : "")
                    + (wakeErr == 0 ? "" : "; and clock_gettime(CLOCK_BOOTTIME_ALARM) fails with "
                            + Errno.name(wakeErr) + " (no wake-capable RTC)"));
        }
        nat.closeQuietly(fd, "probe timerfd");
        return new BackendProbe(provider, NAME, true, wakeErr == 0, wakeErr == 0
                ? "timerfd_create(CLOCK_BOOTTIME_ALARM) works and the kernel has a wake-capable RTC"
                : "timerfd_create(CLOCK_BOOTTIME_ALARM) works, but clock_gettime(CLOCK_BOOTTIME_ALARM) fails with "
                        + Errno.name(wakeErr) + ": no RTC can wake this machine (alarms fire only while awake)");
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Resolution 1 ns, the furthest alarm as configured (24 h - 1 s by default, see the class comment),
     * can wake if the kernel has a wake-capable RTC, cannot set time.
     */
    @Override
    public RtcCapabilities capabilities() {
        return new RtcCapabilities(Duration.ofNanos(1), maxAhead, canWake, false);
    }

    /**
     * Why alarms cannot wake this machine.
     *
     * @return the reason, or null if they can
     */
    public String noWakeReason() {
        return noWakeReason;
    }

    @Override
    public Timespec readTime() {
        return Timespec.ofNanos(clock(LinuxAbi.CLOCK_REALTIME, "CLOCK_REALTIME"));
    }

    private long clock(final int id, final String clockName) {
        final NativeTimespec ts = new NativeTimespec(nat.runtime());
        if (nat.libc().clock_gettime(id, ts) != 0) {
            throw Native.fail(nat.errno(), "clock_gettime(" + clockName + ")", "failed");
        }
        return ts.nanos();
    }

    /**
     * {@inheritDoc}
     *
     * @throws RtcException EOPNOTSUPP always: this backend does not own an RTC chip
     */
    @Override
    public void setTime(final Timespec time) {
        Objects.requireNonNull(time, "time");
        throw new RtcException(Errno.EOPNOTSUPP, NAME + " setTime",
                "the alarm-clock backend cannot set the RTC; use the rtc-device backend");
    }

    @Override
    public synchronized void programAlarm(final Timespec time) {
        Objects.requireNonNull(time, "time");
        checkOpen();
        final long real = clock(LinuxAbi.CLOCK_REALTIME, "CLOCK_REALTIME");
        final long boot = clock(LinuxAbi.CLOCK_BOOTTIME, "CLOCK_BOOTTIME");
        final long wanted = time.toNanos() - real;
        // Never further than the RTC holds (see the class comment): the device clamps already; a direct
        // caller gets the same early wake instead of a machine that cannot suspend.
        final long delta = Math.min(wanted, maxAhead.toNanos());
        if (delta < wanted) {
            LOG.debug("{}: alarm {} s ahead clamped to the furthest alarm, {} s", NAME, wanted / 1_000_000_000L,
                    maxAhead.getSeconds());
        }
        final long target = delta > 0 && boot > Long.MAX_VALUE - delta ? Long.MAX_VALUE - 1 : boot + delta;
        final int err = nat.timerfdSetAbsolute(fd, spec, target, 0);
        if (err != 0) {
            final RtcException e = Native.fail(err, "timerfd_settime(CLOCK_BOOTTIME_ALARM, " + target + " ns)",
                    "cannot program the alarm at " + time + (err == Errno.EPERM ? " (no CAP_WAKE_ALARM)" : ""));
            LOG.warn("{}", e.getMessage());
            throw e;
        }
        armed = true;
        LOG.debug("{}: alarm at realtime {} = boottime {} ns", NAME, time, target);
    }

    @Override
    public synchronized void cancelAlarm() {
        checkOpen();
        final int err = nat.timerfdSetAbsolute(fd, spec, Long.MAX_VALUE, 0);
        if (err != 0) {
            throw Native.fail(err, "timerfd_settime(CLOCK_BOOTTIME_ALARM, disarm)", "cannot cancel the alarm");
        }
        armed = false;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The time is {@code realtime now + remaining}, from {@code timerfd_gettime}; never pending (the
     * watcher consumes expiries at once). Whether the alarm is armed is tracked here, not asked from the
     * kernel: on a disarmed alarm-clock timerfd, {@code timerfd_gettime} keeps reporting the remaining time
     * of the cancelled alarm (seen on Linux 6.18).
     */
    @Override
    public synchronized WakeAlarm readAlarm() {
        checkOpen();
        if (!armed) {
            return WakeAlarm.DISABLED;
        }
        final ITimerSpec cur = new ITimerSpec(nat.runtime());
        if (nat.libc().timerfd_gettime(fd, cur) != 0) {
            throw Native.fail(nat.errno(), "timerfd_gettime(CLOCK_BOOTTIME_ALARM)", "failed");
        }
        final long remaining = Native.toNanos(cur.valueSec.get(), cur.valueNsec.get());
        if (remaining == 0) {
            return WakeAlarm.DISABLED;
        }
        return new WakeAlarm(true, false, Timespec.ofNanos(clock(LinuxAbi.CLOCK_REALTIME, "CLOCK_REALTIME")
                + remaining));
    }

    @Override
    public void setAlarmListener(final Runnable listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    private void fired() {
        synchronized (this) {
            // A programAlarm that raced with this expiry re-armed the timer: only a timer with nothing
            // left to run is disarmed (after an expiry the kernel reports 0 remaining).
            final ITimerSpec cur = new ITimerSpec(nat.runtime());
            if (closed || nat.libc().timerfd_gettime(fd, cur) != 0
                    || Native.toNanos(cur.valueSec.get(), cur.valueNsec.get()) == 0) {
                armed = false;
            }
        }
        LOG.debug("{}: alarm fired", NAME);
        final Runnable l = listener;
        if (l != null) {
            l.run();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("backend is closed: " + NAME);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        watcher.close();
        nat.closeQuietly(fd, "alarm timerfd");
        LOG.info("{}: closed", NAME);
    }
}
