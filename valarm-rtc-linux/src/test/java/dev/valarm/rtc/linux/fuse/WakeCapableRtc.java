package dev.valarm.rtc.linux.fuse;

import dev.valarm.Timespec;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.WakeAlarm;
import java.util.Objects;

/**
 * Declares an RTC backend able to wake the machine. {@code RtcDeviceBackend} takes that from sysfs
 * ({@code /sys/class/rtc/rtcN/device/power/wakeup}), which an emulated file does not have, and the device
 * never writes to a backend that cannot wake; the emulated chip stands for one that can.
 *
 * <p>Thread-safety: as thread-safe as the wrapped backend.
 */
final class WakeCapableRtc implements RtcBackend {
    private final RtcBackend delegate;

    WakeCapableRtc(final RtcBackend delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public RtcCapabilities capabilities() {
        final RtcCapabilities c = delegate.capabilities();
        return new RtcCapabilities(c.resolution(), c.maxAlarmAhead(), true, c.canSetTime());
    }

    @Override
    public Timespec readTime() {
        return delegate.readTime();
    }

    @Override
    public void setTime(final Timespec time) {
        delegate.setTime(time);
    }

    @Override
    public void programAlarm(final Timespec time) {
        delegate.programAlarm(time);
    }

    @Override
    public void cancelAlarm() {
        delegate.cancelAlarm();
    }

    @Override
    public WakeAlarm readAlarm() {
        return delegate.readAlarm();
    }

    @Override
    public void setAlarmListener(final Runnable listener) {
        delegate.setAlarmListener(listener);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
