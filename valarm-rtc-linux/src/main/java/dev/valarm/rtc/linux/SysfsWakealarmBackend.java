package dev.valarm.rtc.linux;

import dev.valarm.Errno;
import dev.valarm.Timespec;
import dev.valarm.rtc.linux.internal.AlarmSlot;
import dev.valarm.rtc.linux.internal.Native;
import dev.valarm.rtc.linux.internal.RtcAlarmWatch;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeAlarm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wake alarm through sysfs: {@code /sys/class/rtc/rtcN/wakealarm} (absolute RTC epoch seconds) and
 * {@code since_epoch} (the RTC's clock). It is the same single slot as the device's
 * {@code RTC_WKALM_SET}, reachable where {@code /dev/rtcN} is not (held by another process, or absent
 * from a container's {@code /dev}); writing needs root (the file is 0644).
 *
 * <p><b>Programming</b> writes {@code 0} (which disables any alarm) and then the new absolute second: the
 * kernel refuses a future value with {@code EBUSY} while an alarm is enabled. If another writer slips in
 * between (EBUSY again), the pair is retried twice more, then EBUSY is reported. A target at or before
 * the RTC's clock becomes the next second (sysfs would read it as "disable"). The target is rounded up
 * to a whole second and clamped to the furthest alarm (24 h - 1 s by default, shrinking on EINVAL like
 * {@link RtcDeviceBackend}); the value is read back, and a replaced or disabled alarm is logged and
 * counted. Cancelling writes {@code 0}.
 *
 * <p>Between the two writes the RTC holds no alarm: in the kernel's {@code wakealarm_store} a value at or
 * before the RTC's clock is {@code rtc_set_alarm} with enabled = 0, which dequeues the user alarm
 * ({@code aie_timer}) and, with no other RTC timer queued, disables the chip's alarm interrupt
 * ({@code rtc_timer_remove}); only the second write enqueues and programs the new one. A reader in between
 * sees {@code wakealarm} empty, and a suspend that freezes the writing thread in between sleeps without a wake
 * alarm. So a write the device does not need is not harmless here (it writes only when the wanted second
 * changes); {@link RtcDeviceBackend}'s {@code RTC_WKALM_SET} replaces the alarm in one call.
 *
 * <p><b>Firing</b> is noticed like in {@link RtcDeviceBackend}: a {@code CLOCK_BOOTTIME} timer checks
 * {@code since_epoch} at the alarm second and calls the listener once it has passed.
 *
 * <p>The RTC's time cannot be set through sysfs ({@code canSetTime} is false).
 *
 * <p>Thread-safety: thread-safe; operations are serialised on one lock; the listener runs on the watch
 * thread.
 */
public final class SysfsWakealarmBackend implements RtcBackend {
    private static final Logger LOG = LoggerFactory.getLogger(SysfsWakealarmBackend.class);

    /** The backend name reported by probes and accepted by the provider. */
    public static final String NAME = "sysfs-wakealarm";

    private static final int BUSY_ATTEMPTS = 3;

    private final Native nat;
    private final Path dir;
    private final String wakealarm;
    private final String sinceEpoch;
    private final String name;
    private final boolean canWake;
    private final Object lock = new Object();
    private final AlarmSlot slot;
    private final RtcAlarmWatch watch;
    private volatile Runnable listener;
    private volatile boolean closed;

    /**
     * Uses the RTC whose sysfs directory is {@code rtcDir}, with the default furthest alarm (24 h - 1 s).
     *
     * @param rtcDir such as {@code /sys/class/rtc/rtc0}; not null
     * @throws RtcException ENOENT if it has no {@code wakealarm} file (the RTC cannot wake the machine),
     *         or the errno of reading {@code since_epoch}
     */
    public SysfsWakealarmBackend(final Path rtcDir) {
        this(rtcDir, RtcDeviceBackend.DEFAULT_MAX_ALARM_AHEAD);
    }

    /**
     * Uses the RTC whose sysfs directory is {@code rtcDir}.
     *
     * @param rtcDir such as {@code /sys/class/rtc/rtc0}; not null
     * @param maxAlarmAhead the furthest alarm the chip is believed to take, at least 1 s
     * @throws IllegalArgumentException if {@code maxAlarmAhead} is below 1 s
     * @throws RtcException ENOENT if it has no {@code wakealarm} file, or the errno of reading
     *         {@code since_epoch}
     */
    public SysfsWakealarmBackend(final Path rtcDir, final Duration maxAlarmAhead) {
        Objects.requireNonNull(rtcDir, "rtcDir");
        Objects.requireNonNull(maxAlarmAhead, "maxAlarmAhead");
        this.dir = rtcDir;
        this.wakealarm = rtcDir.resolve("wakealarm").toString();
        this.sinceEpoch = rtcDir.resolve("since_epoch").toString();
        this.name = NAME + "(" + rtcDir + ")";
        this.slot = new AlarmSlot(name, maxAlarmAhead);
        this.nat = Native.get();
        if (!Files.exists(rtcDir.resolve("wakealarm"))) {
            throw new RtcException(Errno.ENOENT, "open(" + wakealarm + ")",
                    "no wakealarm file: this RTC cannot wake the machine (or the path is not an RTC's sysfs dir)");
        }
        readSeconds();
        this.canWake = RtcDeviceBackend.wakeupEnabled(rtcDir);
        this.watch = new RtcAlarmWatch(nat, name, this::readSeconds, this::alarmFired);
        LOG.info("{}: opened (can wake: {}, furthest alarm {} s)", name, canWake, slot.maxAheadSec());
    }

    /**
     * The default sysfs RTC directory: the first {@code /sys/class/rtc/rtcN} with a {@code wakealarm}
     * file whose device may wake the machine, else the first with a {@code wakealarm} file, else
     * {@code /sys/class/rtc/rtc0}.
     *
     * @return the directory (it may not exist)
     */
    public static Path defaultRtcDir() {
        return defaultRtcDir(RtcDeviceBackend.SYS_CLASS_RTC);
    }

    static Path defaultRtcDir(final Path sysClassRtc) {
        Path first = null;
        for (final String rtc : RtcDeviceBackend.rtcNames(sysClassRtc)) {
            final Path d = sysClassRtc.resolve(rtc);
            if (Files.exists(d.resolve("wakealarm"))) {
                if (RtcDeviceBackend.wakeupEnabled(d)) {
                    return d;
                }
                if (first == null) {
                    first = d;
                }
            }
        }
        return first != null ? first : sysClassRtc.resolve("rtc0");
    }

    /**
     * Checks this backend on this machine without writing anything.
     *
     * @param provider the provider name to report
     * @param rtcDir the sysfs RTC directory
     * @return the probe
     */
    static BackendProbe probe(final String provider, final Path rtcDir) {
        final String label = NAME;
        if (!Files.isDirectory(rtcDir)) {
            return new BackendProbe(provider, label, false, false, rtcDir + " does not exist (no RTC in sysfs)");
        }
        final Path wa = rtcDir.resolve("wakealarm");
        if (!Files.exists(wa)) {
            return new BackendProbe(provider, label, false, false, wa + " does not exist: this RTC cannot wake");
        }
        if (!Files.isWritable(wa)) {
            return new BackendProbe(provider, label, false, false, wa + " is not writable (needs root)");
        }
        try {
            Native.get().readSmallFile(rtcDir.resolve("since_epoch").toString());
        } catch (final RtcException e) {
            return new BackendProbe(provider, label, false, false, e.getMessage());
        }
        final boolean wake = RtcDeviceBackend.wakeupEnabled(rtcDir);
        return new BackendProbe(provider, label, true, wake, wa + " is writable; device/power/wakeup "
                + (wake ? "is enabled" : "is not enabled: the alarm will not wake the machine"));
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Resolution 1 s, the furthest alarm as configured (smaller once the chip refused a larger one),
     * can wake when {@code device/power/wakeup} is enabled, cannot set time.
     */
    @Override
    public RtcCapabilities capabilities() {
        return new RtcCapabilities(Duration.ofSeconds(1), Duration.ofSeconds(slot.maxAheadSec()), canWake, false);
    }

    /**
     * The sysfs directory.
     *
     * @return the directory as given
     */
    public Path rtcDir() {
        return dir;
    }

    /**
     * How many times another writer was seen to replace or disable the alarm this backend programmed.
     *
     * @return the count
     */
    public long alarmsReplaced() {
        return slot.replacedCount();
    }

    private long readSeconds() {
        final String s = nat.readSmallFile(sinceEpoch);
        try {
            return Long.parseLong(s);
        } catch (final NumberFormatException e) {
            throw new RtcException(Errno.EIO, "read(" + sinceEpoch + ")", "not a number: \"" + s + "\"", e);
        }
    }

    /**
     * The wakealarm content: the armed second, or {@link AlarmSlot#NONE} when empty (disabled; a value at
     * or below 0, which the kernel never shows, counts as disabled too).
     */
    private long readWakealarm() {
        final String s = nat.readSmallFile(wakealarm);
        if (s.isEmpty()) {
            return AlarmSlot.NONE;
        }
        try {
            final long v = Long.parseLong(s);
            return v <= 0 ? AlarmSlot.NONE : v;
        } catch (final NumberFormatException e) {
            throw new RtcException(Errno.EIO, "read(" + wakealarm + ")", "not a number: \"" + s + "\"", e);
        }
    }

    @Override
    public Timespec readTime() {
        synchronized (lock) {
            checkOpen();
            return Timespec.ofSeconds(readSeconds());
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws RtcException EOPNOTSUPP always: sysfs cannot set the RTC; use {@link RtcDeviceBackend}
     */
    @Override
    public void setTime(final Timespec time) {
        Objects.requireNonNull(time, "time");
        throw new RtcException(Errno.EOPNOTSUPP, name + " setTime", "sysfs cannot set the RTC's clock");
    }

    @Override
    public void programAlarm(final Timespec time) {
        Objects.requireNonNull(time, "time");
        final long target = AlarmSlot.roundUp(time.seconds(), time.nanos());
        synchronized (lock) {
            checkOpen();
            final long now = readSeconds();
            final long cur = readWakealarm();
            slot.stillOurs(cur != AlarmSlot.NONE, cur, now);
            long programmed = slot.clamp(target, now);
            if (programmed <= now) {
                // sysfs treats a value at or before now as "disable": ask for the next second instead.
                LOG.debug("{}: alarm at {} is not after the RTC clock {}; programming {}", name, programmed, now,
                        now + 1);
                programmed = now + 1;
            }
            int busy = 0;
            while (true) {
                nat.writeSmallFile(wakealarm, "0");
                try {
                    nat.writeSmallFile(wakealarm, Long.toString(programmed));
                    break;
                } catch (final RtcException e) {
                    if (e.errno() == Errno.EBUSY && ++busy < BUSY_ATTEMPTS) {
                        LOG.info("{}: another writer armed the alarm between our writes; retrying", name);
                        continue;
                    }
                    if (e.errno() == Errno.EINVAL && slot.learnFromEinval(programmed - now)) {
                        programmed = slot.clamp(target, now);
                        continue;
                    }
                    LOG.warn("{}: programming the alarm at {} (RTC clock {}) failed: {}", name, programmed, now,
                            e.getMessage());
                    throw e;
                }
            }
            final long back = readWakealarm();
            if (back != programmed) {
                LOG.warn("{}: read-back of wakealarm differs: wrote {}, read {}", name, programmed,
                        back == AlarmSlot.NONE ? "(disabled)" : Long.toString(back));
            }
            slot.programmed(back != AlarmSlot.NONE ? back : programmed);
            watch.arm(programmed, now);
            LOG.debug("{}: alarm programmed at {} (asked {}, RTC clock {})", name, programmed, time, now);
        }
    }

    @Override
    public void cancelAlarm() {
        synchronized (lock) {
            checkOpen();
            final long now = readSeconds();
            final long cur = readWakealarm();
            if (slot.stillOurs(cur != AlarmSlot.NONE, cur, now)) {
                nat.writeSmallFile(wakealarm, "0");
            }
            slot.cleared();
            watch.disarm(now);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>sysfs does not expose {@code pending}: it is always false.
     */
    @Override
    public WakeAlarm readAlarm() {
        synchronized (lock) {
            checkOpen();
            final long now = readSeconds();
            final long cur = readWakealarm();
            slot.stillOurs(cur != AlarmSlot.NONE, cur, now);
            return cur == AlarmSlot.NONE ? WakeAlarm.DISABLED : new WakeAlarm(true, false, Timespec.ofSeconds(cur));
        }
    }

    @Override
    public void setAlarmListener(final Runnable listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    private void alarmFired() {
        final Runnable l = listener;
        if (l != null) {
            l.run();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("backend is closed: " + name);
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
}
