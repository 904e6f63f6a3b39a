package dev.valarm.rtc.linux;

import dev.valarm.Errno;
import dev.valarm.Timespec;
import dev.valarm.rtc.linux.internal.AlarmSlot;
import dev.valarm.rtc.linux.internal.LinuxAbi;
import dev.valarm.rtc.linux.internal.Native;
import dev.valarm.rtc.linux.internal.RtcAlarmWatch;
import dev.valarm.rtc.linux.internal.RtcCalendar;
import dev.valarm.rtc.linux.internal.RtcParam;
import dev.valarm.rtc.linux.internal.RtcTime;
import dev.valarm.rtc.linux.internal.RtcWkAlrm;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeAlarm;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wake alarm of an RTC character device ({@code /dev/rtcN}) driven through its ioctls.
 *
 * <p><b>Never holds the device.</b> The kernel lets one process open {@code /dev/rtcN} at a time, and
 * hwclock, rtcwake and chronyd need it too; so every operation opens the device, issues its ioctls and
 * closes it at once. {@code EBUSY} (someone else has it open) is retried with a bounded backoff (about
 * 0.3 s in all), then reported as an {@link RtcException} with errno EBUSY.
 *
 * <p><b>Programming.</b> {@link #programAlarm} rounds the target up to the chip's alarm resolution (a whole
 * second; 2 s or a minute where the driver says so through {@code RTC_PARAM_GET}), reads the RTC's
 * clock ({@code RTC_RD_TIME}), clamps the target to the furthest alarm the chip takes (24 h - 1 s by
 * default, the plain MC146818 limit; configurable; when the chip answers {@code EINVAL} for a larger
 * window the window shrinks to the next known rtc-cmos window, 28 days - 1 s or 24 h - 1 s, and the call
 * retries), and writes it with {@code RTC_WKALM_SET} (time and enable in one call). A clamped alarm wakes
 * the machine early and the device re-arms on that wake. Cancelling writes {@code RTC_WKALM_SET} with
 * {@code enabled = 0} and a valid time, never {@code RTC_AIE_OFF} (which would also switch off the
 * kernel's own alarm timers on that RTC).
 *
 * <p><b>Read-back.</b> Every programming, cancel and {@link #readAlarm} reads the slot with
 * {@code RTC_WKALM_RD} and compares it with what we last programmed: the slot is shared with rtcwake,
 * the sysfs {@code wakealarm} file and other tools, and a replaced or disabled alarm is logged (WARN) and
 * counted ({@link #alarmsReplaced()}). A replaced alarm is not cancelled by {@link #cancelAlarm} (it is
 * someone else's); the next {@link #programAlarm} overwrites it.
 *
 * <p><b>Noticing the alarm fire.</b> A blocking {@code read} or {@code poll} for {@code RTC_AF} would
 * need the device held open, which the rule above forbids. The device is level-triggered instead: it
 * re-reads its clocks after every wake and fires due alarms from its own timers while the machine is
 * awake, and the RTC alarm matters only to end a suspend. So this backend tells its alarm listener from a
 * small watch thread: a {@code CLOCK_BOOTTIME} timerfd (which counts through suspend) armed for the
 * alarm second plus 150 ms; when it expires the RTC's clock is read again (open, read, close) and the
 * listener runs once the RTC has reached the alarm second (if the RTC runs slow the check is re-armed).
 * The listener is therefore told at most ~1.2 s after the RTC's alarm second, and at once after a resume
 * that the alarm caused. The interrupt itself is not consumed: hold-free detection was preferred over
 * interrupt-exact detection.
 *
 * <p>The path may be any file that answers the RTC ioctls, a character device or a regular file (an RTC
 * emulated through FUSE, say); the file type is not checked.
 *
 * <p>Thread-safety: thread-safe; operations are serialised on one lock. The alarm listener runs on the
 * watch thread.
 */
public final class RtcDeviceBackend implements RtcBackend {
    private static final Logger LOG = LoggerFactory.getLogger(RtcDeviceBackend.class);

    /** The default furthest alarm: 24 h - 1 s, what a plain MC146818 (rtc-cmos without day alarm) takes. */
    public static final Duration DEFAULT_MAX_ALARM_AHEAD = Duration.ofSeconds(AlarmSlot.DAY_WINDOW);

    /** The backend name reported by probes and accepted by the provider. */
    public static final String NAME = "rtc-device";

    /** The default sysfs RTC class directory. */
    static final Path SYS_CLASS_RTC = Paths.get("/sys/class/rtc");

    private static final Pattern RTC_NAME = Pattern.compile("rtc[0-9]+");

    private final Native nat;
    private final String path;
    private final String name;
    private final boolean canWake;
    private final long resolutionSec;
    private final long features;
    private final Object lock = new Object();
    private final AlarmSlot slot;
    private final RtcAlarmWatch watch;
    private volatile Runnable listener;
    private volatile boolean closed;

    /**
     * Opens the RTC at {@code device} with the default furthest alarm (24 h - 1 s).
     *
     * @param device the device path, such as {@code /dev/rtc0}, or any file that answers the RTC ioctls;
     *        not null
     * @throws RtcException if libc cannot be bound, or the device cannot be opened or its clock read
     *         (ENOENT, EACCES, EBUSY after retries, ENOTTY for a file that is not an RTC ...)
     */
    public RtcDeviceBackend(final Path device) {
        this(device, DEFAULT_MAX_ALARM_AHEAD);
    }

    /**
     * Opens the RTC at {@code device}.
     *
     * @param device the device path, not null
     * @param maxAlarmAhead the furthest alarm the chip is believed to take, at least 1 s; larger values
     *        shrink by themselves when the chip answers EINVAL
     * @throws IllegalArgumentException if {@code maxAlarmAhead} is below 1 s
     * @throws RtcException if libc cannot be bound, or the device cannot be opened or its clock read
     */
    public RtcDeviceBackend(final Path device, final Duration maxAlarmAhead) {
        this(device, maxAlarmAhead, null);
    }

    /**
     * Opens the RTC at {@code device}, declaring whether it can wake the machine. Use it for an RTC that
     * sysfs does not describe (an emulated chip behind a regular file, a device node outside
     * {@code /dev/rtcN}): otherwise such a device is taken as unable to wake and the device never programs
     * it. A driver that reports no alarm feature still cannot wake, whatever is declared.
     *
     * @param device the device path, not null
     * @param maxAlarmAhead the furthest alarm the chip is believed to take, at least 1 s
     * @param canWake whether the RTC can wake the machine; null to ask sysfs
     * @throws IllegalArgumentException if {@code maxAlarmAhead} is below 1 s
     * @throws RtcException if libc cannot be bound, or the device cannot be opened or its clock read
     */
    public RtcDeviceBackend(final Path device, final Duration maxAlarmAhead, final Boolean canWake) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(maxAlarmAhead, "maxAlarmAhead");
        this.path = device.toString();
        this.name = NAME + "(" + path + ")";
        this.slot = new AlarmSlot(name, maxAlarmAhead);
        this.nat = Native.get();
        this.features = withDevice(fd -> {
            readSeconds(fd);
            return readFeatures(nat, fd);
        });
        this.resolutionSec = resolutionSeconds(features);
        final boolean hasAlarm = features < 0 || (features & (1L << LinuxAbi.RTC_FEATURE_ALARM)) != 0;
        if (!hasAlarm) {
            LOG.warn("{}: the driver reports no usable alarm (RTC_FEATURE_ALARM clear, features 0x{}); "
                    + "it cannot wake the machine and RTC_WKALM_SET will fail", name, Long.toHexString(features));
        }
        this.canWake = hasAlarm && (canWake != null ? canWake : sysfsWakeupEnabled(device, SYS_CLASS_RTC));
        this.watch = new RtcAlarmWatch(nat, name, this::rtcSecondsForWatch, this::alarmFired);
        LOG.info("{}: opened (can wake: {}, resolution {} s, furthest alarm {} s, features {})", name, canWake,
                resolutionSec, slot.maxAheadSec(), features < 0 ? "unknown" : "0x" + Long.toHexString(features));
    }

    /**
     * The driver's {@code RTC_FEATURE_*} bitmask through {@code RTC_PARAM_GET}, or -1 where the kernel
     * (before 5.16) or the device (an emulator) does not answer it.
     */
    private static long readFeatures(final Native n, final int fd) {
        final RtcParam p = new RtcParam(n.runtime());
        p.param.set(LinuxAbi.RTC_PARAM_FEATURES);
        if (n.libc().ioctl(fd, LinuxAbi.RTC_PARAM_GET, p) == 0) {
            return p.uvalue.get();
        }
        final int err = n.errno();
        LOG.debug("RTC_PARAM_GET(features) answered {}; assuming a 1 s alarm", Errno.name(err));
        return -1;
    }

    private static long resolutionSeconds(final long features) {
        if (features < 0) {
            return 1;
        }
        if ((features & (1L << LinuxAbi.RTC_FEATURE_ALARM_RES_MINUTE)) != 0) {
            return 60;
        }
        return (features & (1L << LinuxAbi.RTC_FEATURE_ALARM_RES_2S)) != 0 ? 2 : 1;
    }

    /**
     * The RTC device to use by default: the first {@code /dev/rtcN} whose parent device may wake the
     * machine ({@code /sys/class/rtc/rtcN/device/power/wakeup} reads {@code enabled}), else
     * {@code /dev/rtc0}.
     *
     * @return the path (it may not exist)
     */
    public static Path defaultDevice() {
        return defaultDevice(SYS_CLASS_RTC, Paths.get("/dev"));
    }

    static Path defaultDevice(final Path sysClassRtc, final Path dev) {
        for (final String rtc : rtcNames(sysClassRtc)) {
            if (wakeupEnabled(sysClassRtc.resolve(rtc))) {
                return dev.resolve(rtc);
            }
        }
        return dev.resolve("rtc0");
    }

    /**
     * The {@code rtcN} entries of a sysfs RTC class directory, sorted by number.
     *
     * @param sysClassRtc the directory
     * @return the names; empty if the directory is missing
     */
    static List<String> rtcNames(final Path sysClassRtc) {
        final List<String> names = new ArrayList<>();
        if (!Files.isDirectory(sysClassRtc)) {
            return names;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(sysClassRtc)) {
            for (final Path p : ds) {
                final String n = p.getFileName().toString();
                if (RTC_NAME.matcher(n).matches()) {
                    names.add(n);
                }
            }
        } catch (final IOException e) {
            LOG.debug("cannot list {}: {}", sysClassRtc, e.toString());
        }
        names.sort((a, b) -> Integer.compare(Integer.parseInt(a.substring(3)), Integer.parseInt(b.substring(3))));
        return names;
    }

    static boolean wakeupEnabled(final Path sysRtcDir) {
        try {
            return "enabled".equals(Files.readString(sysRtcDir.resolve("device/power/wakeup")).trim());
        } catch (final IOException e) {
            return false;
        }
    }

    private static boolean sysfsWakeupEnabled(final Path device, final Path sysClassRtc) {
        Path real = device;
        try {
            real = device.toRealPath();
        } catch (final IOException e) {
            // keep the given path
        }
        final Path fileName = real.getFileName();
        if (fileName == null || !RTC_NAME.matcher(fileName.toString()).matches()) {
            return false;
        }
        return wakeupEnabled(sysClassRtc.resolve(fileName.toString()));
    }

    /**
     * Checks a device without keeping it open and without writing: open, {@code RTC_RD_TIME},
     * {@code RTC_WKALM_RD}, close.
     *
     * @param provider the provider name to report
     * @param device the device path
     * @return the probe
     */
    static BackendProbe probe(final String provider, final Path device) {
        final Native n;
        try {
            n = Native.get();
        } catch (final RtcException e) {
            return new BackendProbe(provider, NAME, false, false, e.getMessage());
        }
        if (!Files.exists(device)) {
            return new BackendProbe(provider, NAME, false, false, device + " does not exist (no RTC device)");
        }
        try {
            final int fd = n.open(device.toString(), LinuxAbi.O_RDONLY | LinuxAbi.O_CLOEXEC);
            try {
                n.ioctl(fd, LinuxAbi.RTC_RD_TIME, new RtcTime(n.runtime()), "ioctl(RTC_RD_TIME) on " + device);
                n.ioctl(fd, LinuxAbi.RTC_WKALM_RD, new RtcWkAlrm(n.runtime()), "ioctl(RTC_WKALM_RD) on " + device);
                final long f = readFeatures(n, fd);
                if (f >= 0 && (f & (1L << LinuxAbi.RTC_FEATURE_ALARM)) == 0) {
                    return new BackendProbe(provider, NAME, false, false, device + " answers, but its driver reports "
                            + "no usable alarm (RTC_FEATURE_ALARM clear in RTC_PARAM_GET features 0x"
                            + Long.toHexString(f) + ")");
                }
            } finally {
                n.closeQuietly(fd, device.toString());
            }
        } catch (final RtcException e) {
            return new BackendProbe(provider, NAME, false, false, e.getMessage());
        }
        final boolean wake = sysfsWakeupEnabled(device, SYS_CLASS_RTC);
        return new BackendProbe(provider, NAME, true, wake, device + " answers RTC_RD_TIME and RTC_WKALM_RD; "
                + (wake ? "sysfs device/power/wakeup is enabled" : "sysfs does not say it may wake the machine"));
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Resolution 1 s, or 2 s / 60 s when the driver reports {@code RTC_FEATURE_ALARM_RES_2S} /
     * {@code RTC_FEATURE_ALARM_RES_MINUTE} through {@code RTC_PARAM_GET}; the furthest alarm as configured, or smaller once the chip refused a larger one
     * with EINVAL; can wake when sysfs says the RTC's parent device may wake the machine (false for a
     * path that is not a {@code /dev/rtcN}, and false when the driver reports no alarm); can set time.
     */
    @Override
    public RtcCapabilities capabilities() {
        return new RtcCapabilities(Duration.ofSeconds(resolutionSec), Duration.ofSeconds(slot.maxAheadSec()), canWake,
                true);
    }

    /**
     * The device path.
     *
     * @return the path as given
     */
    public String device() {
        return path;
    }

    /**
     * How many times another writer was seen to replace or disable the alarm this backend programmed.
     *
     * @return the count
     */
    public long alarmsReplaced() {
        return slot.replacedCount();
    }

    @Override
    public Timespec readTime() {
        return Timespec.ofSeconds(withDevice(this::readSeconds));
    }

    private long rtcSecondsForWatch() {
        return withDevice(this::readSeconds);
    }

    private long readSeconds(final int fd) {
        final RtcTime tm = new RtcTime(nat.runtime());
        final String op = "ioctl(RTC_RD_TIME) on " + path;
        nat.ioctl(fd, LinuxAbi.RTC_RD_TIME, tm, op);
        return RtcCalendar.toEpochSeconds(tm, op);
    }

    @Override
    public void setTime(final Timespec time) {
        Objects.requireNonNull(time, "time");
        final RtcTime tm = new RtcTime(nat.runtime());
        RtcCalendar.fill(time.seconds(), tm);
        withDevice(fd -> {
            nat.ioctl(fd, LinuxAbi.RTC_SET_TIME, tm, "ioctl(RTC_SET_TIME) on " + path);
            return 0L;
        });
        LOG.info("{}: RTC set to {}", name, time.seconds());
    }

    @Override
    public void programAlarm(final Timespec time) {
        Objects.requireNonNull(time, "time");
        final long target = AlarmSlot.roundUp(time.seconds(), time.nanos(), resolutionSec);
        withDevice(fd -> {
            final long now = readSeconds(fd);
            final RtcWkAlrm cur = readAlarm(fd);
            slot.stillOurs(cur.enabled.get() != 0, alarmSeconds(cur), now);
            long programmed = slot.clamp(target, now);
            final String op = "ioctl(RTC_WKALM_SET) on " + path;
            while (true) {
                final RtcWkAlrm alarm = new RtcWkAlrm(nat.runtime());
                alarm.enabled.set((short) 1);
                RtcCalendar.fill(programmed, alarm.time);
                try {
                    nat.ioctl(fd, LinuxAbi.RTC_WKALM_SET, alarm, op);
                    break;
                } catch (final RtcException e) {
                    if (e.errno() == Errno.EINVAL && slot.learnFromEinval(programmed - now)) {
                        programmed = slot.clamp(target, now);
                        continue;
                    }
                    LOG.warn("{}: programming the alarm at {} (RTC clock {}) failed: {}", name, programmed, now,
                            e.getMessage());
                    throw e;
                }
            }
            final RtcWkAlrm back = readAlarm(fd);
            final long backSec = alarmSeconds(back);
            if (programmed <= now) {
                LOG.debug("{}: alarm at {} is not after the RTC clock {}: the kernel fires it at once", name,
                        programmed, now);
            } else if (back.enabled.get() == 0 && backSec == programmed && programmed <= readSeconds(fd)) {
                // Our own alarm, for the next second, came due while we programmed it: the kernel fired it.
                LOG.debug("{}: alarm at {} fired while it was being programmed", name, programmed);
            } else if (back.enabled.get() == 0 || backSec != programmed) {
                LOG.warn("{}: read-back after RTC_WKALM_SET differs: wrote enabled at {}, read enabled={} at {} "
                        + "(the chip may round, or another writer raced us)", name, programmed,
                        back.enabled.get(), backSec);
            }
            slot.programmed(back.enabled.get() != 0 ? backSec : programmed);
            watch.arm(programmed, now);
            LOG.debug("{}: alarm programmed at {} (asked {}, RTC clock {})", name, programmed, time, now);
            return 0L;
        });
    }

    @Override
    public void cancelAlarm() {
        withDevice(fd -> {
            final long now = readSeconds(fd);
            final RtcWkAlrm cur = readAlarm(fd);
            if (slot.stillOurs(cur.enabled.get() != 0, alarmSeconds(cur), now)) {
                final RtcWkAlrm off = new RtcWkAlrm(nat.runtime());
                off.enabled.set((short) 0);
                final long when = RtcCalendar.isValid(cur.time) ? alarmSeconds(cur) : now;
                RtcCalendar.fill(when, off.time);
                nat.ioctl(fd, LinuxAbi.RTC_WKALM_SET, off, "ioctl(RTC_WKALM_SET, enabled=0) on " + path);
                LOG.debug("{}: alarm at {} cancelled", name, when);
            }
            slot.cleared();
            watch.disarm(now);
            return 0L;
        });
    }

    @Override
    public WakeAlarm readAlarm() {
        return withDevice(fd -> {
            final long now = readSeconds(fd);
            final RtcWkAlrm cur = readAlarm(fd);
            final boolean enabled = cur.enabled.get() != 0;
            final boolean pending = cur.pending.get() != 0;
            slot.stillOurs(enabled, alarmSeconds(cur), now);
            if (!RtcCalendar.isValid(cur.time)) {
                if (enabled) {
                    throw Native.fail(Errno.EIO, "ioctl(RTC_WKALM_RD) on " + path,
                            "enabled alarm with an invalid time " + RtcCalendar.describe(cur.time));
                }
                return new WakeAlarm(false, pending, Timespec.ZERO);
            }
            return new WakeAlarm(enabled, pending, Timespec.ofSeconds(alarmSeconds(cur)));
        });
    }

    private RtcWkAlrm readAlarm(final int fd) {
        final RtcWkAlrm alarm = new RtcWkAlrm(nat.runtime());
        nat.ioctl(fd, LinuxAbi.RTC_WKALM_RD, alarm, "ioctl(RTC_WKALM_RD) on " + path);
        return alarm;
    }

    private static long alarmSeconds(final RtcWkAlrm alarm) {
        return RtcCalendar.isValid(alarm.time) ? RtcCalendar.toEpochSeconds(alarm.time, "rtc_wkalrm") : AlarmSlot.NONE;
    }

    @Override
    public void setAlarmListener(final Runnable listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    private void alarmFired() {
        final Runnable l = listener;
        LOG.debug("{}: alarm second reached", name);
        if (l != null) {
            l.run();
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        watch.close();
        LOG.info("{}: closed", name);
    }

    /** One open-ioctl(s)-close round; serialised. */
    private <T> T withDevice(final DeviceCall<T> op) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("backend is closed: " + name);
            }
            final int fd = nat.open(path, LinuxAbi.O_RDONLY | LinuxAbi.O_CLOEXEC);
            try {
                return op.run(fd);
            } finally {
                nat.closeQuietly(fd, path);
            }
        }
    }

    @FunctionalInterface
    private interface DeviceCall<T> {
        T run(int fd);
    }
}
