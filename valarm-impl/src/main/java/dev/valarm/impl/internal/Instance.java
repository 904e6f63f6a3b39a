package dev.valarm.impl.internal;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.InstanceSnapshot;
import dev.valarm.InvalidAlarmException;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmClosedException;
import dev.valarm.ValarmInstance;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;

/**
 * One virtual alarm device: the driver's per-minor state. Thread-safe: all mutable driver state is
 * guarded by the device's lock; the clock offsets are read without it.
 */
final class Instance implements ValarmInstance {
    final Device device;
    final int minor;
    private final String name;
    final String blockerTag;

    // Clock offsets: instance time = host time + offset.
    private volatile long realtimeOffset;
    final long boottimeOffset;
    final long monotonicOffset;

    // Guarded by device.lock.
    Handle owner;
    int enabled;
    int pending;
    boolean waitPending;
    boolean blockerHeld;
    volatile boolean closed; // written under device.lock
    int wakeSeq;
    int blockingWaiters;
    final long[] entry = new long[AlarmType.COUNT];
    /** Types whose {@link #entry} is a tombstone left by a lazy CLEAR (see {@link Device#disarm}). */
    int tombMask;
    final long[] alarmNanos = new long[AlarmType.COUNT];
    /** Tolerance window per type (0 = exact); the type's heap entry is keyed by the window's end. */
    final long[] windowNanos = new long[AlarmType.COUNT];
    /** Entry in the device's window-start heap per type; only windowed alarms have one. */
    final long[] startEntry = new long[AlarmType.COUNT];
    final Condition changed;
    final ArrayDeque<AsyncWaiter> asyncWaiters = new ArrayDeque<>();

    Instance(final Device device, final int minor, final String name, final long realtimeOffset,
            final long boottimeOffset, final long monotonicOffset) {
        this.device = device;
        this.minor = minor;
        this.name = name;
        this.blockerTag = "valarm[" + minor + "]";
        this.realtimeOffset = realtimeOffset;
        this.boottimeOffset = boottimeOffset;
        this.monotonicOffset = monotonicOffset;
        this.changed = device.lock.newCondition();
    }

    @Override
    public int minor() {
        return minor;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public AlarmHandle open(final OpenMode mode) {
        Objects.requireNonNull(mode, "mode");
        checkOpen();
        return new Handle(this, mode);
    }

    @Override
    public Timespec now(final AlarmType type) {
        Objects.requireNonNull(type, "type");
        checkOpen();
        return Timespec.ofNanos(nowNanos(type.clockBase()));
    }

    /** The instance's time on a base, in nanoseconds (saturated). */
    long nowNanos(final ClockBase base) {
        final long host = device.clocks.nanos(base);
        switch (base) {
            case REALTIME:
                return Sat.add(host, realtimeOffset);
            case BOOTTIME:
                return Sat.add(host, boottimeOffset);
            default:
                return Sat.add(host, monotonicOffset);
        }
    }

    /** The offset of a base's clock (by base index). */
    long offset(final int base) {
        return base == 0 ? realtimeOffset : base == 1 ? boottimeOffset : monotonicOffset;
    }

    @Override
    public Clock clock() {
        return new InstanceClock(this, ZoneOffset.UTC);
    }

    @Override
    public Duration wallClockOffset() {
        return Duration.ofNanos(realtimeOffset);
    }

    @Override
    public InstanceSnapshot snapshot() {
        device.lock.lock();
        try {
            checkOpen();
            final long hostRt = device.clocks.nanos(ClockBase.REALTIME);
            final long hostBt = device.clocks.nanos(ClockBase.BOOTTIME);
            final long hostMono = device.clocks.nanos(ClockBase.MONOTONIC);
            final long rtOffset = realtimeOffset;
            final InstanceSnapshot.Builder b = InstanceSnapshot.builder()
                    .minor(minor)
                    .name(name)
                    .clocks(Timespec.ofNanos(Sat.add(hostRt, rtOffset)), Timespec.ofNanos(Sat.add(hostBt, boottimeOffset)),
                            Timespec.ofNanos(Sat.add(hostMono, monotonicOffset)))
                    .wallClockOffset(Duration.ofNanos(rtOffset))
                    .pendingEvents(AlarmEvents.of(pending))
                    .waitResultOutstanding(waitPending);
            for (int t = 0; t < AlarmType.COUNT; t++) {
                if ((enabled & (1 << t)) != 0) {
                    b.alarm(AlarmType.of(t), Timespec.ofNanos(alarmNanos[t]), Duration.ofNanos(windowNanos[t]));
                }
            }
            return b.build();
        } finally {
            device.lock.unlock();
        }
    }

    @Override
    public ValarmInstance unshare(final InstanceConfig childConfig, final boolean copyAlarms) {
        Objects.requireNonNull(childConfig, "childConfig");
        return device.unshare(this, childConfig, copyAlarms);
    }

    /**
     * Arms type {@code t} at {@code instanceTime} on this instance's clock of the type's base (SET, restore,
     * unshare). Lock held.
     *
     * @return whether the dispatcher must be woken
     */
    boolean arm(final int t, final long instanceTime, final long windowNanos) {
        alarmNanos[t] = instanceTime;
        enabled |= 1 << t;
        return device.arm(this, t, Sat.sub(instanceTime, offset(Device.BASE_OF[t])), windowNanos);
    }

    /**
     * Arms a freshly installed, restored instance with a snapshot's alarms and events. Lock held.
     *
     * @param wallMoved whether the wall clock moved against the snapshot's (raises time-change)
     * @return whether the dispatcher must be woken
     */
    boolean restoreState(final InstanceSnapshot s, final boolean wallMoved) {
        boolean wake = false;
        for (final AlarmType type : AlarmType.values()) {
            final java.util.Optional<Timespec> at = s.alarm(type);
            if (at.isPresent()) {
                if (arm(type.number(), at.get().toNanos(), s.window(type).orElseThrow().toNanos())) {
                    wake = true;
                }
            }
        }
        pending = s.pendingEvents().mask() | (wallMoved ? AlarmEvents.TIME_CHANGE_MASK : 0);
        waitPending = false;
        return wake;
    }

    @Override
    public boolean isClosed() {
        return closed || device.isClosed();
    }

    @Override
    public void close() {
        close(false);
    }

    /** Closes as part of the device's close. */
    void closeFromDevice() {
        close(true);
    }

    private void close(final boolean byDevice) {
        final List<AsyncWaiter> failed;
        final boolean wake;
        device.lock.lock();
        try {
            if (closed) {
                return;
            }
            wake = shutdown();
            device.remove(this);
            failed = drainAsync();
        } finally {
            device.lock.unlock();
        }
        if (wake && !byDevice) { // a closing device stops its dispatcher anyway
            device.wakeDispatcher();
        }
        if (!failed.isEmpty()) {
            // Built only when someone waits: closing a device of 100 000 idle instances allocates nothing here.
            failAll(failed, new ValarmClosedException(Errno.ENODEV, byDevice ? "device was closed: " + device.description()
                    : "instance " + name + " (minor " + minor + ") was closed"));
        }
    }

    /** Cancels everything and marks closed. Lock held. @return whether the dispatcher must be woken */
    private boolean shutdown() {
        closed = true;
        final boolean wake = disarmAll();
        pending = 0;
        waitPending = false;
        releaseBlocker();
        owner = null;
        wakeSeq++;
        changed.signalAll();
        return wake;
    }

    /** Disarms every type. Lock held. */
    boolean disarmAll() {
        boolean wake = false;
        for (int t = 0; t < AlarmType.COUNT; t++) {
            if (device.disarm(this, t)) {
                wake = true;
            }
        }
        enabled = 0;
        return wake;
    }

    void checkOpen() {
        device.checkOpen();
        if (closed) {
            throw new ValarmClosedException(Errno.ENODEV, "instance " + name + " (minor " + minor + ") is closed");
        }
    }

    /** Sets the wall clock (SET_RTC). Lock held. @return whether the dispatcher must be woken */
    boolean setWallClock(final long instanceRealtime) {
        final long host = device.clocks.nanos(ClockBase.REALTIME);
        final long newOffset = instanceRealtime - host;
        if (((instanceRealtime ^ host) & (instanceRealtime ^ newOffset)) < 0) {
            // A saturated offset would put the clock somewhere else than asked: refuse, change nothing.
            throw new InvalidAlarmException("SET_RTC: " + Timespec.ofNanos(instanceRealtime) + " is too far from the host clock "
                    + Timespec.ofNanos(host) + " for a 64-bit nanosecond offset (instance " + name + ", minor " + minor + ")");
        }
        realtimeOffset = newOffset;
        boolean wake = false;
        for (int t = 0; t <= 1; t++) {
            if ((enabled & (1 << t)) != 0 && device.rekey(this, t, Sat.sub(alarmNanos[t], newOffset))) {
                wake = true;
            }
        }
        raiseTimeChange();
        return wake;
    }

    /** Raises the time-change bit and wakes waiters. Lock held. */
    void raiseTimeChange() {
        pending |= AlarmEvents.TIME_CHANGE_MASK;
        signalWaiters();
    }

    /** The dispatcher fired type t. Lock held. */
    void fired(final int t) {
        final int mask = 1 << t;
        entry[t] = TimerQueue.NULL_HANDLE;
        enabled &= ~mask;
        pending |= mask;
        device.blocker.acquire(blockerTag, Device.WAKELOCK_TIMEOUT);
        blockerHeld = true;
        signalWaiters();
    }

    /** Wakes blocking waiters and completes one asynchronous waiter if events are pending. Lock held. */
    void signalWaiters() {
        wakeSeq++;
        changed.signalAll();
        if (!asyncWaiters.isEmpty() && pending != 0) {
            completeOneAsync();
        }
    }

    private void completeOneAsync() {
        AsyncWaiter w;
        while ((w = asyncWaiters.poll()) != null) {
            if (w.future.isDone()) {
                continue;
            }
            final int rv = fetchAndClear();
            w.deliver(rv);
            return;
        }
    }

    /** WAIT's fetch-and-clear. Lock held. */
    int fetchAndClear() {
        final int rv = pending;
        waitPending = true;
        pending = 0;
        return rv;
    }

    /** WAIT's acknowledgement of the previous result. Lock held. */
    void ackPrevious() {
        if (pending == 0 && waitPending) {
            releaseBlocker();
            waitPending = false;
        }
    }

    void releaseBlocker() {
        if (blockerHeld) {
            blockerHeld = false;
            device.blocker.release(blockerTag);
        }
    }

    /** Events handed to an asynchronous waiter that was cancelled come back. */
    void giveBack(final Handle from, final int mask) {
        device.lock.lock();
        try {
            if (closed || owner != from || mask == 0) {
                return;
            }
            pending |= mask;
            signalWaiters();
        } finally {
            device.lock.unlock();
        }
    }

    /** Removes the asynchronous waiters. Lock held. */
    List<AsyncWaiter> drainAsync() {
        if (asyncWaiters.isEmpty()) {
            return List.of();
        }
        final List<AsyncWaiter> list = new ArrayList<>(asyncWaiters);
        asyncWaiters.clear();
        return list;
    }

    /** Fails asynchronous waiters (call without the lock). */
    void failAll(final List<AsyncWaiter> waiters, final RuntimeException error) {
        for (final AsyncWaiter w : waiters) {
            w.fail(error);
        }
    }

    @Override
    public String toString() {
        return "ValarmInstance[" + name + ", minor " + minor + (closed ? ", closed" : "") + ']';
    }

    /** A pending asynchronous WAIT. */
    final class AsyncWaiter {
        final Handle handle;
        final CompletableFuture<AlarmEvents> future;

        AsyncWaiter(final Handle handle, final CompletableFuture<AlarmEvents> future) {
            this.handle = handle;
            this.future = future;
        }

        void deliver(final int mask) {
            final AlarmEvents ev = AlarmEvents.of(mask);
            try {
                device.callbackExecutor.execute(() -> {
                    if (!future.complete(ev)) {
                        giveBack(handle, mask);
                    }
                });
            } catch (final RuntimeException e) {
                // The executor refused: give the events back and fail this waiter, never lose them.
                device.lock.lock();
                try {
                    pending |= mask;
                    wakeSeq++;
                    changed.signalAll();
                } finally {
                    device.lock.unlock();
                }
                future.completeExceptionally(e);
            }
        }

        void fail(final RuntimeException error) {
            try {
                device.callbackExecutor.execute(() -> future.completeExceptionally(error));
            } catch (final RuntimeException e) {
                future.completeExceptionally(error);
            }
        }
    }

    /** A {@link Clock} view of the instance's wall clock. Immutable and thread-safe. */
    static final class InstanceClock extends Clock {
        private final Instance instance;
        private final ZoneId zone;

        InstanceClock(final Instance instance, final ZoneId zone) {
            this.instance = instance;
            this.zone = zone;
        }

        @Override
        public ZoneId getZone() {
            return zone;
        }

        @Override
        public Clock withZone(final ZoneId newZone) {
            Objects.requireNonNull(newZone, "zone");
            return newZone.equals(zone) ? this : new InstanceClock(instance, newZone);
        }

        @Override
        public long millis() {
            return Math.floorDiv(instance.nowNanos(ClockBase.REALTIME), 1_000_000L);
        }

        @Override
        public Instant instant() {
            final long n = instance.nowNanos(ClockBase.REALTIME);
            return Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
        }

        @Override
        public boolean equals(final Object o) {
            return o instanceof InstanceClock && ((InstanceClock) o).instance == instance
                    && ((InstanceClock) o).zone.equals(zone);
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(instance) ^ zone.hashCode();
        }

        @Override
        public String toString() {
            return "InstanceClock[" + instance.name + ", " + zone + ']';
        }
    }
}
