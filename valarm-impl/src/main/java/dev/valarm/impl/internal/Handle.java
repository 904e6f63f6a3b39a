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
 * One open file of an instance. Thread-safe: every state change happens under the device's lock.
 *
 * <p>Checks run in the driver's order (alarm-dev {@code alarm_ioctl}): the type (the enum cannot be
 * invalid; null is a programming error), the handle/instance/device being open, a read-only handle
 * (EPERM), the argument, then ownership (EBUSY or claim) for everything but GET_TIME and SET_RTC.
 */
final class Handle implements AlarmHandle {
    private final Instance in;
    private final Device device;
    private final OpenMode mode;
    private volatile boolean closed; // written under device.lock, read lock-free by GET_TIME

    Handle(final Instance in, final OpenMode mode) {
        this.in = in;
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
        device.lock.lock();
        try {
            checkWritable("ioctl", null);
            claim("ioctl");
        } finally {
            device.lock.unlock();
        }
    }

    @Override
    public void set(final AlarmType type, final Timespec time) {
        Objects.requireNonNull(type, "type");
        boolean wake;
        device.lock.lock();
        try {
            checkWritable("SET", type);
            Objects.requireNonNull(time, "time");
            claim("SET");
            wake = arm(type, time, 0L);
        } finally {
            device.lock.unlock();
        }
        if (wake) {
            device.wakeDispatcher();
        }
    }

    @Override
    public void set(final AlarmType type, final Timespec time, final Duration window) {
        Objects.requireNonNull(type, "type");
        boolean wake;
        device.lock.lock();
        try {
            checkWritable("SET", type);
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(window, "window");
            if (window.isNegative()) {
                throw new IllegalArgumentException("window must not be negative: " + TimeFormat.duration(window));
            }
            claim("SET");
            wake = arm(type, time, Sat.nanos(window));
        } finally {
            device.lock.unlock();
        }
        if (wake) {
            device.wakeDispatcher();
        }
    }

    /** SET's body. Lock held. */
    private boolean arm(final AlarmType type, final Timespec time, final long windowNanos) {
        return in.arm(type.number(), time.toNanos(), windowNanos);
    }

    @Override
    public void clear(final AlarmType type) {
        Objects.requireNonNull(type, "type");
        boolean wake;
        device.lock.lock();
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
            in.enabled &= ~mask;
            in.cleared(type.number());
            wake = device.disarm(in, type.number(), true);
        } finally {
            device.lock.unlock();
        }
        if (wake) {
            device.wakeDispatcher();
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
        device.lock.lockInterruptibly();
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
                            in.changed.await();
                        } else {
                            if (remaining <= 0) {
                                return AlarmEvents.NONE;
                            }
                            remaining = in.changed.awaitNanos(remaining);
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
            device.lock.unlock();
            if (woken) {
                device.delivery.finished();
            }
        }
    }

    @Override
    public CompletableFuture<AlarmEvents> awaitAsync() {
        final Instance.AsyncWaiter waiter = in.new AsyncWaiter(this);
        final Instance.WaitFuture future = waiter.future;
        device.lock.lock();
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
            device.lock.unlock();
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
        boolean wake;
        device.lock.lock();
        try {
            checkWritable("SET_RTC", null);
            Objects.requireNonNull(time, "time");
            if (!ClockRange.inside(time)) {
                throw ClockRange.clockOutside("SET_RTC: the wall clock of instance " + in.name() + " (minor " + in.minor + ")",
                        true, time);
            }
            wake = in.setWallClock(time.toNanos());
        } finally {
            device.lock.unlock();
        }
        if (wake) {
            device.wakeDispatcher();
        }
    }

    @Override
    public boolean isOwner() {
        device.lock.lock();
        try {
            return in.owner == this && !closed;
        } finally {
            device.lock.unlock();
        }
    }

    @Override
    public boolean isClosed() {
        device.lock.lock();
        try {
            return closed || in.isClosed();
        } finally {
            device.lock.unlock();
        }
    }

    @Override
    public void close() {
        boolean wake = false;
        List<Instance.AsyncWaiter> failed = List.of();
        device.lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (in.owner == this) {
                wake = in.disarmAll();
                if ((in.pending | (in.waitPending ? 1 : 0)) != 0) {
                    in.releaseBlocker();
                }
                in.pending = 0;
                in.waitPending = false;
                in.owner = null;
                failed = in.drainAsync();
                // Wake our blocked waiters: they see the handle closed. (Only the owner can wait.)
                in.wakeBlocking();
            }
        } finally {
            device.lock.unlock();
        }
        if (wake) {
            device.wakeDispatcher();
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
