package dev.valarm;

import java.time.Clock;
import java.time.Duration;

/**
 * One virtual alarm device (one "minor" of {@code /dev/alarm}): one alarm per type, enabled and pending
 * masks, an owner, waiters, and its own clocks. Its wall clock is the host's plus an offset that a
 * handle can change with SET_RTC; its boot-time and monotonic clocks are the host's plus offsets fixed
 * at creation.
 *
 * <p>Callers hold the instance they were given; there is no "current" instance. Nothing reachable from
 * an instance reads or changes another instance or the host clocks.
 *
 * <p>Thread-safety: every method is safe to call from any thread.
 */
public interface ValarmInstance extends AutoCloseable {

    /**
     * The minor number, unique on the device while the instance lives.
     *
     * @return the minor
     */
    int minor();

    /**
     * The name.
     *
     * @return the name given at creation or {@code "valarm<minor>"}
     */
    String name();

    /**
     * Opens a handle, as {@code open(2)} on the device node would.
     *
     * @param mode read-only (GET_TIME only) or read-write
     * @return a new handle
     * @throws ValarmClosedException (ENODEV) if the instance or device is closed
     */
    AlarmHandle open(OpenMode mode);

    /**
     * The time of an alarm type's clock as this instance sees it (what GET_TIME returns).
     *
     * @param type the alarm type, not null
     * @return the instance's time on that type's clock
     * @throws ValarmClosedException (ENODEV) if the instance or device is closed
     */
    Timespec now(AlarmType type);

    /**
     * A {@link Clock} (UTC) view of this instance's wall clock. It follows every later SET_RTC and host
     * clock change. The view is immutable and thread-safe.
     *
     * @return the clock view
     */
    Clock clock();

    /**
     * The current wall-clock offset: instance realtime minus host realtime.
     *
     * @return the offset
     */
    Duration wallClockOffset();

    /**
     * Takes a snapshot of this instance, atomically with respect to every other operation on the device:
     * its minor and name, its three clocks now, its armed alarms (on its own clocks), its pending events
     * and the sticky time-change bit. The instance is not changed. To move an instance, snapshot it, close
     * it, and {@link ValarmDevice#restore(InstanceSnapshot, RestoreOptions) restore} the snapshot (or its
     * {@link InstanceSnapshot#toBytes() bytes}) on the target device.
     *
     * @return the snapshot
     * @throws ValarmClosedException (ENODEV) if the instance or device is closed
     */
    InstanceSnapshot snapshot();

    /**
     * Creates a child instance on the same device that inherits this instance's clock views (the
     * {@code unshare} of the original valarm-dev proposal). After the call the two are fully independent:
     * a SET_RTC, an alarm, an owner or a close of one never affects the other.
     *
     * <p>The child's clocks are this instance's clocks plus the offsets of {@code childConfig}, which are
     * therefore relative to the parent here, not to the host: with the default (zero) offsets the child
     * sees exactly the parent's wall, boot-time and monotonic time. Its boot-time and monotonic offsets are
     * fixed; its wall clock can be set later like any instance's. The child's minor and name come from
     * {@code childConfig} as for {@link ValarmDevice#createInstance(InstanceConfig)}.
     *
     * <p>With {@code copyAlarms}, every armed alarm of this instance is armed in the child too, at the
     * same moment: its time is shifted by the child's offset for that type's clock, so it keeps its
     * remaining time (with zero offsets, the same value), and it keeps its tolerance window. Pending events, the time-change bit and
     * ownership are never copied: the child starts with no owner and nothing pending.
     *
     * @param childConfig the child's minor, name and offsets relative to this instance, not null
     * @param copyAlarms whether to copy the armed alarms
     * @return the child instance
     * @throws ValarmLimitException (ENOSPC) if the instance limit is reached, (EEXIST) if the minor is taken
     * @throws ClockRangeException (ERANGE) if a clock of the child would be outside the clock range
     * @throws ValarmClosedException (ENODEV) if this instance or the device is closed
     */
    ValarmInstance unshare(InstanceConfig childConfig, boolean copyAlarms);

    /**
     * Whether the instance was closed.
     *
     * @return true once closed
     */
    boolean isClosed();

    /**
     * Destroys the instance: cancels its alarms, discards its events, wakes its waiters with a
     * {@link ValarmClosedException} and frees its minor. Idempotent.
     */
    @Override
    void close();
}
