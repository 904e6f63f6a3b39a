package dev.valarm;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a WAIT returned: the bits of the alarm types that fired since the last WAIT, plus the
 * time-change bit. Several fired types are coalesced into one value, as the driver does.
 *
 * <p>Every possible value is pre-built, so {@link #of(int)} never allocates. Thread-safety: immutable.
 */
public final class AlarmEvents {
    /** The time-change bit ({@code ANDROID_ALARM_TIME_CHANGE_MASK}, {@code 1 << 16}). */
    public static final int TIME_CHANGE_MASK = 1 << 16;

    /** Every bit a WAIT can report. */
    public static final int VALID_MASK = AlarmType.ALL_TYPES_MASK | TIME_CHANGE_MASK;

    private static final AlarmEvents[] CACHE = new AlarmEvents[2 << AlarmType.COUNT];

    static {
        for (int i = 0; i < CACHE.length; i++) {
            final int mask = (i & AlarmType.ALL_TYPES_MASK) | ((i >> AlarmType.COUNT) << 16);
            CACHE[i] = new AlarmEvents(mask);
        }
    }

    /** No event: what a WAIT that timed out (or lost a race with another waiter) returns. */
    public static final AlarmEvents NONE = CACHE[0];

    private final int mask;

    private AlarmEvents(final int mask) {
        this.mask = mask;
    }

    /**
     * The events of a raw WAIT result.
     *
     * @param mask type bits (0x1f) and the time-change bit (0x10000)
     * @return the shared value for that mask
     * @throws InvalidAlarmException (EINVAL) if any other bit is set
     */
    public static AlarmEvents of(final int mask) {
        if ((mask & ~VALID_MASK) != 0) {
            throw new InvalidAlarmException("event mask has bits outside 0x1001f: 0x" + Integer.toHexString(mask));
        }
        return CACHE[(mask & AlarmType.ALL_TYPES_MASK) | ((mask >>> 16) << AlarmType.COUNT)];
    }

    /**
     * The raw mask, as the driver's WAIT returns it.
     *
     * @return type bits plus the time-change bit
     */
    public int mask() {
        return mask;
    }

    /**
     * The fired-type bits only.
     *
     * @return {@code mask() & 0x1f}
     */
    public int typeMask() {
        return mask & AlarmType.ALL_TYPES_MASK;
    }

    /**
     * Whether an alarm of the given type fired.
     *
     * @param type the type, not null
     * @return true if its bit is set
     */
    public boolean fired(final AlarmType type) {
        return (mask & type.mask()) != 0;
    }

    /**
     * Whether the wall clock changed (a SET_RTC on the instance or a host clock change).
     *
     * @return true if the time-change bit is set
     */
    public boolean timeChanged() {
        return (mask & TIME_CHANGE_MASK) != 0;
    }

    /**
     * Whether nothing is reported.
     *
     * @return true if the mask is zero
     */
    public boolean isEmpty() {
        return mask == 0;
    }

    /**
     * The fired types as a new set.
     *
     * @return a fresh mutable set of the fired types
     */
    public Set<AlarmType> firedTypes() {
        final EnumSet<AlarmType> set = EnumSet.noneOf(AlarmType.class);
        for (final AlarmType t : AlarmType.values()) {
            if (fired(t)) {
                set.add(t);
            }
        }
        return set;
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof AlarmEvents && ((AlarmEvents) o).mask == mask;
    }

    @Override
    public int hashCode() {
        return mask;
    }

    @Override
    public String toString() {
        final StringBuilder sb = new StringBuilder("AlarmEvents[0x").append(Integer.toHexString(mask));
        String sep = ": ";
        for (final AlarmType t : AlarmType.values()) {
            if (fired(t)) {
                sb.append(sep).append(t.name());
                sep = ", ";
            }
        }
        if (timeChanged()) {
            sb.append(sep).append("TIME_CHANGE");
        }
        return sb.append(']').toString();
    }
}
