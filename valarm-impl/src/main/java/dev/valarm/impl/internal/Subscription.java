package dev.valarm.impl.internal;

import dev.valarm.Errno;
import dev.valarm.ValarmClosedException;

/**
 * A reusable, allocation-free asynchronous WAIT for in-module clients (the per-tenant scheduler): one per
 * instance, registered once by the owner handle ({@link InternalAlarms#subscribe}), instead of one
 * {@code CompletableFuture} and waiter per WAIT. Whenever events become pending, the device fetches and
 * clears them on the subscriber's behalf, exactly as for a pending asynchronous WAIT, and keeps them here;
 * the subscriber is told through its {@code onEvents} action and collects them with {@link #take()}, then
 * acknowledges with {@link #done()} (the driver's "next WAIT": it lets the wakelock go once nothing is
 * pending).
 *
 * <p>Where {@code onEvents} runs: a <em>direct</em> subscription's action runs right where the events are
 * raised, on the dispatcher or a caller, just after the instance's lock is released (so that the thread it
 * wakes does not queue on that lock): it must be in-module code that neither blocks nor allocates nor
 * calls into the device (the scheduler's own pool: a flag and an unpark). Any
 * other subscription's action is handed, through the device's {@link Delivery} thread (an allocation-free
 * record), to the device's callback executor, where user code may run; no user code ever runs under a
 * lock or in the expiry loop. Notifications coalesce: while one is outstanding (not yet followed by
 * {@link #take()}), no other is made, and every event raised meanwhile is in the next {@code take()}.
 *
 * <p>Thread-safety: thread-safe; the fields are guarded by the instance's lock.
 */
public final class Subscription implements Runnable {
    private final Instance in;
    final Handle handle;
    private final Runnable onEvents;
    private final boolean direct;

    // Guarded by in.lock.
    private int taken;
    private boolean scheduled;
    private int consumed;
    private RuntimeException error;

    Subscription(final Instance in, final Handle handle, final Runnable onEvents, final boolean direct) {
        this.in = in;
        this.handle = handle;
        this.onEvents = onEvents;
        this.direct = direct;
    }

    /** The device fetched {@code mask} for this subscriber. Instance lock held. */
    void deliver(final int mask) {
        taken |= mask;
        notifySubscriber();
    }

    /** The handle, instance or device closed: the next {@link #take()} throws. Instance lock held. */
    void fail(final RuntimeException cause) {
        if (error == null) {
            error = cause;
        }
        notifySubscriber();
    }

    private void notifySubscriber() {
        if (scheduled) {
            return;
        }
        scheduled = true;
        in.device.delivery.started(1); // until done(): the simulated machine's handshake waits for it
        if (direct) {
            in.lock.afterUnlock(onEvents); // the woken thread then finds the instance's lock free
        } else {
            in.device.delivery.execute(this);
        }
    }

    /** On the callback executor (a subscription that is not direct): runs the subscriber's action. */
    @Override
    public void run() {
        onEvents.run();
    }

    /**
     * Takes the events fetched since the last call (0 if none) and ends the outstanding notification, so
     * that the next event notifies again. Any thread; call {@link #done()} after handling them.
     *
     * @return the events' mask (fired types and the time-change bit)
     * @throws ValarmClosedException if the handle, instance or device closed (the subscription is over)
     */
    public int take() {
        in.lock.lock();
        try {
            if (scheduled) {
                scheduled = false;
                consumed++;
            }
            if (error != null) {
                throw error;
            }
            final int m = taken;
            taken = 0;
            return m;
        } finally {
            in.lock.unlock();
        }
    }

    /**
     * The events taken have been handled: the driver's acknowledgement (the next WAIT releases the wakelock
     * when nothing is pending) and, for the simulated machine, the end of the notification's work. Call once
     * after each {@link #take()}, even if it threw.
     */
    public void done() {
        final int n;
        in.lock.lock();
        try {
            if (error == null && in.owner == handle && !in.closed) {
                in.ackPrevious();
            }
            n = consumed;
            consumed = 0;
        } finally {
            in.lock.unlock();
        }
        for (int i = 0; i < n; i++) {
            in.device.delivery.finished();
        }
    }

    /** Builds the error for a closed handle or instance (only on close paths). */
    static RuntimeException closed(final Instance in, final boolean byHandle) {
        return byHandle ? new ValarmClosedException(Errno.EBADF, "handle of " + in.name() + " (minor " + in.minor + ") was closed")
                : new ValarmClosedException(Errno.ENODEV, "instance " + in.name() + " (minor " + in.minor + ") was closed");
    }
}
