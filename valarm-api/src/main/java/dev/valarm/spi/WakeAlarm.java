package dev.valarm.spi;

import dev.valarm.Timespec;
import java.util.Objects;

/**
 * The state of the RTC's one wake alarm, as {@code RTC_WKALM_RD} reports it.
 *
 * <p>Thread-safety: immutable.
 *
 * @param enabled whether the alarm is armed
 * @param pending whether it fired and the interrupt was not yet consumed
 * @param time the alarm time on the RTC's clock (meaningful when enabled), not null
 */
public record WakeAlarm(boolean enabled, boolean pending, Timespec time) {

    /** A disabled, not pending alarm. */
    public static final WakeAlarm DISABLED = new WakeAlarm(false, false, Timespec.ZERO);

    /**
     * Validates the fields.
     *
     * @param enabled whether the alarm is armed
     * @param pending whether it fired and was not consumed
     * @param time the alarm time, not null
     */
    public WakeAlarm {
        Objects.requireNonNull(time, "time");
    }
}
