package dev.valarm.impl.internal;

import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.DeviceStats;
import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.InstanceSnapshot;
import dev.valarm.RestoreOptions;
import dev.valarm.TimeFormat;
import dev.valarm.Timespec;
import dev.valarm.ValarmClosedException;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.ValarmLimitException;
import dev.valarm.impl.DeviceListener;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.SuspendBlocker;
import dev.valarm.spi.WakeReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The multiplexer behind {@link ValarmDevice}. Thread-safe.
 *
 * <p>Concurrency: one {@link ReentrantLock} guards every instance's driver state and the five heaps (one
 * per alarm type, keyed by the host clock of the type's base, payload = the instance's minor). Callers
 * (SET, CLEAR, WAIT ...) take the lock briefly and never touch the hardware. One dispatcher thread
 * sleeps in {@link HostClocks#awaitDeadline}, fires due entries under the lock, and alone talks to the
 * {@link RtcBackend}, outside the lock. A caller wakes the dispatcher only when its change moves a heap
 * head ahead of what the dispatcher sleeps for, or changes a wakeup heap's head (the hardware alarm may
 * need a new second); redundant wakes are collapsed through {@code wakePending}.
 *
 * <p>The rule for user code: no user code (asynchronous-wait completions and the callbacks that depend on
 * them, {@link DeviceListener} calls, the callback executor's {@code execute}) ever runs under the device
 * lock or inside the expiry loop. The code that holds the lock or sits in the loop only records what user
 * code must learn, into the {@link Delivery} path (a ring of primitive records, allocation-free); the
 * delivery thread runs the records after the fact, with no lock held, and hands completions to the
 * callback executor. So even {@code callbackExecutor(Runnable::run)} and a listener that blocks or calls
 * back into the device cannot stop the dispatcher or change a heap while it is being polled. (The SPI
 * backends are part of the device, not user code: the dispatcher calls the {@link RtcBackend} outside the
 * lock, and the {@link SuspendBlocker}, which must not block, under it.)
 *
 * <p>Expiry is level-triggered by time: after any wake, clock change or error the dispatcher re-reads
 * the clocks and fires what is due, so a spurious wake is harmless and a lost interrupt is caught at the
 * next read.
 *
 * <p>Wakeup coalescing: an alarm with a tolerance window {@code [start, end]} sits in its type's heap
 * keyed by {@code end} (the latest allowed time), so the dispatcher and the hardware alarm aim at the
 * earliest window end, exactly as for exact alarms (whose window is the single point {@code start =
 * end}). Windowed alarms also sit in a second heap per type keyed by {@code start}. Whenever a pass fires
 * some alarm by its end, or follows a hardware wake, every windowed alarm whose start has passed rides
 * along. Done online this is the greedy earliest-end stabbing of the windows, which is optimal for the
 * windows it is given (see docs/coalescing.md for what that does and does not promise). Exact alarms never
 * enter the start heaps, so their cost is unchanged (one emptiness check per pass).
 *
 * <p>The hardware wake for windows, exactly and in O(1): with resolution {@code r}, the earliest window end
 * {@code E} over both wakeup types and {@code F} the last resolution instant at or before {@code E}, the
 * earliest own wake time of any wakeup alarm (the latest resolution instant inside its window, or the
 * first after it) is {@code F} if some alarm has {@code start <= F} and {@code end < F + r}, else the first
 * instant after {@code E}. Both conditions together are {@code F >= max(start, end - r + 1 ns)}, and an
 * alarm ending {@code r} or more after {@code E} can never meet them, so the minimum of that key over all
 * windowed wakeup alarms decides. Each wakeup type keeps its windowed alarms in a third heap keyed by it
 * ({@code wakeKeys}); the programmer compares the two heads with {@code F}. No walk, no candidate cap.
 */
public final class Device implements ValarmDevice {
    private static final Logger LOG = LoggerFactory.getLogger(Device.class);

    /** The driver's wakelock timeout. */
    static final Duration WAKELOCK_TIMEOUT = Duration.ofSeconds(5);

    /** Entries fired per heap per dispatcher pass before the lock is released for callers. */
    private static final int FIRE_BUDGET = 1024;

    private static final long FIRST_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(30);

    final ReentrantLock lock = new ReentrantLock();
    final HostClocks clocks;
    final SuspendBlocker blocker;
    final int maxWaitersPerInstance;

    private final RtcBackend rtc;
    private final RtcCapabilities caps;
    private final int maxInstances;
    private final long lateThresholdNanos;
    private final String description;
    private final WakeProgrammer programmer;
    /** Where user code runs: listener calls and asynchronous-wait completions (see {@link Delivery}). */
    final Delivery delivery;
    /** A test-only observer of firings, called under the lock (see {@link DriverAccess#probeFirings}). */
    private volatile FiringProbe probe;

    // Guarded by lock.
    private final TimerHeap[] heaps = new TimerHeap[AlarmType.COUNT];
    /** Windowed alarms only, keyed by the host time their window starts; payload = minor. */
    private final TimerHeap[] starts = new TimerHeap[AlarmType.COUNT];
    /**
     * Windowed wakeup alarms only (types 0 and 2; null for the others), keyed by
     * {@code max(start, end - resolution + 1)}: the head decides whether the hardware may wake on the last
     * resolution instant before the earliest end (see the class comment). Payload = minor.
     */
    private final TimerHeap[] wakeKeys = new TimerHeap[AlarmType.COUNT];
    /** The RTC's resolution in nanoseconds (fixed for the device's life). */
    private final long resolution;
    private int windowedArmed;
    private Instance[] byMinor = new Instance[64];
    private final BitSet minors = new BitSet();
    private int instanceCount;
    private int armed;
    private final long[] planned = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE};
    private boolean wakePending;
    private volatile boolean closed;
    private long alarmsSet;
    private long alarmsFired;
    private long lateDeliveries;
    private long clockChanges;
    private long nowForFiring;
    private final FireHandler fireHandler = new FireHandler();
    private final RideAlongHandler rideAlongHandler = new RideAlongHandler();

    // Counters written by the dispatcher outside the lock.
    final AtomicLong hardwareWrites = new AtomicLong();
    final AtomicLong hardwareCancels = new AtomicLong();
    final AtomicLong hardwareWakes = new AtomicLong();
    final AtomicLong backendFaults = new AtomicLong();
    final AtomicLong backendRetries = new AtomicLong();
    final AtomicLong missedWakeInterrupts = new AtomicLong();

    private volatile boolean hardwareFired;
    private final Thread dispatcher;

    /**
     * Creates a device and starts its dispatcher thread.
     *
     * @param clocks the host clocks, owned (closed) by the device
     * @param rtc the RTC backend, owned (closed) by the device
     * @param blocker the suspend blocker
     * @param callbackExecutor runs asynchronous-wait completions
     * @param maxInstances the instance limit
     * @param maxWaitersPerInstance the waiter limit per instance
     * @param lateThreshold how late a firing counts as a late delivery
     * @param threadName the dispatcher thread's name
     * @param listener observes firings and hardware decisions
     */
    public Device(final HostClocks clocks, final RtcBackend rtc, final SuspendBlocker blocker,
            final Executor callbackExecutor, final int maxInstances, final int maxWaitersPerInstance,
            final Duration lateThreshold, final String threadName, final DeviceListener listener) {
        this.clocks = Objects.requireNonNull(clocks, "clocks");
        this.rtc = Objects.requireNonNull(rtc, "rtc");
        this.blocker = Objects.requireNonNull(blocker, "blocker");
        Objects.requireNonNull(callbackExecutor, "callbackExecutor");
        this.maxInstances = maxInstances;
        this.maxWaitersPerInstance = maxWaitersPerInstance;
        this.lateThresholdNanos = Sat.nanos(lateThreshold);
        this.caps = rtc.capabilities();
        this.description = clocks.name() + " + " + rtc.name();
        for (int t = 0; t < AlarmType.COUNT; t++) {
            heaps[t] = new TimerHeap(64);
            starts[t] = new TimerHeap(16);
            wakeKeys[t] = WAKEUP[t] ? new TimerHeap(16) : null;
        }
        this.resolution = Math.max(1L, Sat.nanos(caps.resolution()));
        this.delivery = new Delivery(Objects.requireNonNull(listener, "listener"), callbackExecutor,
                DeliveryObserver.of(clocks), lock, threadName + "-delivery");
        this.programmer = new WakeProgrammer(this, rtc, caps);
        programmer.listener = delivery;
        if (!caps.canWake()) {
            LOG.warn("RTC backend {} cannot wake the machine: wakeup alarms fire only while it is awake", rtc.name());
        }
        rtc.setAlarmListener(this::onHardwareAlarm);
        dispatcher = new Thread(this::dispatchLoop, threadName);
        dispatcher.setDaemon(true);
        dispatcher.start();
        LOG.info("valarm device started on {} (resolution {}, furthest alarm {}, can wake: {})",
                description, TimeFormat.duration(caps.resolution()), TimeFormat.duration(caps.maxAlarmAhead()), caps.canWake());
    }

    // ------------------------------------------------------------------ ValarmDevice

    @Override
    public ValarmInstance createInstance() {
        return createInstance(InstanceConfig.defaults());
    }

    @Override
    public ValarmInstance createInstance(final InstanceConfig config) {
        Objects.requireNonNull(config, "config");
        lock.lock();
        try {
            final int minor = pickMinor(config.minor());
            final String name = config.name() != null ? config.name() : "valarm" + minor;
            final String who = who(name, minor);
            final Duration[] given = {config.wallClockOffset(), config.boottimeOffset(), config.monotonicOffset()};
            final long[] offsets = {Sat.nanos(given[0]), Sat.nanos(given[1]), Sat.nanos(given[2])};
            checkClocks(who, offsets, given);
            final Instance in = new Instance(this, minor, name, offsets[0], offsets[1], offsets[2]);
            install(in);
            LOG.debug("created instance {} (minor {})", name, minor);
            return in;
        } finally {
            lock.unlock();
        }
    }

    private static final String[] CLOCK_NAMES = {"wall clock", "boot-time clock", "monotonic clock"};
    private static final ClockBase[] BASES = {ClockBase.REALTIME, ClockBase.BOOTTIME, ClockBase.MONOTONIC};

    private static String who(final String name, final int minor) {
        return "instance " + name + " (minor " + minor + ")";
    }

    /**
     * Checks that host clock plus offset is in the clock range on every base (see {@link ClockRange}).
     *
     * @param offsets the offsets, saturated
     * @param given the same offsets, exact (for the message)
     */
    private void checkClocks(final String who, final long[] offsets, final Duration[] given) {
        for (int b = 0; b < 3; b++) {
            ClockRange.clock("the " + CLOCK_NAMES[b] + " of " + who, b == 0, clocks.nanos(BASES[b]), offsets[b], given[b]);
        }
    }

    /**
     * Checks that an instance can be added at {@code requested} and returns its minor. Changes nothing.
     * Lock held.
     */
    private int pickMinor(final int requested) {
        checkOpen();
        if (instanceCount >= maxInstances) {
            throw new ValarmLimitException(Errno.ENOSPC,
                    "instance limit reached: " + instanceCount + " of " + maxInstances);
        }
        final int minor;
        if (requested == InstanceConfig.ANY_MINOR) {
            minor = minors.nextClearBit(0);
            if (minor >= InstanceConfig.Builder.MINOR_LIMIT) {
                throw new ValarmLimitException(Errno.ENOSPC, "no free minor below " + InstanceConfig.Builder.MINOR_LIMIT);
            }
        } else {
            minor = requested;
            if (minors.get(minor)) {
                throw new ValarmLimitException(Errno.EEXIST, "minor already in use: " + minor);
            }
        }
        return minor;
    }

    /** Adds a new instance at the minor {@link #pickMinor} returned. Lock held. */
    private void install(final Instance in) {
        final int minor = in.minor;
        if (minor >= byMinor.length) {
            byMinor = java.util.Arrays.copyOf(byMinor, Math.max(minor + 1, byMinor.length * 2));
        }
        byMinor[minor] = in;
        minors.set(minor);
        instanceCount++;
    }

    @Override
    public ValarmInstance restore(final InstanceSnapshot snapshot) {
        return restore(snapshot, RestoreOptions.defaults());
    }

    @Override
    public ValarmInstance restore(final InstanceSnapshot snapshot, final RestoreOptions options) {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(options, "options");
        final Instance in;
        final boolean wake;
        final boolean wallMoved;
        lock.lock();
        try {
            // Every check first; nothing below install() can fail.
            final int minor = pickMinor(options.minor() == RestoreOptions.SNAPSHOT_MINOR ? snapshot.minor()
                    : options.minor());
            final long hostRt = clocks.nanos(ClockBase.REALTIME);
            final long snapRt = snapshot.realtime().toNanos();
            final String name = options.name() != null ? options.name() : snapshot.name();
            final String who = "restored " + who(name, minor);
            final long btOffset = continueOffset(who, 1, snapshot.boottime().toNanos());
            final long monoOffset = continueOffset(who, 2, snapshot.monotonic().toNanos());
            final long rtOffset = options.wallClock() == RestoreOptions.WallClock.FOLLOW_HOST
                    ? Sat.nanos(snapshot.wallClockOffset()) : continueOffset(who, 0, snapRt);
            checkClocks(who, new long[] {rtOffset, btOffset, monoOffset}, new Duration[] {
                options.wallClock() == RestoreOptions.WallClock.FOLLOW_HOST ? snapshot.wallClockOffset() : Duration.ofNanos(rtOffset),
                Duration.ofNanos(btOffset), Duration.ofNanos(monoOffset)});
            in = new Instance(this, minor, name, rtOffset, btOffset, monoOffset);
            install(in);
            wallMoved = Sat.add(hostRt, rtOffset) != snapRt;
            wake = in.restoreState(snapshot, wallMoved);
        } finally {
            lock.unlock();
        }
        if (wake) {
            wakeDispatcher();
        }
        LOG.info("restored instance {} (minor {}) from snapshot of {} (minor {}): armed {}, pending {}, wall clock {}{}",
                in.name(), in.minor, snapshot.name(), snapshot.minor(), snapshot.armedTypes(), snapshot.pendingEvents(),
                options.wallClock(), wallMoved ? " (moved: time-change raised)" : "");
        return in;
    }

    /**
     * Restores a snapshot with given clock offsets, no translation: the instance continues exactly where a
     * crashed or upgraded process left it on this same boot (its clocks are the host's plus the same
     * offsets). Armed alarms are armed again (one already due fires at once), the pending events and the
     * time-change bit are the snapshot's. All or nothing, as {@link #restore(InstanceSnapshot, RestoreOptions)}.
     */
    ValarmInstance restoreExact(final InstanceSnapshot snapshot, final long rtOffset, final long btOffset,
            final long monoOffset) {
        Objects.requireNonNull(snapshot, "snapshot");
        final Instance in;
        final boolean wake;
        lock.lock();
        try {
            final int minor = pickMinor(snapshot.minor());
            checkClocks("restored " + who(snapshot.name(), minor), new long[] {rtOffset, btOffset, monoOffset},
                    new Duration[] {Duration.ofNanos(rtOffset), Duration.ofNanos(btOffset), Duration.ofNanos(monoOffset)});
            in = new Instance(this, minor, snapshot.name(), rtOffset, btOffset, monoOffset);
            install(in);
            wake = in.restoreState(snapshot, false);
        } finally {
            lock.unlock();
        }
        if (wake) {
            wakeDispatcher();
        }
        LOG.debug("restored instance {} (minor {}) exactly: armed {}, pending {}", in.name(), in.minor,
                snapshot.armedTypes(), snapshot.pendingEvents());
        return in;
    }

    /**
     * The offset that makes an instance clock of base {@code b} continue from the snapshot's {@code value}
     * (checked: in the clock range; the difference of two values in the range always fits).
     */
    private long continueOffset(final String who, final int b, final long value) {
        ClockRange.clock("the " + CLOCK_NAMES[b] + " of " + who + ", continued from the snapshot,", b == 0, value);
        return Sat.sub(value, clocks.nanos(BASES[b]));
    }

    /** Creates a child of {@code parent} (see {@link ValarmInstance#unshare}). */
    ValarmInstance unshare(final Instance parent, final InstanceConfig config, final boolean copyAlarms) {
        final Instance child;
        boolean wake = false;
        lock.lock();
        try {
            parent.checkOpen();
            final int minor = pickMinor(config.minor());
            final String name = config.name() != null ? config.name() : "valarm" + minor;
            final String who = who(name, minor) + ", a child of " + who(parent.name(), parent.minor);
            final long[] delta = {
                Sat.nanos(config.wallClockOffset()), Sat.nanos(config.boottimeOffset()), Sat.nanos(config.monotonicOffset()),
            };
            final long[] offsets = new long[3];
            final Duration[] given = new Duration[3];
            final Duration[] deltas = {config.wallClockOffset(), config.boottimeOffset(), config.monotonicOffset()};
            for (int b = 0; b < 3; b++) {
                offsets[b] = Sat.add(parent.offset(b), delta[b]);
                given[b] = exactSum(parent.offset(b), deltas[b]);
            }
            checkClocks(who, offsets, given);
            child = new Instance(this, minor, name, offsets[0], offsets[1], offsets[2]);
            install(child);
            if (copyAlarms) {
                for (int t = 0; t < AlarmType.COUNT; t++) {
                    if ((parent.enabled & (1 << t)) != 0) {
                        final long time = Sat.add(parent.alarmNanos[t], delta[BASE_OF[t]]);
                        if (child.arm(t, time, parent.windowNanos[t])) {
                            wake = true;
                        }
                    }
                }
            }
            LOG.debug("unshared instance {} (minor {}) from {} (minor {}), alarms copied: {}", name, minor,
                    parent.name(), parent.minor, copyAlarms);
        } finally {
            lock.unlock();
        }
        if (wake) {
            wakeDispatcher();
        }
        return child;
    }

    /** The parent's offset plus a child's, exact for the message (or the child's, beyond Duration's range). */
    private static Duration exactSum(final long parentOffset, final Duration delta) {
        try {
            return Duration.ofNanos(parentOffset).plus(delta);
        } catch (final ArithmeticException e) {
            return delta;
        }
    }

    @Override
    public Optional<ValarmInstance> instance(final int minor) {
        lock.lock();
        try {
            if (minor < 0 || minor >= byMinor.length) {
                return Optional.empty();
            }
            return Optional.ofNullable(byMinor[minor]);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<ValarmInstance> instances() {
        lock.lock();
        try {
            final List<ValarmInstance> list = new ArrayList<>(instanceCount);
            for (int m = minors.nextSetBit(0); m >= 0; m = minors.nextSetBit(m + 1)) {
                list.add(byMinor[m]);
            }
            return List.copyOf(list);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean destroyInstance(final int minor) {
        final Optional<ValarmInstance> in = instance(minor);
        in.ifPresent(ValarmInstance::close);
        return in.isPresent();
    }

    @Override
    public Timespec hostTime() {
        checkOpen();
        return Timespec.ofNanos(clocks.nanos(ClockBase.REALTIME));
    }

    @Override
    public void setHostTime(final Timespec time) {
        Objects.requireNonNull(time, "time");
        checkOpen();
        if (!ClockRange.inside(time)) {
            throw ClockRange.clockOutside("the host clock", true, time);
        }
        clocks.setRealtime(time.toNanos());
        LOG.info("host clock set to {}", time);
        if (caps.canSetTime()) {
            try {
                rtc.setTime(time);
            } catch (final RtcException e) {
                backendFaults.incrementAndGet();
                LOG.warn("host clock set to {} but the RTC write failed: {}", time, e.getMessage());
                throw new RtcException(e.errno(), e.operation(),
                        "host clock was set to " + time + " but the RTC was not: " + e.getMessage(), e);
            }
        } else {
            LOG.info("RTC backend {} cannot set time; only the host clock was set", rtc.name());
        }
        // The clocks report CLOCK_SET to the dispatcher, which raises TIME_CHANGE on every instance.
        requestWake();
    }

    @Override
    public RtcCapabilities rtcCapabilities() {
        return caps;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public DeviceStats stats() {
        lock.lock();
        try {
            return new DeviceStats(instanceCount, armed, alarmsSet, alarmsFired, lateDeliveries,
                    hardwareWrites.get(), hardwareCancels.get(), hardwareWakes.get(), backendFaults.get(),
                    backendRetries.get(), clockChanges, missedWakeInterrupts.get());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        final List<Instance> live;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            live = new ArrayList<>(instanceCount);
            for (int m = minors.nextSetBit(0); m >= 0; m = minors.nextSetBit(m + 1)) {
                live.add(byMinor[m]);
            }
        } finally {
            lock.unlock();
        }
        for (final Instance in : live) {
            in.closeFromDevice();
        }
        clocks.wakeup();
        try {
            dispatcher.join(TimeUnit.SECONDS.toMillis(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (dispatcher.isAlive()) {
            LOG.error("dispatcher thread {} did not stop within 10 s", dispatcher.getName());
        }
        programmer.cancelOnClose();
        delivery.close(); // runs what the closing recorded (failed waiters, the cancel) before the backends go
        try {
            rtc.close();
        } finally {
            try {
                clocks.close();
            } finally {
                blocker.close();
            }
        }
        LOG.info("valarm device on {} closed", description);
    }

    // ------------------------------------------------------------------ used by Instance / Handle

    /** Throws if the device is closed. */
    void checkOpen() {
        if (closed) {
            throw new ValarmClosedException(Errno.ENODEV, "device is closed: " + description);
        }
    }

    /**
     * Arms type {@code t} of {@code in} exactly at host deadline {@code hostDeadline}. Lock held.
     *
     * @return true if the dispatcher must be woken (the caller calls {@link #wakeDispatcher()} after
     *         releasing the lock)
     */
    boolean arm(final Instance in, final int t, final long hostDeadline) {
        return arm(in, t, hostDeadline, 0L);
    }

    /**
     * Arms type {@code t} of {@code in} anywhere in {@code [hostStart, hostStart + window]} on the type's
     * host base. Lock held.
     *
     * @return true if the dispatcher must be woken (the caller calls {@link #wakeDispatcher()} after
     *         releasing the lock)
     */
    boolean arm(final Instance in, final int t, final long hostStart, final long window) {
        final TimerHeap heap = heaps[t];
        final long oldHead = heap.peekDeadline();
        final long oldKey = wakeKey(t);
        in.windowNanos[t] = window;
        final long end = Sat.add(hostStart, window);
        final long e = in.entry[t];
        if (e == TimerHeap.NULL_HANDLE || !heap.reschedule(e, end)) {
            in.entry[t] = heap.schedule(end, in.minor);
            armed++;
        } else if ((in.tombMask & (1 << t)) != 0) {
            in.tombMask &= ~(1 << t); // a lazily cleared entry comes back to life, rescheduled in place
            armed++;
        }
        setWindow(in, t, hostStart, window);
        alarmsSet++;
        return needsWake(t, heap, oldHead, oldKey);
    }

    /**
     * Keeps the start-heap entry (and, for a wakeup type, the wake-key entry) of a (re-)armed alarm in line
     * with its window; an exact alarm has neither. Lock held.
     */
    private void setWindow(final Instance in, final int t, final long hostStart, final long window) {
        if (window == 0L) {
            dropWindow(in, t);
            return;
        }
        final long s = in.startEntry[t];
        if (s == TimerHeap.NULL_HANDLE || !starts[t].reschedule(s, hostStart)) {
            in.startEntry[t] = starts[t].schedule(hostStart, in.minor);
            windowedArmed++;
        }
        if (WAKEUP[t]) {
            final long end = Sat.add(hostStart, window);
            final long key = Math.max(hostStart, Sat.add(Sat.sub(end, resolution), 1L));
            final long k = in.wakeKeyEntry[t];
            if (k == TimerHeap.NULL_HANDLE || !wakeKeys[t].reschedule(k, key)) {
                in.wakeKeyEntry[t] = wakeKeys[t].schedule(key, in.minor);
            }
        }
    }

    /** Removes the start-heap and wake-key entries of {@code in}'s type {@code t}, if any. Lock held. */
    private void dropWindow(final Instance in, final int t) {
        final long s = in.startEntry[t];
        if (s != TimerHeap.NULL_HANDLE) {
            in.startEntry[t] = TimerHeap.NULL_HANDLE;
            if (starts[t].cancel(s)) {
                windowedArmed--;
            }
        }
        final long k = in.wakeKeyEntry[t];
        if (k != TimerHeap.NULL_HANDLE) {
            in.wakeKeyEntry[t] = TimerHeap.NULL_HANDLE;
            wakeKeys[t].cancel(k);
        }
    }

    /** The head of type {@code t}'s wake-key heap (MAX if none, or not a wakeup type). Lock held. */
    private long wakeKey(final int t) {
        return WAKEUP[t] ? wakeKeys[t].peekDeadline() : Long.MAX_VALUE;
    }

    /** Re-keys an armed entry whose window now starts at {@code hostStart} (SET_RTC). Lock held. */
    boolean rekey(final Instance in, final int t, final long hostStart) {
        final TimerHeap heap = heaps[t];
        final long oldHead = heap.peekDeadline();
        final long oldKey = wakeKey(t);
        final long window = in.windowNanos[t];
        final long end = Sat.add(hostStart, window);
        heap.reschedule(in.entry[t], end);
        if (window != 0L) {
            setWindow(in, t, hostStart, window);
        }
        return needsWake(t, heap, oldHead, oldKey);
    }

    /** Disarms type {@code t} of {@code in}. Lock held. */
    boolean disarm(final Instance in, final int t) {
        return disarm(in, t, false);
    }

    /*
     * Lazy CLEAR. Clearing and re-setting an alarm is the commonest churn (Android's AlarmManager re-arms
     * its kernel alarms all the time), and an eager CLEAR followed by SET costs two sifts through the
     * heap. A CLEAR of an exact, non-wakeup alarm that is not its heap's head therefore leaves the entry in
     * place as a tombstone (tombMask); the next SET of the type reschedules it in place (one sift), and if
     * it comes due first the dispatcher drops it silently. Tombstones are bounded by construction (at most
     * one per instance and type), never sit in a wakeup heap (so they never reach the hardware alarm), and
     * are removed eagerly whenever an instance or owner closes (so a reused minor never inherits one). At
     * worst a tombstone at a non-wakeup head costs the dispatcher one spurious wake.
     */

    /**
     * Disarms type {@code t} of {@code in}. Lock held.
     *
     * @param lazy whether a tombstone may be left (CLEAR); false removes the entry (close paths)
     * @return true if the dispatcher must be woken
     */
    boolean disarm(final Instance in, final int t, final boolean lazy) {
        final long e = in.entry[t];
        if (e == TimerHeap.NULL_HANDLE) {
            return false;
        }
        final TimerHeap heap = heaps[t];
        final int mask = 1 << t;
        if ((in.tombMask & mask) != 0) {
            if (!lazy) {
                in.tombMask &= ~mask;
                in.entry[t] = TimerHeap.NULL_HANDLE;
                heap.cancel(e); // a non-wakeup tombstone: no hardware decision depends on it
            }
            return false;
        }
        if (lazy && !WAKEUP[t] && in.windowNanos[t] == 0L && heap.peekHandle() != e) {
            in.tombMask |= mask;
            armed--;
            return false;
        }
        final long oldHead = heap.peekDeadline();
        final long oldKey = wakeKey(t);
        in.entry[t] = TimerHeap.NULL_HANDLE;
        if (heap.cancel(e)) {
            armed--;
        }
        dropWindow(in, t);
        return needsWake(t, heap, oldHead, oldKey);
    }

    private boolean needsWake(final int t, final TimerHeap heap, final long oldHead, final long oldKey) {
        if (wakePending) {
            return false;
        }
        final long head = heap.peekDeadline();
        final int base = BASE_OF[t];
        // A wakeup type decides the hardware alarm through its heap's head (the earliest end) and its
        // wake-key head (whether a window lets the wake round down instead of up).
        if (head < planned[base] || (WAKEUP[t] && (head != oldHead || wakeKey(t) != oldKey))) {
            wakePending = true;
            return true;
        }
        return false;
    }

    /** Wakes the dispatcher; call without the lock. */
    void wakeDispatcher() {
        clocks.wakeup();
    }

    private void requestWake() {
        lock.lock();
        try {
            wakePending = true;
        } finally {
            lock.unlock();
        }
        clocks.wakeup();
    }

    /** Forgets an instance. Lock held. */
    void remove(final Instance in) {
        if (byMinor[in.minor] == in) {
            byMinor[in.minor] = null;
            minors.clear(in.minor);
            instanceCount--;
        }
    }

    // ------------------------------------------------------------------ dispatcher

    private void onHardwareAlarm() {
        hardwareFired = true;
        clocks.wakeup();
    }

    private void dispatchLoop() {
        long errorBackoff = FIRST_RETRY_NANOS;
        while (!closed) {
            try {
                final long rtDeadline;
                final long btDeadline;
                final long monoDeadline;
                boolean again;
                final boolean hardwareWake = hardwareFired;
                if (hardwareWake) {
                    hardwareFired = false;
                }
                lock.lock();
                try {
                    wakePending = false;
                    again = fireDue(hardwareWake);
                    rtDeadline = Math.min(heaps[0].peekDeadline(), heaps[1].peekDeadline());
                    btDeadline = Math.min(heaps[2].peekDeadline(), heaps[3].peekDeadline());
                    monoDeadline = heaps[4].peekDeadline();
                    planned[0] = rtDeadline;
                    planned[1] = btDeadline;
                    planned[2] = monoDeadline;
                    programmer.capture(heaps[0].peekDeadline(), wakeKeys[0].peekDeadline(), heaps[2].peekDeadline(),
                            wakeKeys[2].peekDeadline());
                } finally {
                    lock.unlock();
                }
                if (hardwareWake) {
                    hardwareWakes.incrementAndGet();
                    programmer.onFired();
                }
                final long retryAt = programmer.apply();
                if (again || closed) {
                    continue;
                }
                // Also wake when the programmed hardware alarm's time comes, in case its interrupt is lost:
                // a clamped alarm must then be re-armed before the machine can suspend again.
                final WakeReason reason = clocks.awaitDeadline(rtDeadline, Math.min(btDeadline, programmer.checkDeadline()),
                        Math.min(monoDeadline, retryAt));
                if (reason == WakeReason.CLOCK_SET) {
                    onHostClockChange();
                }
                errorBackoff = FIRST_RETRY_NANOS;
            } catch (final RuntimeException | Error e) {
                if (closed) {
                    break;
                }
                backendFaults.incrementAndGet();
                LOG.error("dispatcher error; retrying in {} ms", TimeUnit.NANOSECONDS.toMillis(errorBackoff), e);
                LockSupport.parkNanos(errorBackoff);
                errorBackoff = backoff(errorBackoff);
            }
        }
        LOG.debug("dispatcher stopped");
    }

    /**
     * Fires due entries of every heap, then, if anything fired by its window's end or the hardware woke
     * the machine, every windowed alarm whose window has started. Lock held.
     *
     * @param hardwareWake whether the hardware wake alarm fired since the last pass
     * @return true if a budget ran out
     */
    private boolean fireDue(final boolean hardwareWake) {
        boolean again = false;
        final long rt = clocks.nanos(ClockBase.REALTIME);
        final long bt = clocks.nanos(ClockBase.BOOTTIME);
        final long mono = clocks.nanos(ClockBase.MONOTONIC);
        final long firedBefore = alarmsFired;
        for (int t = 0; t < AlarmType.COUNT; t++) {
            final long now = BASE_OF[t] == 0 ? rt : BASE_OF[t] == 1 ? bt : mono;
            final TimerHeap heap = heaps[t];
            if (heap.isEmpty() || heap.peekDeadline() > now) {
                continue;
            }
            fireHandler.type = t;
            nowForFiring = now;
            if (heap.pollExpired(now, fireHandler, FIRE_BUDGET) == FIRE_BUDGET && heap.peekDeadline() <= now) {
                again = true;
            }
        }
        if (windowedArmed > 0 && (hardwareWake || alarmsFired != firedBefore)) {
            for (int t = 0; t < AlarmType.COUNT; t++) {
                final long now = BASE_OF[t] == 0 ? rt : BASE_OF[t] == 1 ? bt : mono;
                final TimerHeap heap = starts[t];
                if (heap.isEmpty() || heap.peekDeadline() > now) {
                    continue;
                }
                rideAlongHandler.type = t;
                nowForFiring = now;
                if (heap.pollExpired(now, rideAlongHandler, FIRE_BUDGET) == FIRE_BUDGET
                        && heap.peekDeadline() <= now) {
                    again = true;
                }
            }
        }
        return again;
    }

    /** Fires one entry whose window ended (or an exact alarm). Lock held. */
    private final class FireHandler implements TimerHeap.ExpiryHandler {
        int type;

        @Override
        public boolean onExpiry(final long handle, final long deadline, final int payload) {
            final Instance in = byMinor[payload];
            if ((in.tombMask & (1 << type)) != 0) {
                // A lazily cleared alarm came due before its type was set again: drop it, fire nothing.
                in.tombMask &= ~(1 << type);
                in.entry[type] = TimerHeap.NULL_HANDLE;
                return true;
            }
            if (nowForFiring - deadline > lateThresholdNanos) {
                lateDeliveries++;
            }
            final long window = in.windowNanos[type];
            if (window != 0L) {
                dropWindow(in, type);
            }
            fire(in, type, Sat.sub(deadline, window));
            return true;
        }
    }

    /** Fires one windowed entry whose window started, riding along with another firing. Lock held. */
    private final class RideAlongHandler implements TimerHeap.ExpiryHandler {
        int type;

        @Override
        public boolean onExpiry(final long handle, final long start, final int payload) {
            final Instance in = byMinor[payload];
            // The start heap removes this entry itself after we return; the end heap's and the wake-key
            // heap's entries go here.
            in.startEntry[type] = TimerHeap.NULL_HANDLE;
            windowedArmed--;
            heaps[type].cancel(in.entry[type]);
            final long k = in.wakeKeyEntry[type];
            if (k != TimerHeap.NULL_HANDLE) {
                in.wakeKeyEntry[type] = TimerHeap.NULL_HANDLE;
                wakeKeys[type].cancel(k);
            }
            fire(in, type, start);
            return true;
        }
    }

    /** Common firing bookkeeping. Lock held. */
    private void fire(final Instance in, final int type, final long hostStart) {
        alarmsFired++;
        armed--;
        in.fired(type);
        final FiringProbe p = probe;
        if (p != null) {
            p.fired(in.minor, TYPES[type], hostStart, nowForFiring);
        }
        delivery.alarmFired(in.minor, TYPES[type], hostStart, nowForFiring);
    }

    private void onHostClockChange() {
        lock.lock();
        try {
            clockChanges++;
            for (int m = minors.nextSetBit(0); m >= 0; m = minors.nextSetBit(m + 1)) {
                byMinor[m].raiseTimeChange();
            }
        } finally {
            lock.unlock();
        }
        programmer.onClockChange();
        LOG.info("host clock changed: time-change raised on {} instances", instanceCount);
    }

    private static final AlarmType[] TYPES = AlarmType.values();

    /** Base index (0 realtime, 1 boottime, 2 monotonic) per type. */
    static final int[] BASE_OF = {0, 0, 1, 1, 2};
    /** Whether each type is a wakeup type. */
    static final boolean[] WAKEUP = {true, false, true, false, false};

    /**
     * Tells {@code observer} about the work this device hands to user code, if the device's host clocks
     * did not register one (see {@link DeliveryObserver}). Only right after construction, before the
     * device has an instance; for the simulated machine, whose devices may wrap its clocks.
     *
     * @param observer the observer, not null
     */
    public void observeDeliveries(final DeliveryObserver observer) {
        delivery.observe(Objects.requireNonNull(observer, "observer"));
    }

    /** Installs (or, with null, removes) the test-only firing probe. */
    void probeFirings(final FiringProbe p) {
        probe = p;
    }

    /** The description used in logs and errors. */
    String description() {
        return description;
    }

    static long backoff(final long current) {
        return current == 0 ? FIRST_RETRY_NANOS : Math.min(MAX_RETRY_NANOS, current * 2);
    }
}
