package dev.valarm.impl.internal;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.Timespec;
import dev.valarm.ValarmInstance;

/**
 * Allocation-free paths for the clients inside valarm-impl that sit on a device (the per-tenant scheduler
 * and the ABI codec the bridge drives): a SET and a GET_TIME in nanoseconds instead of a {@link Timespec},
 * and a reusable asynchronous WAIT ({@link Subscription}) instead of a future per WAIT. Not API: this
 * package is not exported from the module, so only valarm-impl itself (and the benchmarks, on the class
 * path) can call it; the bridge gets the SET path through the codec, which lives in valarm-impl.
 *
 * <p>Every method behaves exactly as its public counterpart (the same checks in the driver's order, the
 * same errors, the same state changes); a handle of another implementation goes through the public API.
 * Thread-safe.
 */
public final class InternalAlarms {
    private InternalAlarms() {
    }

    /**
     * {@link AlarmHandle#set(AlarmType, Timespec)} of an exact alarm at {@code instanceNanos} nanoseconds on
     * the type's clock (what {@link Timespec#toNanos()} gives), without a {@code Timespec}.
     *
     * @param handle the handle
     * @param type the type, not null
     * @param instanceNanos the alarm time on the instance's clock of the type's base
     */
    public static void set(final AlarmHandle handle, final AlarmType type, final long instanceNanos) {
        if (handle instanceof Handle) {
            ((Handle) handle).setNanos(type, instanceNanos);
        } else {
            handle.set(type, Timespec.ofNanos(instanceNanos));
        }
    }

    /**
     * {@link AlarmHandle#getTime(AlarmType)} in nanoseconds, without a {@code Timespec}.
     *
     * @param handle the handle
     * @param type the type, not null
     * @return the instance's time on the type's clock, nanoseconds
     */
    public static long timeNanos(final AlarmHandle handle, final AlarmType type) {
        if (handle instanceof Handle) {
            return ((Handle) handle).timeNanos(type);
        }
        return handle.getTime(type).toNanos();
    }

    /**
     * {@link ValarmInstance#now(AlarmType)} in nanoseconds, without a {@code Timespec}.
     *
     * @param instance the instance
     * @param type the type, not null
     * @return the instance's time on the type's clock, nanoseconds
     */
    public static long nowNanos(final ValarmInstance instance, final AlarmType type) {
        if (instance instanceof Instance) {
            final Instance in = (Instance) instance;
            java.util.Objects.requireNonNull(type, "type");
            in.checkOpen();
            return in.nowNanos(type.clockBase());
        }
        return instance.now(type).toNanos();
    }

    /**
     * Registers the owner's reusable asynchronous WAIT on a valarm-impl handle: the WAIT's checks and
     * ownership claim, once; from then on the device fetches every event for the subscriber and tells it
     * through {@code onEvents} (see {@link Subscription} for where that runs). It ends, with a
     * {@code ValarmClosedException} from {@link Subscription#take()}, when the handle, its instance or the
     * device closes.
     *
     * @param handle a handle of a valarm-impl device
     * @param onEvents the subscriber's action
     * @param direct whether {@code onEvents} is in-module code that may run on the dispatcher, right after it
     *        releases the instance's lock (it must not block, allocate or call into the device); otherwise it
     *        runs on the device's callback executor
     * @return the subscription
     * @throws IllegalArgumentException if the handle is not one of valarm-impl's
     * @throws IllegalStateException if the instance already has a subscription
     */
    public static Subscription subscribe(final AlarmHandle handle, final Runnable onEvents, final boolean direct) {
        if (!(handle instanceof Handle)) {
            throw new IllegalArgumentException("not a handle of a valarm-impl device: "
                    + (handle == null ? "null" : handle.getClass().getName()));
        }
        return ((Handle) handle).subscribe(onEvents, direct);
    }
}
