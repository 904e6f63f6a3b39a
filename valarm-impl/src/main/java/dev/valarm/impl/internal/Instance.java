package dev.valarm.impl.internal;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.InstanceSnapshot;
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
    /** Blocking waiters asleep on the current {@link #wakeSeq} (not yet woken). */
    int asleep;
    /** Counts CLEARs; {@link #clearedAt} holds the count at each type's last CLEAR (see {@link #giveBack}). */
    int clearEpoch;
    final int[] clearedAt = new int[AlarmType.COUNT];
    final long[] entry = new long[AlarmType.COUNT];
    /** Types whose {@link #entry} is a tombstone left by a lazy CLEAR (see {@link Device#disarm}). */
    int tombMask;
    final long[] alarmNanos = new long[AlarmType.COUNT];
    /** Tolerance window per type (0 = exact); the type's heap entry is keyed by the window's end. */
    final long[] windowNanos = new long[AlarmType.COUNT];
    /** Entry in the device's window-start heap per type; only windowed alarms have one. */
    final long[] startEntry = new long[AlarmType.COUNT];
    /** Entry in the device's wake-key heap per type; only windowed wakeup alarms have one. */
    final long[] wakeKeyEntry = new long[AlarmType.COUNT];
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
        wakeBlocking();
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

    /**
     * Sets the wall clock (SET_RTC) to {@code instanceRealtime}, which the caller checked is in the clock
     * range. Lock held.
     *
     * @return whether the dispatcher must be woken
     */
    boolean setWallClock(final long instanceRealtime) {
        final long host = device.clocks.nanos(ClockBase.REALTIME);
        // Both in the clock range (the host's by assumption): the difference fits in 64 bits.
        final long newOffset = Sat.sub(instanceRealtime, host);
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
        entry[t] = TimerHeap.NULL_HANDLE;
        enabled &= ~mask;
        pending |= mask;
        device.blocker.acquire(blockerTag, Device.WAKELOCK_TIMEOUT);
        blockerHeld = true;
        signalWaiters();
    }

    /**
     * Wakes every blocking waiter (they return from WAIT). Those asleep count as work handed to user code
     * until they have returned (see {@link DeliveryObserver}). Lock held.
     */
    void wakeBlocking() {
        wakeSeq++;
        changed.signalAll();
        if (asleep != 0) {
            device.delivery.started(asleep);
            asleep = 0;
        }
    }

    /** Wakes blocking waiters and completes one asynchronous waiter if events are pending. Lock held. */
    void signalWaiters() {
        wakeBlocking();
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

    /** CLEAR of type {@code t}: remembered so that events in flight to an asynchronous waiter honour it. Lock held. */
    void cleared(final int t) {
        clearedAt[t] = ++clearEpoch;
    }

    /**
     * Events an asynchronous waiter took and could not deliver (its future was cancelled or completed by
     * someone else) come back, as if the waiter had never taken them: minus the types CLEARed since it took
     * them ({@code takenEpoch}), and not at all if the owner changed or the instance closed. Lock held.
     */
    private void giveBack(final Handle from, final int mask, final int takenEpoch) {
        if (closed || owner != from || mask == 0) {
            return;
        }
        int back = mask;
        for (int t = 0; t < AlarmType.COUNT; t++) {
            if ((back & (1 << t)) != 0 && clearedAt[t] - takenEpoch > 0) {
                back &= ~(1 << t);
            }
        }
        if (back != 0) {
            pending |= back;
            signalWaiters();
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

    /**
     * A pending asynchronous WAIT. Its completion never runs under the device lock: the events it takes
     * are recorded ({@link #taken}) and handed to the device's {@link Delivery} path, whose thread passes
     * this waiter to the callback executor, where {@link #run} completes the future.
     *
     * <p>Who owns taken events: whoever first claims {@link #taken} (under the device lock) - the device's
     * completion ({@link #run}) or a completion of the future by anyone else (a cancel, a timeout, a
     * user's {@code complete}), which gives them back at once, before the future completes, so that a WAIT
     * or CLEAR right after {@code cancel()} sees them. If the device claimed them and then loses the race to
     * complete, it gives them back; either way a type CLEARed since they were taken is dropped.
     */
    final class AsyncWaiter implements Runnable {
        final Handle handle;
        final WaitFuture future;
        /** The events fetched for this waiter and not yet claimed. Guarded by the device lock. */
        private int taken;
        /** {@link #clearEpoch} when the events were taken. Guarded by the device lock. */
        private int takenEpoch;

        AsyncWaiter(final Handle handle) {
            this.handle = handle;
            this.future = new WaitFuture(this);
        }

        /** Hands the fetched events to the delivery path. Lock held. */
        void deliver(final int mask) {
            taken = mask;
            takenEpoch = clearEpoch;
            device.delivery.complete(this);
        }

        /** Takes the unclaimed events (0 if someone claimed them already). */
        private int claim() {
            device.lock.lock();
            try {
                final int m = taken;
                taken = 0;
                return m;
            } finally {
                device.lock.unlock();
            }
        }

        /** The future is being completed by someone else than the device: the events go back first. */
        void completedElsewhere() {
            device.lock.lock();
            try {
                final int m = taken;
                taken = 0;
                giveBack(handle, m, takenEpoch);
            } finally {
                device.lock.unlock();
            }
        }

        /** On the delivery thread: passes this waiter to the executor, or gives the events back if it refuses. */
        void handOff(final java.util.concurrent.Executor executor) {
            try {
                executor.execute(this);
            } catch (final RuntimeException e) {
                device.delivery.finished();
                // The executor refused: give the events back and fail this waiter, never lose them. Only the
                // blocking waiters are woken: another asynchronous one would meet the same executor.
                device.lock.lock();
                try {
                    pending |= taken;
                    taken = 0;
                    wakeBlocking();
                } finally {
                    device.lock.unlock();
                }
                future.failOwn(e);
            }
        }

        /** On the callback executor: completes the future (its dependents run here), or gives the events back. */
        @Override
        public void run() {
            try {
                final int mask = claim();
                if (mask != 0 && !future.deliver(AlarmEvents.of(mask))) {
                    // Completed by someone else between our claim and our completion: the events go back.
                    device.lock.lock();
                    try {
                        giveBack(handle, mask, takenEpoch);
                    } finally {
                        device.lock.unlock();
                    }
                }
            } finally {
                device.delivery.finished();
            }
        }

        /** Fails the future (call without the lock): through the delivery path and the executor. */
        void fail(final RuntimeException error) {
            device.delivery.fail(this, error);
        }

        /** On the delivery thread: fails the future on the executor, or here if it refuses. */
        void failOn(final java.util.concurrent.Executor executor, final RuntimeException error) {
            try {
                executor.execute(() -> {
                    try {
                        future.failOwn(error);
                    } finally {
                        device.delivery.finished();
                    }
                });
            } catch (final RuntimeException e) {
                try {
                    future.failOwn(error);
                } finally {
                    device.delivery.finished();
                }
            }
        }
    }

    /**
     * The future of an asynchronous WAIT. The device completes it through {@link #deliver} and
     * {@link #failOwn}; any other completion that wins ({@link #cancel}, {@link #complete},
     * {@link #completeExceptionally}, which {@code orTimeout} and {@code completeOnTimeout} use) first gives
     * the events the waiter took back to the instance. Dependent stages are plain
     * {@link CompletableFuture}s. Thread-safe.
     */
    static final class WaitFuture extends CompletableFuture<AlarmEvents> {
        private final AsyncWaiter waiter;

        WaitFuture(final AsyncWaiter waiter) {
            this.waiter = waiter;
        }

        /** The device's completion. */
        boolean deliver(final AlarmEvents events) {
            return super.complete(events);
        }

        /** The device's failure. */
        boolean failOwn(final Throwable error) {
            return super.completeExceptionally(error);
        }

        @Override
        public boolean cancel(final boolean mayInterruptIfRunning) {
            if (isDone()) {
                return false;
            }
            waiter.completedElsewhere();
            return super.cancel(mayInterruptIfRunning);
        }

        @Override
        public boolean complete(final AlarmEvents value) {
            if (isDone()) {
                return false;
            }
            waiter.completedElsewhere();
            return super.complete(value);
        }

        @Override
        public boolean completeExceptionally(final Throwable ex) {
            if (isDone()) {
                return false;
            }
            waiter.completedElsewhere();
            return super.completeExceptionally(ex);
        }

        @Override
        public <U> CompletableFuture<U> newIncompleteFuture() {
            return new CompletableFuture<>();
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
