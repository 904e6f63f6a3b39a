package dev.valarm.impl.jdk;

import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.Timespec;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeAlarm;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RTC backend of a machine with no reachable hardware RTC: it reads the host clock as "the RTC",
 * and its capabilities say it cannot wake the machine and cannot set time. It models a classic RTC chip
 * (1-second resolution, alarms at most 24 h - 1 s ahead), so the device's wake decisions, reported to a
 * {@link dev.valarm.impl.DeviceListener} as not written, look as they would on real hardware. The device never programs a
 * backend that cannot wake; a direct call to {@link #programAlarm} or {@link #setTime} fails with
 * EOPNOTSUPP and a log line.
 *
 * <p>Thread-safety: thread-safe (stateless apart from the clocks).
 */
public final class NoWakeRtcBackend implements RtcBackend {
    private static final Logger LOG = LoggerFactory.getLogger(NoWakeRtcBackend.class);
    private static final RtcCapabilities CAPS =
            new RtcCapabilities(Duration.ofSeconds(1), Duration.ofHours(24).minusSeconds(1), false, false);

    private final HostClocks clocks;

    /**
     * Creates the backend.
     *
     * @param clocks where "the RTC" time is read from, not null
     */
    public NoWakeRtcBackend(final HostClocks clocks) {
        this.clocks = Objects.requireNonNull(clocks, "clocks");
    }

    @Override
    public String name() {
        return "no-wake";
    }

    @Override
    public RtcCapabilities capabilities() {
        return CAPS;
    }

    @Override
    public Timespec readTime() {
        return Timespec.ofNanos(clocks.nanos(ClockBase.REALTIME));
    }

    @Override
    public void setTime(final Timespec time) {
        LOG.warn("no-wake RTC backend cannot set time (wanted {})", time);
        throw new RtcException(Errno.EOPNOTSUPP, "set RTC time", "the no-wake backend has no RTC to set (wanted " + time + ")");
    }

    @Override
    public void programAlarm(final Timespec time) {
        LOG.warn("no-wake RTC backend cannot program a wake alarm (wanted {})", time);
        throw new RtcException(Errno.EOPNOTSUPP, "program wake alarm",
                "the no-wake backend cannot wake the machine (wanted " + time + ")");
    }

    @Override
    public void cancelAlarm() {
        // nothing is ever programmed
    }

    @Override
    public WakeAlarm readAlarm() {
        return WakeAlarm.DISABLED;
    }

    @Override
    public void setAlarmListener(final Runnable listener) {
        Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void close() {
        // nothing to release
    }
}
