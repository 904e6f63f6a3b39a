package dev.valarm.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * What an RTC backend can do.
 *
 * <p>Thread-safety: immutable.
 *
 * @param resolution the granularity of wake-alarm times (1 s for a classic RTC chip); positive
 * @param maxAlarmAhead the furthest ahead of the RTC's own time a wake alarm may be programmed
 *        (24 h - 1 s for an MC146818); positive
 * @param canWake whether a programmed alarm can wake a suspended machine
 * @param canSetTime whether {@link RtcBackend#setTime} is supported
 */
public record RtcCapabilities(Duration resolution, Duration maxAlarmAhead, boolean canWake, boolean canSetTime) {

    /**
     * Validates the fields.
     *
     * @param resolution positive
     * @param maxAlarmAhead positive
     * @param canWake whether alarms wake the machine
     * @param canSetTime whether the time can be set
     * @throws IllegalArgumentException if a duration is zero or negative
     */
    public RtcCapabilities {
        Objects.requireNonNull(resolution, "resolution");
        Objects.requireNonNull(maxAlarmAhead, "maxAlarmAhead");
        if (resolution.isNegative() || resolution.isZero()) {
            throw new IllegalArgumentException("resolution must be positive: " + dev.valarm.TimeFormat.duration(resolution));
        }
        if (maxAlarmAhead.isNegative() || maxAlarmAhead.isZero()) {
            throw new IllegalArgumentException("maxAlarmAhead must be positive: " + dev.valarm.TimeFormat.duration(maxAlarmAhead));
        }
    }
}
