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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * guarded by the instance's own {@link #lock} (no device-wide lock, see the multiplexer's design in
 * {@link Device}); the clock offsets are read without it; the heap bookkeeping in {@link #slots} is the
 * dispatcher's (guarded by the device's heap lock).
 */
final class Instance implements ValarmInstance {
    /**
     * Per type, {@link #STRIDE} longs of {@link #slots}: one cache line's worth per type. The fields a SET or
     * CLEAR uses come first ({@link #ALARM} .. {@link #CLEARED_AT}, 40 bytes), the dispatcher's entry handles
     * after them, so that the caller's part spans as few lines as it can (see {@link Handle}'s touch).
     */
    static final int STRIDE = 8;
    /** The armed alarm's time on the instance's clock (guarded by {@link #lock}). */
    static final int ALARM = 0;
    /** The tolerance window, 0 = exact (guarded by {@link #lock}). */
    static final int WINDOW = 1;
    /** The armed alarm's window start on the type's host base (guarded by {@link #lock}). */
    static final int HOST_START = 2;
    /** The key of the type's end-heap entry, {@code Long.MAX_VALUE} if none (written by the heap-lock holder, volatile). */
    static final int HEAP_KEY = 3;
    /** The CLEAR count at the type's last CLEAR (guarded by {@link #lock}; see {@link #giveBack}). */
    static final int CLEARED_AT = 4;
    /** The end-heap entry's handle (heap lock). */
    static final int END_ENTRY = 5;
    /** The start-heap entry's handle, windowed alarms only (heap lock). */
    static final int START_ENTRY = 6;
    /** The wake-key-heap entry's handle, windowed wakeup alarms only (heap lock). */
    static final int WAKE_ENTRY = 7;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle QUEUED;

    static {
        try {
            QUEUED = MethodHandles.lookup().findVarHandle(Instance.class, "queuedTypes", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Device device;
    final int minor;
    private final String name;
    final String blockerTag;

    // Clock offsets: instance time = host time + offset.
    private volatile long realtimeOffset;
    final long boottimeOffset;
    final long monotonicOffset;

    // Allocated first, in this order, so that the object, its lock and its slots sit side by side in memory:
    // a SET or CLEAR of a random one of many instances is bound by the cache lines it touches.
    /** Guards the driver state of this instance: the owner rules, the masks, the waiters, the armed times. */
    final InstanceLock lock = new InstanceLock();
    /** Per type {@link #STRIDE} longs: {@link #ALARM} .. {@link #CLEARED_AT}. */
    final long[] slots = new long[AlarmType.COUNT * STRIDE];
    /** Signalled when blocking waiters must wake; made on the first blocking WAIT. Guarded by lock. */
    private Condition changed;

    // Guarded by lock.
    /** The owning handle (volatile only so that {@link #touch} can read it ahead of the lock). */
    volatile Handle owner;
    /** Armed types. Read without the lock by the heap-lock holder (see {@link #queuedTypes}). */
    int enabled;
    int pending;
    boolean waitPending;
    boolean blockerHeld;
    volatile boolean closed; // written under lock
    int wakeSeq;
    int blockingWaiters;
    /** Blocking waiters asleep on the current {@link #wakeSeq} (not yet woken). */
    int asleep;
    /** Counts CLEARs; {@link #CLEARED_AT} holds the count at each type's last CLEAR (see {@link #giveBack}). */
    int clearEpoch;
    /** SETs made on this instance (restore and unshare included), for {@link dev.valarm.DeviceStats}. */
    long sets;
    final ArrayDeque<AsyncWaiter> asyncWaiters = new ArrayDeque<>();
    /** The owner's reusable asynchronous WAIT, if an in-module client registered one. */
    Subscription subscription;
    /**
     * Types whose driver state changed since the heaps last applied it: set by callers (and the dispatcher)
     * with an atomic OR before the instance goes into the {@link ChangeQueue}, taken with an atomic swap by
     * the heap-lock holder before it reads the state. The pair orders the state's plain fields: whoever
     * changes the state after the swap sees the bit clear and queues the instance again.
     */
    private volatile int queuedTypes;

    Instance(final Device device, final int minor, final String name, final long realtimeOffset,
            final long boottimeOffset, final long monotonicOffset) {
        this.device = device;
        this.minor = minor;
        this.name = name;
        this.blockerTag = "valarm[" + minor + "]";
        this.realtimeOffset = realtimeOffset;
        this.boottimeOffset = boottimeOffset;
        this.monotonicOffset = monotonicOffset;
        for (int t = 0; t < AlarmType.COUNT; t++) {
            slots[t * STRIDE + HEAP_KEY] = Long.MAX_VALUE;
        }
    }

    // ------------------------------------------------------------------ per-type slots

    long get(final int t, final int field) {
        return slots[t * STRIDE + field];
    }

    void put(final int t, final int field, final long value) {
        slots[t * STRIDE + field] = value;
    }

    /** The key of type {@code t}'s end-heap entry as the heap-lock holder last published it (MAX: none). */
    long heapKey(final int t) {
        return (long) LONGS.getVolatile(slots, t * STRIDE + HEAP_KEY);
    }

    /**
     * Reads both ends of type {@code t}'s caller fields in {@code slots} ahead of a SET or CLEAR (see
     * {@link Handle}'s touch); the values are not used (volatile reads, so they are not optimised away).
     */
    static void touch(final long[] slots, final int t) {
        LONGS.getVolatile(slots, t * STRIDE + ALARM);
        LONGS.getVolatile(slots, t * STRIDE + CLEARED_AT);
    }

    /** Publishes the key of type {@code t}'s end-heap entry. Heap lock held. */
    void publishHeapKey(final int t, final long key) {
        LONGS.setVolatile(slots, t * STRIDE + HEAP_KEY, key);
    }

    /**
     * Reads this object's lines ahead of a SET or CLEAR (see {@link Handle}'s touch): HotSpot lays the longs
     * out first and the booleans and references last, so a volatile field of each end covers the object.
     */
    void touch() {
        final long first = realtimeOffset;
        final boolean middle = closed;
        final Handle last = owner;
    }

    /** Marks types as changed; returns the types marked before (0: the caller must queue the instance). */
    int markQueued(final int mask) {
        return (int) QUEUED.getAndBitwiseOr(this, mask);
    }

    /** Takes the changed types (heap lock held). */
    int takeQueued() {
        return (int) QUEUED.getAndSet(this, 0);
    }

    /** The window end of type {@code t}'s armed alarm on its host base (saturated). Lock held or racy. */
    long hostEnd(final int t) {
        return Sat.add(get(t, HOST_START), get(t, WINDOW));
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
        lock.lock();
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
                    b.alarm(AlarmType.of(t), Timespec.ofNanos(get(t, ALARM)), Duration.ofNanos(get(t, WINDOW)));
                }
            }
            return b.build();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public ValarmInstance unshare(final InstanceConfig childConfig, final boolean copyAlarms) {
        Objects.requireNonNull(childConfig, "childConfig");
        return device.unshare(this, childConfig, copyAlarms);
    }

    /**
     * Arms type {@code t} at {@code instanceTime} on this instance's clock of the type's base (SET, restore,
     * unshare) and hands the change to the multiplexer. Lock held.
     */
    void arm(final int t, final long instanceTime, final long windowNanos) {
        final int mask = 1 << t;
        final long hostStart = Sat.sub(instanceTime, offset(Device.BASE_OF[t]));
        final boolean wasWindowed = (enabled & mask) != 0 && get(t, WINDOW) != 0L;
        final long oldKey = heapKey(t);
        put(t, ALARM, instanceTime);
        put(t, WINDOW, windowNanos);
        put(t, HOST_START, hostStart);
        enabled |= mask;
        sets++;
        device.armChanged(this, t, hostStart, windowNanos, wasWindowed, oldKey);
    }

    /** Disarms type {@code t} (CLEAR, close paths) and hands the change to the multiplexer. Lock held. */
    void disarm(final int t) {
        final int mask = 1 << t;
        if ((enabled & mask) == 0) {
            return;
        }
        enabled &= ~mask;
        device.alarmCleared(this, t, get(t, WINDOW) != 0L);
    }

    /**
     * Arms a freshly installed, restored instance with a snapshot's alarms and events. Lock held.
     *
     * @param wallMoved whether the wall clock moved against the snapshot's (raises time-change)
     */
    void restoreState(final InstanceSnapshot s, final boolean wallMoved) {
        for (final AlarmType type : AlarmType.values()) {
            final java.util.Optional<Timespec> at = s.alarm(type);
            if (at.isPresent()) {
                arm(type.number(), at.get().toNanos(), s.window(type).orElseThrow().toNanos());
            }
        }
        pending = s.pendingEvents().mask() | (wallMoved ? AlarmEvents.TIME_CHANGE_MASK : 0);
        waitPending = false;
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
        lock.lock();
        try {
            if (closed) {
                return;
            }
            shutdown();
            failed = drainAsync();
        } finally {
            lock.unlock();
        }
        device.remove(this);
        if (!failed.isEmpty()) {
            // Built only when someone waits: closing a device of 100 000 idle instances allocates nothing here.
            failAll(failed, new ValarmClosedException(Errno.ENODEV, byDevice ? "device was closed: " + device.description()
                    : "instance " + name + " (minor " + minor + ") was closed"));
        }
    }

    /** Cancels everything and marks closed; the heaps drop this instance's entries. Lock held. */
    private void shutdown() {
        closed = true;
        disarmAll();
        pending = 0;
        waitPending = false;
        releaseBlocker();
        owner = null;
        wakeBlocking();
        endSubscription(false);
        device.instanceClosed(this, sets);
    }

    /** Disarms every type. Lock held. */
    void disarmAll() {
        for (int t = 0; t < AlarmType.COUNT; t++) {
            disarm(t);
        }
    }

    void checkOpen() {
        device.checkOpen();
        if (closed) {
            throw new ValarmClosedException(Errno.ENODEV, "instance " + name + " (minor " + minor + ") is closed");
        }
    }

    /**
     * Sets the wall clock (SET_RTC) to {@code instanceRealtime}, which the caller checked is in the clock
     * range, and re-keys the armed wall-clock alarms on the host base. Lock held.
     */
    void setWallClock(final long instanceRealtime) {
        final long host = device.clocks.nanos(ClockBase.REALTIME);
        // Both in the clock range (the host's by assumption): the difference fits in 64 bits.
        final long newOffset = Sat.sub(instanceRealtime, host);
        realtimeOffset = newOffset;
        for (int t = 0; t <= 1; t++) {
            if ((enabled & (1 << t)) != 0) {
                final long oldKey = heapKey(t);
                final long hostStart = Sat.sub(get(t, ALARM), newOffset);
                put(t, HOST_START, hostStart);
                final long window = get(t, WINDOW);
                device.armChanged(this, t, hostStart, window, window != 0L, oldKey);
            }
        }
        raiseTimeChange();
    }

    /** Raises the time-change bit and wakes waiters. Lock held. */
    void raiseTimeChange() {
        pending |= AlarmEvents.TIME_CHANGE_MASK;
        signalWaiters();
    }

    /** The dispatcher fired type t. Lock held. */
    void fired(final int t) {
        final int mask = 1 << t;
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
        if (changed != null) {
            changed.signalAll();
        }
        if (asleep != 0) {
            device.delivery.started(asleep);
            asleep = 0;
        }
    }

    /** The condition blocking waiters sleep on. Lock held. */
    Condition changed() {
        if (changed == null) {
            changed = lock.newCondition();
        }
        return changed;
    }

    /**
     * Wakes blocking waiters and, if events are pending, hands them to the subscription (a WAIT that is
     * always outstanding) or completes one asynchronous waiter. Lock held.
     */
    void signalWaiters() {
        wakeBlocking();
        if (pending != 0) {
            if (subscription != null) {
                subscription.deliver(fetchAndClear());
            } else if (!asyncWaiters.isEmpty()) {
                completeOneAsync();
            }
        }
    }

    /** The owner handle or the instance closed: the subscription, if any, ends with that error. Lock held. */
    void endSubscription(final boolean byHandle) {
        final Subscription s = subscription;
        if (s != null) {
            subscription = null;
            s.fail(Subscription.closed(this, byHandle));
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
        put(t, CLEARED_AT, ++clearEpoch);
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
            if ((back & (1 << t)) != 0 && (int) get(t, CLEARED_AT) - takenEpoch > 0) {
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
     * A pending asynchronous WAIT. Its completion never runs under a lock: the events it takes
     * are recorded ({@link #taken}) and handed to the device's {@link Delivery} path, whose thread passes
     * this waiter to the callback executor, where {@link #run} completes the future.
     *
     * <p>Who owns taken events: whoever first claims {@link #taken} (under the instance's lock) - the device's
     * completion ({@link #run}) or a completion of the future by anyone else (a cancel, a timeout, a
     * user's {@code complete}), which gives them back at once, before the future completes, so that a WAIT
     * or CLEAR right after {@code cancel()} sees them. If the device claimed them and then loses the race to
     * complete, it gives them back; either way a type CLEARed since they were taken is dropped.
     */
    final class AsyncWaiter implements Runnable {
        final Handle handle;
        final WaitFuture future;
        /** The events fetched for this waiter and not yet claimed. Guarded by the instance's lock. */
        private int taken;
        /** {@link #clearEpoch} when the events were taken. Guarded by the instance's lock. */
        private int takenEpoch;

        AsyncWaiter(final Handle handle) {
            this.handle = handle;
            this.future = new WaitFuture(this);
        }

        /** Whether the current thread holds the instance's lock (a late delivery must then not run inline). */
        boolean lockHeldByCurrentThread() {
            return lock.isHeldByCurrentThread();
        }

        /** Hands the fetched events to the delivery path. Lock held. */
        void deliver(final int mask) {
            taken = mask;
            takenEpoch = clearEpoch;
            device.delivery.complete(this);
        }

        /** Takes the unclaimed events (0 if someone claimed them already). */
        private int claim() {
            lock.lock();
            try {
                final int m = taken;
                taken = 0;
                return m;
            } finally {
                lock.unlock();
            }
        }

        /** The future is being completed by someone else than the device: the events go back first. */
        void completedElsewhere() {
            lock.lock();
            try {
                final int m = taken;
                taken = 0;
                giveBack(handle, m, takenEpoch);
            } finally {
                lock.unlock();
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
                lock.lock();
                try {
                    pending |= taken;
                    taken = 0;
                    wakeBlocking();
                } finally {
                    lock.unlock();
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
                    lock.lock();
                    try {
                        giveBack(handle, mask, takenEpoch);
                    } finally {
                        lock.unlock();
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
