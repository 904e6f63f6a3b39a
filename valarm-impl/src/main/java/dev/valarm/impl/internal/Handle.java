package dev.valarm.impl.internal;

import dev.valarm.AlarmBusyException;
import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmPermissionException;
import dev.valarm.AlarmType;
import dev.valarm.Errno;
import dev.valarm.OpenMode;
import dev.valarm.TimeFormat;
import dev.valarm.Timespec;
import dev.valarm.ValarmClosedException;
import dev.valarm.ValarmInstance;
import dev.valarm.ValarmLimitException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * One open file of an instance. Thread-safe: every state change happens under the instance's lock.
 *
 * <p>Checks run in the driver's order (alarm-dev {@code alarm_ioctl}): the type (the enum cannot be
 * invalid; null is a programming error), the handle/instance/device being open, a read-only handle
 * (EPERM), the argument, then ownership (EBUSY or claim) for everything but GET_TIME and SET_RTC.
 */
final class Handle implements AlarmHandle {
    // HotSpot lays references out in declaration order: what SET and CLEAR read first sits together.
    private final OpenMode mode;
    private final Instance in;
    /**
     * The instance's lock, kept here too: SET and CLEAR on a random one of many instances are bound by
     * dependent cache misses, and with the lock's address in the handle its line is fetched together with the
     * instance's (see {@link #touch}) instead of after it.
     */
    private final InstanceLock lock;
    /** The instance's per-type slots, kept here for the same reason as {@link #lock}. */
    private final long[] slots;
    private final Device device;
    private volatile boolean closed; // written under the instance lock, read lock-free by GET_TIME

    Handle(final Instance in, final OpenMode mode) {
        this.in = in;
        this.lock = in.lock;
        this.slots = in.slots;
        this.device = in.device;
        this.mode = mode;
    }

    @Override
    public ValarmInstance instance() {
        return in;
    }

    @Override
    public OpenMode mode() {
        return mode;
    }

    /** Open checks plus EPERM. Lock held. The message is built only on failure (no allocation). */
    private void checkWritable(final String op, final AlarmType type) {
        checkOpen();
        if (mode == OpenMode.READ_ONLY) {
            throw new AlarmPermissionException(op + (type != null ? "(" + type + ")" : "")
                    + " on a read-only handle of " + in.name() + " (minor " + in.minor + ")");
        }
    }

    /** Open checks (volatile reads; safe with or without the lock). */
    private void checkOpen() {
        in.checkOpen();
        if (closed) {
            throw new ValarmClosedException(Errno.EBADF, "handle of " + in.name() + " (minor " + in.minor + ") is closed");
        }
    }

    /** Ownership: claim it or fail with EBUSY. Lock held. */
    private void claim(final String op) {
        final Handle owner = in.owner;
        if (owner == this) {
            return;
        }
        if (owner != null) {
            throw new AlarmBusyException(op + ": instance " + in.name() + " (minor " + in.minor
                    + ") is owned by another handle");
        }
        in.owner = this;
    }

    /**
     * The driver's ownership step on its own (alarm-dev claims ownership before it validates the
     * command): open and writable checks, then claim or EBUSY. Used by the ABI codec.
     */
    void claimOwnership() {
        lock.lock();
        try {
            checkWritable("ioctl", null);
            claim("ioctl");
        } finally {
            lock.unlock();
        }
    }

    /**
     * Loads every line that a SET or CLEAR of type {@code t} uses (the instance's fields, its lock and the
     * type's slots) before the lock is taken, all at once: the three addresses are in this handle, so their
     * cache misses overlap each other instead of following one another, and the lock's CAS (a fence: later
     * loads wait for it) finds them on their way. The values are not used; volatile reads, so they are not
     * optimised away.
     */
    private void touch(final int t) {
        final boolean handleClosed = closed;
        Instance.touch(slots, t);
        in.touch();
        lock.touch();
    }

    @Override
    public void set(final AlarmType type, final Timespec time) {
        Objects.requireNonNull(type, "type");
        touch(type.number());
        lock.lock();
        try {
            checkWritable("SET", type);
            Objects.requireNonNull(time, "time");
            claim("SET");
            in.arm(type.number(), time.toNanos(), 0L);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void set(final AlarmType type, final Timespec time, final Duration window) {
        Objects.requireNonNull(type, "type");
        lock.lock();
        try {
            checkWritable("SET", type);
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(window, "window");
            if (window.isNegative()) {
                throw new IllegalArgumentException("window must not be negative: " + TimeFormat.duration(window));
            }
            claim("SET");
            in.arm(type.number(), time.toNanos(), Sat.nanos(window));
        } finally {
            lock.unlock();
        }
    }

    /** SET of an exact alarm at {@code instanceNanos} on the type's clock: {@link #set(AlarmType, Timespec)} without a Timespec. */
    void setNanos(final AlarmType type, final long instanceNanos) {
        Objects.requireNonNull(type, "type");
        touch(type.number());
        lock.lock();
        try {
            checkWritable("SET", type);
            claim("SET");
            in.arm(type.number(), instanceNanos, 0L);
        } finally {
            lock.unlock();
        }
    }

    /** GET_TIME in nanoseconds: {@link #getTime} without a Timespec. */
    long timeNanos(final AlarmType type) {
        Objects.requireNonNull(type, "type");
        checkOpen();
        return in.nowNanos(type.clockBase());
    }

    /**
     * Registers the owner's reusable asynchronous WAIT (see {@link Subscription}): the WAIT's checks and
     * ownership claim, once.
     *
     * @throws IllegalStateException if the instance already has one
     */
    Subscription subscribe(final Runnable onEvents, final boolean direct) {
        Objects.requireNonNull(onEvents, "onEvents");
        lock.lock();
        try {
            checkWritable("WAIT", null);
            claim("WAIT");
            if (in.subscription != null) {
                throw new IllegalStateException("instance " + in.name() + " (minor " + in.minor + ") already has a subscription");
            }
            in.ackPrevious();
            final Subscription s = new Subscription(in, this, onEvents, direct);
            in.subscription = s;
            if (in.pending != 0) {
                s.deliver(in.fetchAndClear());
            }
            return s;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void clear(final AlarmType type) {
        Objects.requireNonNull(type, "type");
        touch(type.number());
        lock.lock();
        try {
            checkWritable("CLEAR", type);
            claim("CLEAR");
            final int mask = type.mask();
            if (in.pending != 0) {
                in.pending &= ~mask;
                if (in.pending == 0 && !in.waitPending) {
                    in.releaseBlocker();
                }
            }
            in.cleared(type.number());
            in.disarm(type.number());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public AlarmEvents await() throws InterruptedException {
        return waitFor(-1L);
    }

    @Override
    public AlarmEvents await(final Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + TimeFormat.duration(timeout));
        }
        return waitFor(Sat.nanos(timeout));
    }

    @Override
    public AlarmEvents setAndAwait(final AlarmType type, final Timespec time) throws InterruptedException {
        set(type, time);
        return waitFor(-1L);
    }

    /** WAIT. {@code timeoutNanos < 0} waits without a timeout. */
    private AlarmEvents waitFor(final long timeoutNanos) throws InterruptedException {
        boolean woken = false;
        lock.lockInterruptibly();
        try {
            checkWritable("WAIT", null);
            claim("WAIT");
            in.ackPrevious();
            if (in.pending == 0) {
                if (timeoutNanos == 0) {
                    return AlarmEvents.NONE;
                }
                in.asyncWaiters.removeIf(w -> w.future.isDone());
                if (in.blockingWaiters + in.asyncWaiters.size() >= device.maxWaitersPerInstance) {
                    throw new ValarmLimitException(Errno.ENOSPC, "waiter limit reached on " + in.name() + ": "
                            + device.maxWaitersPerInstance);
                }
                in.blockingWaiters++;
                in.asleep++;
                final int seq = in.wakeSeq;
                try {
                    long remaining = timeoutNanos;
                    // Like wait_event_interruptible: return once woken by an event, even if another
                    // waiter took it (the driver's WAIT then returns 0).
                    while (in.wakeSeq == seq) {
                        if (timeoutNanos < 0) {
                            in.changed().await();
                        } else {
                            if (remaining <= 0) {
                                return AlarmEvents.NONE;
                            }
                            remaining = in.changed().awaitNanos(remaining);
                        }
                    }
                } finally {
                    in.blockingWaiters--;
                    woken = in.wakeSeq != seq; // woken: counted by wakeBlocking until we return
                    if (!woken) {
                        in.asleep--;
                    }
                }
                checkOpen();
                if (in.owner != this) {
                    // The owner changed while we slept (only possible through close paths).
                    checkOpen();
                }
            }
            return AlarmEvents.of(in.fetchAndClear());
        } finally {
            lock.unlock();
            if (woken) {
                device.delivery.finished();
            }
        }
    }

    @Override
    public CompletableFuture<AlarmEvents> awaitAsync() {
        final Instance.AsyncWaiter waiter = in.new AsyncWaiter(this);
        final Instance.WaitFuture future = waiter.future;
        lock.lock();
        try {
            checkWritable("WAIT", null);
            claim("WAIT");
            in.ackPrevious();
            if (in.pending != 0) {
                future.deliver(AlarmEvents.of(in.fetchAndClear())); // nothing depends on it yet: no user code
                return future;
            }
            in.asyncWaiters.removeIf(w -> w.future.isDone());
            if (in.blockingWaiters + in.asyncWaiters.size() >= device.maxWaitersPerInstance) {
                throw new ValarmLimitException(Errno.ENOSPC, "waiter limit reached on " + in.name() + ": "
                        + device.maxWaitersPerInstance);
            }
            in.asyncWaiters.add(waiter);
            return future;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Timespec getTime(final AlarmType type) {
        Objects.requireNonNull(type, "type");
        checkOpen(); // volatile reads only: GET_TIME takes no lock
        return Timespec.ofNanos(in.nowNanos(type.clockBase()));
    }

    @Override
    public void setRtc(final Timespec time) {
        lock.lock();
        try {
            checkWritable("SET_RTC", null);
            Objects.requireNonNull(time, "time");
            if (!ClockRange.inside(time)) {
                throw ClockRange.clockOutside("SET_RTC: the wall clock of instance " + in.name() + " (minor " + in.minor + ")",
                        true, time);
            }
            in.setWallClock(time.toNanos());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isOwner() {
        lock.lock();
        try {
            return in.owner == this && !closed;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isClosed() {
        lock.lock();
        try {
            return closed || in.isClosed();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        List<Instance.AsyncWaiter> failed = List.of();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (in.owner == this) {
                in.disarmAll();
                if ((in.pending | (in.waitPending ? 1 : 0)) != 0) {
                    in.releaseBlocker();
                }
                in.pending = 0;
                in.waitPending = false;
                in.owner = null;
                failed = in.drainAsync();
                // Wake our blocked waiters: they see the handle closed. (Only the owner can wait.)
                in.wakeBlocking();
                in.endSubscription(true);
            }
        } finally {
            lock.unlock();
        }
        if (!failed.isEmpty()) {
            in.failAll(failed, new ValarmClosedException(Errno.EBADF, "handle of " + in.name() + " (minor " + in.minor
                    + ") was closed"));
        }
    }

    @Override
    public String toString() {
        return "AlarmHandle[" + in.name() + ", " + mode + (closed ? ", closed" : "") + ']';
    }
}
