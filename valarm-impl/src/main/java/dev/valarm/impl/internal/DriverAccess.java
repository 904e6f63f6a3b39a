package dev.valarm.impl.internal;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.InstanceSnapshot;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import java.util.Objects;

/**
 * Reaches into the driver state for the ABI codec and for tests. Not API (this package is not
 * exported). Thread-safe: every method takes the instance's lock where it reads or changes state.
 */
public final class DriverAccess {
    private DriverAccess() {
    }

    /**
     * The driver's ownership step (alarm-dev section 4.1 step 2b) on its own: claims ownership of the
     * handle's instance, or fails as a state-changing call would.
     *
     * @param handle a handle of a valarm-impl device
     * @throws IllegalArgumentException if the handle is not one of valarm-impl's
     * @throws dev.valarm.AlarmPermissionException (EPERM) on a read-only handle
     * @throws dev.valarm.AlarmBusyException (EBUSY) if another handle owns the instance
     * @throws dev.valarm.ValarmClosedException if the handle, instance or device is closed
     */
    public static void claimOwnership(final AlarmHandle handle) {
        Objects.requireNonNull(handle, "handle");
        if (!(handle instanceof Handle)) {
            throw new IllegalArgumentException("not a handle of a valarm-impl device: " + handle.getClass().getName());
        }
        ((Handle) handle).claimOwnership();
    }

    /**
     * A consistent snapshot of an instance's driver state.
     *
     * @param instance an instance of a valarm-impl device
     * @return the state now
     * @throws IllegalArgumentException if the instance is not one of valarm-impl's
     */
    public static InstanceState state(final ValarmInstance instance) {
        final Instance in = cast(instance);
        in.lock.lock();
        try {
            final long[] times = new long[AlarmType.COUNT];
            for (int t = 0; t < AlarmType.COUNT; t++) {
                times[t] = (in.enabled & (1 << t)) != 0 ? in.get(t, Instance.ALARM) : Long.MIN_VALUE;
            }
            return new InstanceState(in.minor, in.closed, in.owner, in.enabled, in.pending, in.waitPending,
                    in.blockerHeld, in.offset(0), java.util.List.of(times[0], times[1], times[2],
                            times[3], times[4]), in.blockingWaiters, in.asyncWaiters.size());
        } finally {
            in.lock.unlock();
        }
    }

    /**
     * The lock that guards an instance's driver state. Holding it makes a sequence of calls on the instance
     * atomic with respect to the dispatcher's firings of that instance (the lock is reentrant; a blocking
     * WAIT releases it while it sleeps; the {@link FiringProbe} is called under it). There is no device-wide
     * lock on the SET/CLEAR/WAIT path. For tests that need an exact model of the driver state.
     *
     * @param instance an instance of a valarm-impl device
     * @return its lock
     * @throws IllegalArgumentException if the instance is not one of valarm-impl's
     */
    public static InstanceLock lock(final ValarmInstance instance) {
        return cast(instance).lock;
    }

    /**
     * Whether the current thread holds any of the device's locks: its table lock, its heap lock, or the
     * lock of one of its instances. For tests that check that user code never runs under a lock.
     *
     * @param device a valarm-impl device
     * @return whether a lock is held
     * @throws IllegalArgumentException if the device is not one of valarm-impl's
     */
    public static boolean holdsAnyLock(final ValarmDevice device) {
        return device(device).holdsAnyLock();
    }

    /** Number of longs {@link #image} writes. */
    public static final int IMAGE_LONGS = 4 + 2 * AlarmType.COUNT;

    /**
     * The instance's durable state, atomically and without allocating: {@code out[0]} the armed type bits,
     * {@code out[1]} the pending bits (time-change included), {@code out[2]} the wall-clock offset (ns),
     * {@code out[3]} 1 if the instance is closed, then per type its armed time on the instance's clock
     * ({@code out[4 + t]}) and its tolerance window ({@code out[4 + COUNT + t]}), 0 when not armed.
     *
     * @param instance an instance of a valarm-impl device
     * @param out at least {@link #IMAGE_LONGS} longs
     * @return the owning handle, or null
     * @throws IllegalArgumentException if the instance is not one of valarm-impl's
     */
    public static AlarmHandle image(final ValarmInstance instance, final long[] out) {
        final Instance in = cast(instance);
        in.lock.lock();
        try {
            out[0] = in.enabled;
            out[1] = in.pending;
            out[2] = in.offset(0);
            out[3] = in.closed ? 1 : 0;
            for (int t = 0; t < AlarmType.COUNT; t++) {
                final boolean armed = (in.enabled & (1 << t)) != 0;
                out[4 + t] = armed ? in.get(t, Instance.ALARM) : 0L;
                out[4 + AlarmType.COUNT + t] = armed ? in.get(t, Instance.WINDOW) : 0L;
            }
            return in.owner;
        } finally {
            in.lock.unlock();
        }
    }

    /**
     * The instance's three clock offsets from the host clocks: wall clock (changes with SET_RTC), boot time
     * and monotonic time (fixed at creation).
     *
     * @param instance an instance of a valarm-impl device
     * @return {realtime, boottime, monotonic} offsets in nanoseconds
     * @throws IllegalArgumentException if the instance is not one of valarm-impl's
     */
    public static long[] offsets(final ValarmInstance instance) {
        final Instance in = cast(instance);
        return new long[] {in.offset(0), in.offset(1), in.offset(2)};
    }

    /**
     * Restores a snapshot on the same boot with exact clock offsets (no translation, no time-change added):
     * for a process that takes over a crashed or upgraded predecessor's instances. The snapshot's clock values
     * are ignored; its minor, name, armed alarms with their windows and pending events are used. Armed alarms
     * already due fire at once.
     *
     * @param device a valarm-impl device
     * @param snapshot what to restore
     * @param realtimeOffset the wall-clock offset, ns
     * @param boottimeOffset the boot-time offset, ns
     * @param monotonicOffset the monotonic offset, ns
     * @return the instance, without an owner
     * @throws dev.valarm.ValarmLimitException (EEXIST) if the minor is taken, (ENOSPC) at the instance limit
     * @throws IllegalArgumentException if the device is not one of valarm-impl's
     */
    public static ValarmInstance restoreExact(final ValarmDevice device, final InstanceSnapshot snapshot,
            final long realtimeOffset, final long boottimeOffset, final long monotonicOffset) {
        Objects.requireNonNull(device, "device");
        if (!(device instanceof Device)) {
            throw new IllegalArgumentException("not a valarm-impl device: " + device.getClass().getName());
        }
        return ((Device) device).restoreExact(snapshot, realtimeOffset, boottimeOffset, monotonicOffset);
    }

    /**
     * Installs a probe that the dispatcher calls for every firing, under the firing instance's lock (or
     * removes it, with null): the exact order of firings per instance for a model checker that holds
     * {@link #lock(ValarmInstance)}. For tests.
     *
     * @param device a valarm-impl device
     * @param probe the probe, or null
     * @throws IllegalArgumentException if the device is not one of valarm-impl's
     */
    public static void probeFirings(final ValarmDevice device, final FiringProbe probe) {
        device(device).probeFirings(probe);
    }

    private static Device device(final ValarmDevice device) {
        Objects.requireNonNull(device, "device");
        if (!(device instanceof Device)) {
            throw new IllegalArgumentException("not a valarm-impl device: " + device.getClass().getName());
        }
        return (Device) device;
    }

    private static Instance cast(final ValarmInstance instance) {
        Objects.requireNonNull(instance, "instance");
        if (!(instance instanceof Instance)) {
            throw new IllegalArgumentException("not an instance of a valarm-impl device: "
                    + instance.getClass().getName());
        }
        return (Instance) instance;
    }
}
