package dev.valarm;

import dev.valarm.spi.RtcCapabilities;
import java.util.List;
import java.util.Optional;

/**
 * The multiplexer: one per machine (or per test), owning the RTC backend, the host clocks and every
 * virtual alarm device ({@link ValarmInstance}) created on it.
 *
 * <p>All instances' alarms sit in one timer heap per alarm type; a single dispatcher thread fires them
 * and keeps the backend's one hardware wake alarm programmed with the earliest wakeup deadline over all
 * instances. Host-level operations (reading and setting the host clock and the hardware RTC) live here,
 * never on an instance, so that nothing reachable from an instance can change another instance or the
 * host.
 *
 * <p>Thread-safety: every method is safe to call from any thread.
 */
public interface ValarmDevice extends AutoCloseable {

    /**
     * Creates an instance with the default configuration (the lowest free minor, a generated name, the
     * host's clocks).
     *
     * @return the new instance
     * @throws ValarmLimitException (ENOSPC) if the device's instance limit is reached
     * @throws ValarmClosedException (ENODEV) if the device is closed
     */
    ValarmInstance createInstance();

    /**
     * Creates an instance.
     *
     * @param config the minor, name and clock offsets, not null
     * @return the new instance
     * @throws ClockRangeException (ERANGE) if the host's clock plus an offset is outside the clock range
     * @throws ValarmLimitException (ENOSPC) if the instance limit is reached, (EEXIST) if the minor is taken
     * @throws ValarmClosedException (ENODEV) if the device is closed
     */
    ValarmInstance createInstance(InstanceConfig config);

    /**
     * Looks an instance up by minor number.
     *
     * @param minor the minor number
     * @return the live instance with that minor, or empty
     */
    Optional<ValarmInstance> instance(int minor);

    /**
     * The live instances, ordered by minor.
     *
     * @return an immutable snapshot
     */
    List<ValarmInstance> instances();

    /**
     * Destroys an instance, as {@link ValarmInstance#close()} does.
     *
     * @param minor the minor number
     * @return true if an instance was destroyed, false if none had that minor
     */
    boolean destroyInstance(int minor);

    /**
     * Restores a snapshot with the default options: at the snapshot's minor, with its name, its wall
     * clock following the host ({@link RestoreOptions#defaults()}).
     *
     * @param snapshot the snapshot, not null
     * @return the restored instance, without an owner
     * @throws ClockRangeException (ERANGE) if a clock of the restored instance would be outside the clock
     *         range
     * @throws ValarmLimitException (EEXIST) if the minor is taken, (ENOSPC) if the instance limit is reached
     * @throws ValarmClosedException (ENODEV) if the device is closed
     * @see #restore(InstanceSnapshot, RestoreOptions)
     */
    ValarmInstance restore(InstanceSnapshot snapshot);

    /**
     * Restores a snapshot taken on this or another device (another process, host or boot) as a new
     * instance, atomically: every check runs first, and on any error nothing on this device changed.
     *
     * <p>The restored instance's boot-time and monotonic clocks continue from the snapshot's values, with
     * offsets from this host's clocks fixed for its life, so they never go backwards and armed ELAPSED and
     * SYSTEMTIME alarms keep their remaining time. Its wall clock follows {@link RestoreOptions#wallClock()}
     * (by default the snapshot's wall-clock offset is kept, so RTC-type alarms keep their wall-clock time
     * and the time-change event is raised if the wall clock moved against the elapsed clock); see
     * {@link InstanceSnapshot} for the rules. Every armed alarm is armed again with its tolerance window
     * (one already due fires at once), the pending events are kept, and the instance has no owner: the first handle to issue a
     * state-changing call owns it, and its first WAIT returns the pending events.
     *
     * @param snapshot the snapshot, not null
     * @param options the minor, name and wall-clock rule, not null
     * @return the restored instance, without an owner
     * @throws ClockRangeException (ERANGE) if a clock of the restored instance would be outside the clock
     *         range: the snapshot's clock (continued) or this host's clock plus the snapshot's wall-clock
     *         offset (followed)
     * @throws ValarmLimitException (EEXIST) if the minor is taken, (ENOSPC) if the instance limit is reached
     * @throws ValarmClosedException (ENODEV) if the device is closed
     */
    ValarmInstance restore(InstanceSnapshot snapshot, RestoreOptions options);

    /**
     * The host wall clock (host {@code CLOCK_REALTIME}).
     *
     * @return the host time since the epoch
     * @throws ValarmClosedException (ENODEV) if the device is closed
     */
    Timespec hostTime();

    /**
     * Sets the host wall clock and the hardware RTC (the driver's SET_RTC on the real device). Every
     * instance's wall clock moves with the host's, so every instance gets the time-change event and
     * its wall-clock alarms are re-evaluated.
     *
     * @param time the new host time, not null
     * @throws ClockRangeException (ERANGE) if {@code time} is outside the clock range; nothing is set
     * @throws dev.valarm.spi.RtcException with the backend's errno (EPERM without the privilege,
     *         EOPNOTSUPP where the host clocks cannot be set); if only the RTC write fails the host
     *         clock stays set and the exception says so
     * @throws ValarmClosedException (ENODEV) if the device is closed
     */
    void setHostTime(Timespec time);

    /**
     * What the RTC backend can do.
     *
     * @return the backend's capabilities
     */
    RtcCapabilities rtcCapabilities();

    /**
     * A description of the backends in use, such as {@code "linux-clocks + rtc-device(/dev/rtc0)"}.
     *
     * @return a human-readable description
     */
    String describe();

    /**
     * A snapshot of the device's counters.
     *
     * @return the counters now
     */
    DeviceStats stats();

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    boolean isClosed();

    /**
     * Closes the device: cancels the hardware wake alarm, stops the dispatcher, closes every instance
     * and wakes every waiter with a {@link ValarmClosedException}. Idempotent; later calls on the device,
     * its instances and handles fail with {@link ValarmClosedException}.
     */
    @Override
    void close();
}
