package dev.valarm.spi;

import dev.valarm.Timespec;

/**
 * The machine's single hardware RTC wake alarm, as the device uses it.
 *
 * <p>The device reads the RTC's own time, computes the wake time relative to it, rounds it up to
 * {@link RtcCapabilities#resolution()} and clamps it to {@link RtcCapabilities#maxAlarmAhead()} before
 * calling {@link #programAlarm}; a backend may still refuse a value with {@link RtcException}
 * (EINVAL beyond what the chip takes). The device calls the programming methods from its dispatcher
 * thread only.
 *
 * @implSpec Implementations must be thread-safe, must report every failure as an {@link RtcException}
 *           carrying the errno and the operation (and log it), and must never fall back silently to doing
 *           less than asked. {@link #setAlarmListener} may be called once before any alarm is programmed.
 */
public interface RtcBackend extends AutoCloseable {

    /**
     * A short name, such as {@code "rtc-device(/dev/rtc0)"}.
     *
     * @return the name
     */
    String name();

    /**
     * What this backend can do.
     *
     * @return the capabilities; {@link RtcCapabilities#maxAlarmAhead()} may shrink once the backend
     *         learns the chip's real limit (from EINVAL), everything else is constant for its life
     */
    RtcCapabilities capabilities();

    /**
     * Reads the RTC's own clock (UTC).
     *
     * @return the RTC time
     * @throws RtcException if the read fails
     */
    Timespec readTime();

    /**
     * Sets the RTC's clock (UTC); sub-second parts may be dropped by the hardware.
     *
     * @param time the new time, not null
     * @throws RtcException if the write fails, or EOPNOTSUPP if {@code canSetTime} is false
     */
    void setTime(Timespec time);

    /**
     * Programs the one wake alarm at an absolute time on the RTC's clock, replacing any earlier one.
     *
     * @param time the alarm time on the RTC's clock, not null
     * @throws RtcException if programming fails (EINVAL beyond what the chip takes, EBUSY, EIO ...)
     */
    void programAlarm(Timespec time);

    /**
     * Cancels the wake alarm (a no-op if none is programmed).
     *
     * @throws RtcException if the cancel fails
     */
    void cancelAlarm();

    /**
     * Reads the wake alarm back.
     *
     * @return the alarm's state
     * @throws RtcException if the read fails
     */
    WakeAlarm readAlarm();

    /**
     * Sets the listener told when the wake alarm fires. It is called from a backend thread, must return
     * quickly and must not throw.
     *
     * @param listener the listener, not null
     */
    void setAlarmListener(Runnable listener);

    /** Releases the backend's resources; does not cancel a programmed alarm (the device does that). */
    @Override
    void close();
}
