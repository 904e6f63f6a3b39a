package dev.valarm;

/**
 * The five alarm types of the alarm driver, with the driver's numbers.
 *
 * <p>An instance has exactly one alarm per type. The event bit of a type is {@code 1 << number()};
 * the time-change bit ({@link AlarmEvents#TIME_CHANGE_MASK}) is {@code 1 << 16}.
 *
 * <p>Thread-safety: immutable.
 */
public enum AlarmType {
    /** {@code ANDROID_ALARM_RTC_WAKEUP} (0): on the wall clock, wakes the machine. */
    RTC_WAKEUP(0, ClockBase.REALTIME, true),
    /** {@code ANDROID_ALARM_RTC} (1): on the wall clock, does not wake the machine. */
    RTC(1, ClockBase.REALTIME, false),
    /** {@code ANDROID_ALARM_ELAPSED_REALTIME_WAKEUP} (2): on the boot-time clock, wakes the machine. */
    ELAPSED_REALTIME_WAKEUP(2, ClockBase.BOOTTIME, true),
    /** {@code ANDROID_ALARM_ELAPSED_REALTIME} (3): on the boot-time clock, does not wake the machine. */
    ELAPSED_REALTIME(3, ClockBase.BOOTTIME, false),
    /** {@code ANDROID_ALARM_SYSTEMTIME} (4): on the monotonic clock, does not wake the machine. */
    SYSTEMTIME(4, ClockBase.MONOTONIC, false);

    /** The number of alarm types ({@code ANDROID_ALARM_TYPE_COUNT}). */
    public static final int COUNT = 5;

    /** The mask of every type bit ({@code 0x1f}). */
    public static final int ALL_TYPES_MASK = (1 << COUNT) - 1;

    private static final AlarmType[] BY_NUMBER = values();

    private final int number;
    private final ClockBase clockBase;
    private final boolean wakeup;

    AlarmType(final int number, final ClockBase clockBase, final boolean wakeup) {
        this.number = number;
        this.clockBase = clockBase;
        this.wakeup = wakeup;
    }

    /**
     * The driver's number of this type.
     *
     * @return 0 to 4
     */
    public int number() {
        return number;
    }

    /**
     * The event bit of this type, as WAIT reports it.
     *
     * @return {@code 1 << number()}
     */
    public int mask() {
        return 1 << number;
    }

    /**
     * Whether an alarm of this type wakes a suspended machine.
     *
     * @return true for {@link #RTC_WAKEUP} and {@link #ELAPSED_REALTIME_WAKEUP}
     */
    public boolean isWakeup() {
        return wakeup;
    }

    /**
     * The host clock base this type's times are measured on.
     *
     * @return the clock base, never null
     */
    public ClockBase clockBase() {
        return clockBase;
    }

    /**
     * Looks a type up by the driver's number.
     *
     * @param number the driver's type number
     * @return the type with that number
     * @throws InvalidAlarmException (EINVAL) if {@code number} is not in [0, 4]
     */
    public static AlarmType of(final int number) {
        if (number < 0 || number >= COUNT) {
            throw new InvalidAlarmException("alarm type must be in [0, " + (COUNT - 1) + "]: " + number);
        }
        return BY_NUMBER[number];
    }
}
