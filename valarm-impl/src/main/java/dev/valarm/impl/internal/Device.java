package dev.valarm.impl.internal;

import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.DeviceStats;
import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.InstanceSnapshot;
import dev.valarm.InvalidSnapshotException;
import dev.valarm.RestoreOptions;
import dev.valarm.Timespec;
import dev.valarm.ValarmClosedException;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmException;
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
 * <p>Expiry is level-triggered by time: after any wake, clock change or error the dispatcher re-reads
 * the clocks and fires what is due, so a spurious wake is harmless and a lost interrupt is caught at the
 * next read.
 *
 * <p>Wakeup coalescing: an alarm with a tolerance window {@code [start, end]} sits in its type's heap
 * keyed by {@code end} (the latest allowed time), so the dispatcher and the hardware alarm aim at the
 * earliest window end, exactly as for exact alarms (whose window is the single point {@code start =
 * end}). Windowed alarms also sit in a second heap per type keyed by {@code start}. Whenever a pass fires
 * some alarm by its end, or follows a hardware wake, every windowed alarm whose start has passed rides
 * along. Done online this is the greedy earliest-end stabbing of the windows, which is optimal when the
 * windows are known ahead. Exact alarms never enter the start heaps, so their cost is unchanged (one
 * emptiness check per pass).
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
    final Executor callbackExecutor;
    final int maxWaitersPerInstance;

    private final RtcBackend rtc;
    private final RtcCapabilities caps;
    private final int maxInstances;
    private final long lateThresholdNanos;
    private final String description;
    private final WakeProgrammer programmer;
    private final DeviceListener listener;

    // Guarded by lock.
    private final TimerHeap[] heaps = new TimerHeap[AlarmType.COUNT];
    /** Windowed alarms only, keyed by the host time their window starts; payload = minor. */
    private final TimerHeap[] starts = new TimerHeap[AlarmType.COUNT];
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
    private final CandidateVisitor candidateVisitor = new CandidateVisitor();

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
        this.callbackExecutor = Objects.requireNonNull(callbackExecutor, "callbackExecutor");
        this.maxInstances = maxInstances;
        this.maxWaitersPerInstance = maxWaitersPerInstance;
        this.lateThresholdNanos = lateThreshold.toNanos();
        this.caps = rtc.capabilities();
        this.description = clocks.name() + " + " + rtc.name();
        for (int t = 0; t < AlarmType.COUNT; t++) {
            heaps[t] = new TimerHeap(64);
            starts[t] = new TimerHeap(16);
        }
        this.listener = Objects.requireNonNull(listener, "listener");
        this.programmer = new WakeProgrammer(this, rtc, caps);
        programmer.listener = listener;
        if (!caps.canWake()) {
            LOG.warn("RTC backend {} cannot wake the machine: wakeup alarms fire only while it is awake", rtc.name());
        }
        rtc.setAlarmListener(this::onHardwareAlarm);
        dispatcher = new Thread(this::dispatchLoop, threadName);
        dispatcher.setDaemon(true);
        dispatcher.start();
        LOG.info("valarm device started on {} (resolution {}, furthest alarm {}, can wake: {})",
                description, caps.resolution(), caps.maxAlarmAhead(), caps.canWake());
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
            final Instance in = new Instance(this, minor, name, config.wallClockOffset().toNanos(),
                    config.boottimeOffset().toNanos(), config.monotonicOffset().toNanos());
            install(in);
            LOG.debug("created instance {} (minor {})", name, minor);
            return in;
        } finally {
            lock.unlock();
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
            final long hostBt = clocks.nanos(ClockBase.BOOTTIME);
            final long hostMono = clocks.nanos(ClockBase.MONOTONIC);
            final long snapRt = snapshot.realtime().toNanos();
            final long btOffset = restoreOffset("boottime", snapshot.boottime().toNanos(), hostBt);
            final long monoOffset = restoreOffset("monotonic", snapshot.monotonic().toNanos(), hostMono);
            final long rtOffset = options.wallClock() == RestoreOptions.WallClock.FOLLOW_HOST
                    ? snapshot.wallClockOffset().toNanos() : restoreOffset("realtime", snapRt, hostRt);
            final String name = options.name() != null ? options.name() : snapshot.name();
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

    /** The offset that makes an instance clock continue from {@code instanceValue} now. */
    private static long restoreOffset(final String clock, final long instanceValue, final long hostNow) {
        try {
            return Math.subtractExact(instanceValue, hostNow);
        } catch (final ArithmeticException e) {
            throw new InvalidSnapshotException(Errno.ERANGE, "the snapshot's " + clock + " " + instanceValue
                    + " ns is too far from this host's " + hostNow + " ns for a 64-bit offset");
        }
    }

    /** Creates a child of {@code parent} (see {@link ValarmInstance#unshare}). */
    ValarmInstance unshare(final Instance parent, final InstanceConfig config, final boolean copyAlarms) {
        final Instance child;
        boolean wake = false;
        lock.lock();
        try {
            parent.checkOpen();
            final int minor = pickMinor(config.minor());
            final long[] delta = {
                childDelta("wall-clock", config.wallClockOffset()),
                childDelta("boot-time", config.boottimeOffset()),
                childDelta("monotonic", config.monotonicOffset()),
            };
            final long[] offsets = new long[3];
            for (int b = 0; b < 3; b++) {
                try {
                    offsets[b] = Math.addExact(parent.offset(b), delta[b]);
                } catch (final ArithmeticException e) {
                    throw new ValarmException(Errno.ERANGE, "child clock offset overflows: parent offset "
                            + parent.offset(b) + " ns + " + delta[b] + " ns (base " + b + ")");
                }
            }
            final String name = config.name() != null ? config.name() : "valarm" + minor;
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

    private static long childDelta(final String clock, final Duration d) {
        try {
            return d.toNanos();
        } catch (final ArithmeticException e) {
            throw new ValarmException(Errno.ERANGE, clock + " offset does not fit in 64-bit nanoseconds: " + d);
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
        try {
            rtc.close();
        } finally {
            clocks.close();
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
        final long oldHeadStart = WAKEUP[t] ? headStart(t) : 0L;
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
        setStart(in, t, hostStart, window);
        alarmsSet++;
        return needsWake(t, heap, oldHead, oldHeadStart) || candidateWake(t, heap, end, window);
    }

    /**
     * A windowed wakeup alarm that is not the head but ends within one RTC step of it is a candidate
     * the programmer may round the wake time into (see {@code WakeProgrammer.addCandidate}): the plan
     * can change although the head did not, so the dispatcher must look again. Lock held.
     */
    private boolean candidateWake(final int t, final TimerHeap heap, final long end, final long window) {
        if (wakePending || !WAKEUP[t] || window == 0L || end > Sat.add(heap.peekDeadline(), programmer.resolution())) {
            return false;
        }
        wakePending = true;
        return true;
    }

    /** Keeps the start-heap entry of a (re-)armed alarm in line with its window. Lock held. */
    private void setStart(final Instance in, final int t, final long hostStart, final long window) {
        final long s = in.startEntry[t];
        if (window == 0L) {
            if (s != TimerHeap.NULL_HANDLE) {
                dropStart(in, t);
            }
        } else if (s == TimerHeap.NULL_HANDLE || !starts[t].reschedule(s, hostStart)) {
            in.startEntry[t] = starts[t].schedule(hostStart, in.minor);
            windowedArmed++;
        }
    }

    /** Removes the start-heap entry of {@code in}'s type {@code t}, if any. Lock held. */
    private void dropStart(final Instance in, final int t) {
        final long s = in.startEntry[t];
        if (s != TimerHeap.NULL_HANDLE) {
            in.startEntry[t] = TimerHeap.NULL_HANDLE;
            if (starts[t].cancel(s)) {
                windowedArmed--;
            }
        }
    }

    /** The window start of the earliest-ending alarm of type {@code t}, or MAX if none. Lock held. */
    private long headStart(final int t) {
        final TimerHeap heap = heaps[t];
        if (heap.isEmpty()) {
            return Long.MAX_VALUE;
        }
        final long end = heap.peekDeadline();
        // Without windowed alarms every window is a point: skip the lookup (the exact path stays as it was).
        return windowedArmed == 0 ? end : Sat.sub(end, byMinor[heap.peekPayload()].windowNanos[t]);
    }

    /** Re-keys an armed entry whose window now starts at {@code hostStart} (SET_RTC). Lock held. */
    boolean rekey(final Instance in, final int t, final long hostStart) {
        final TimerHeap heap = heaps[t];
        final long oldHead = heap.peekDeadline();
        final long oldHeadStart = WAKEUP[t] ? headStart(t) : 0L;
        final long window = in.windowNanos[t];
        final long end = Sat.add(hostStart, window);
        heap.reschedule(in.entry[t], end);
        if (window != 0L) {
            starts[t].reschedule(in.startEntry[t], hostStart);
        }
        return needsWake(t, heap, oldHead, oldHeadStart) || candidateWake(t, heap, end, window);
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
        final long oldHeadStart = WAKEUP[t] ? headStart(t) : 0L;
        in.entry[t] = TimerHeap.NULL_HANDLE;
        if (heap.cancel(e)) {
            armed--;
        }
        dropStart(in, t);
        return needsWake(t, heap, oldHead, oldHeadStart);
    }

    private boolean needsWake(final int t, final TimerHeap heap, final long oldHead, final long oldHeadStart) {
        if (wakePending) {
            return false;
        }
        final long head = heap.peekDeadline();
        final int base = BASE_OF[t];
        // A wakeup heap's head decides the hardware alarm: its end, and its start (a window lets the
        // programmer round the wake time down instead of up).
        if (head < planned[base] || (WAKEUP[t] && (head != oldHead || headStart(t) != oldHeadStart))) {
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
                    programmer.capture(heaps[0].peekDeadline(), headStart(0), heaps[2].peekDeadline(), headStart(2));
                    if (windowedArmed > 0) {
                        captureWakeCandidates();
                    }
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

    /**
     * Hands the programmer every wakeup alarm whose window ends within one RTC resolution step of the
     * earliest end: one of them may need an earlier (rounded-down) wake than the earliest-ending one,
     * which may be exact and round up. Lock held.
     */
    private void captureWakeCandidates() {
        final long rt = clocks.nanos(ClockBase.REALTIME);
        final long bt = clocks.nanos(ClockBase.BOOTTIME);
        final long r0 = heaps[0].isEmpty() ? Long.MAX_VALUE : Sat.sub(heaps[0].peekDeadline(), rt);
        final long r2 = heaps[2].isEmpty() ? Long.MAX_VALUE : Sat.sub(heaps[2].peekDeadline(), bt);
        final long first = Math.min(r0, r2);
        if (first == Long.MAX_VALUE) {
            return;
        }
        final long within = Sat.add(Math.max(0L, first), programmer.resolution());
        candidateVisitor.type = 0;
        heaps[0].visitBefore(Sat.add(rt, within), candidateVisitor, WakeProgrammer.MAX_CANDIDATES);
        candidateVisitor.type = 2;
        heaps[2].visitBefore(Sat.add(bt, within), candidateVisitor, WakeProgrammer.MAX_CANDIDATES);
    }

    /** Passes windowed wakeup alarms to the programmer. Lock held. */
    private final class CandidateVisitor implements TimerHeap.EntryVisitor {
        int type;

        @Override
        public void visit(final long deadline, final int payload) {
            final long window = byMinor[payload].windowNanos[type];
            if (window != 0L) {
                programmer.addCandidate(Sat.sub(deadline, window), deadline, type == 0);
            }
        }
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
                dropStart(in, type);
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
            // The start heap removes this entry itself after we return; the end heap's entry goes here.
            in.startEntry[type] = TimerHeap.NULL_HANDLE;
            windowedArmed--;
            heaps[type].cancel(in.entry[type]);
            fire(in, type, start);
            return true;
        }
    }

    /** Common firing bookkeeping. Lock held. */
    private void fire(final Instance in, final int type, final long hostStart) {
        alarmsFired++;
        armed--;
        in.fired(type);
        listener.alarmFired(in.minor, TYPES[type], hostStart, nowForFiring);
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

    /** The description used in logs and errors. */
    String description() {
        return description;
    }

    static long backoff(final long current) {
        return current == 0 ? FIRST_RETRY_NANOS : Math.min(MAX_RETRY_NANOS, current * 2);
    }
}
