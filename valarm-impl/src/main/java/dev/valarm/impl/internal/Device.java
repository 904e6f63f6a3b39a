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
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The multiplexer behind {@link ValarmDevice}. Thread-safe.
 *
 * <p>Concurrency: there is no device-wide lock on the SET/CLEAR/WAIT path. Each {@link Instance} guards
 * its own driver state (owner, masks, armed times, waiters) with its own lock; callers do the driver's
 * checks and change that state under it and hand the heap change to the dispatcher through a bounded
 * multi-producer queue ({@link ChangeQueue}); the dispatcher applies queued changes in batches to the
 * five heaps (one per alarm type, keyed by the host clock of the type's base, payload = the instance's
 * minor; each a {@link TimerQueue}, the {@link HybridTimerQueue} chosen in {@code newTimerQueue}), which
 * the <em>heap lock</em> guards. A caller wakes the dispatcher only when its change can move
 * what the dispatcher sleeps for or the hardware alarm; redundant wakes are collapsed through
 * {@code wakeRequested}. One dispatcher thread sleeps in {@link HostClocks#awaitDeadline}, fires due
 * entries, and alone talks to the {@link RtcBackend}, outside every lock. See the design block below.
 *
 * <p>The rule for user code: no user code (asynchronous-wait completions and the callbacks that depend on
 * them, {@link DeviceListener} calls, the callback executor's {@code execute}) ever runs under a device or
 * instance lock or inside the expiry loop. The code that holds a lock or sits in the loop only records what
 * user code must learn, into the {@link Delivery} path (a ring of primitive records, allocation-free); the
 * delivery thread runs the records after the fact, with no lock held, and hands completions to the
 * callback executor. So even {@code callbackExecutor(Runnable::run)} and a listener that blocks or calls
 * back into the device cannot stop the dispatcher or change a heap while it is being polled. (The SPI
 * backends are part of the device, not user code: the dispatcher calls the {@link RtcBackend} outside every
 * lock, and the {@link SuspendBlocker}, which must not block, under an instance's lock.)
 *
 * <p>Expiry is level-triggered by time and by state: after any wake, clock change or error the dispatcher
 * re-reads the clocks, and a due heap entry fires only if, under its instance's lock, the alarm is still
 * armed and its current deadline has passed. So a spurious wake, a lost interrupt or a stale entry is
 * harmless.
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
    /*
     * Design: the multiplexer without a device-wide lock (issue 14).
     *
     * Truth and index. An instance's driver state (enabled mask, per type: instance time, window, host
     * start; owner, pending, waiters) is the truth; it lives in the Instance, under the instance's own
     * lock. The heaps are an index over it, owned by whoever holds the heap lock (the dispatcher, or a
     * caller in the full-queue fallback). Nothing fires from the index alone: the dispatcher pops a due
     * entry under the heap lock, lets go of the heap lock, takes the instance's lock and fires only if
     * that type is armed and its current deadline (window end; window start for a ride-along) has passed;
     * otherwise it re-queues the type so that the heaps catch up with the state. So a stale entry, a
     * queued change overtaken by a later one, a CLEAR the heaps have not seen yet, a closed instance or a
     * minor reused by another instance can never fire anything (the generation the brief asks for is
     * this: the state is read at the moment of firing, under the lock that every change takes).
     *
     * Exact heaps and lower-bound heaps. The hardware alarm is decided from the heads of the two wakeup
     * heaps (types 0 and 2) and their wake-key heaps, so those are kept exact: every change to a wakeup
     * alarm goes through the queue and is applied as it is (moved either way, removed). The three
     * non-wakeup heaps only decide when the dispatcher wakes; for them an entry's key is a lower bound of
     * its alarm's deadline (or a tombstone of a cleared alarm). A SET of an exact non-wakeup alarm whose
     * entry's key (Instance.HEAP_KEY, published by the heap-lock holder) is at or before the new deadline
     * changes nothing in the heaps: no queue, no wake, no shared write. Its CLEAR leaves the entry as a
     * tombstone. An entry that comes due early is re-keyed to the current deadline (one spurious wake, at
     * most once per SET); a tombstone is dropped. Applying a non-wakeup change only ever lowers a key or
     * inserts an entry, never raises or removes one; so a caller that read a key under its instance lock
     * can rely on it being a lower bound even while the heap-lock holder is applying an older change
     * (raising/removing happens only when an entry is popped, and the pop publishes MAX_VALUE before the
     * dispatcher takes the instance lock to decide). The set/clear churn of the benchmark (Android's
     * AlarmManager re-arming its kernel alarms) thus costs two uncontended lock round trips on
     * per-instance cache lines; two benchmark threads share no line they write.
     *
     * The queue (ChangeQueue): bounded MPSC ring of Instance references, CAS on the tail, release stores,
     * one consumer. It carries no values: an element means "apply the current state of the types in
     * Instance.queuedTypes". A caller sets its type's bit with an atomic OR and queues the instance only
     * when the bits were 0, so an instance is queued at most once and changes coalesce (a burst of SETs
     * on one instance is one heap operation). The heap-lock holder takes the bits with an atomic swap and
     * then reads the state without the instance lock: a change made after the swap sees the bits clear
     * and queues again, so a torn or stale read is always followed by a fresh one (and the exact wakeup
     * heaps converge within the same pass, before the hardware decision is made).
     *
     * Full queue (backpressure): offer fails, the caller takes the heap lock, drains the queue itself,
     * applies its own change, and wakes the dispatcher. Nothing is dropped, and it cannot deadlock. The
     * lock order is: instance lock (a parent's before its new child's) -> table lock -> heap lock -> leaves
     * (an InstanceLock's after-unlock action, Delivery's ring, the simulated clocks). restore and unshare
     * take a brand-new instance's lock under the table lock, which is safe because no other thread can know
     * that instance yet. The dispatcher never waits for an instance lock while it holds the heap lock (it
     * pops due entries into a batch, lets go, then fires each under its instance's lock), so a caller may
     * take the heap lock while it holds its instance lock, even one that a test holds from outside
     * (DriverAccess.lock).

     * Waking the dispatcher. The dispatcher publishes (volatile) what it sleeps for per base (planned)
     * and the heads of the wakeup heaps (wakeHead). A caller that queued a change wakes it if the new
     * deadline is before planned, or, for a wakeup type, if the change can move a wakeup head (the new
     * or the old key at or before it, or a window involved): a SET that moves the earliest wakeup second
     * reaches the hardware at once; any other SET of a wakeup alarm does not cost a wake. A lost wake is
     * impossible: the caller queues, then reads planned; the dispatcher publishes planned, then checks
     * the queue and goes round again if it is not empty (both volatile, so one of them sees the other).
     * On simulated clocks (a DeliveryObserver is registered) every queued change wakes the dispatcher, so
     * the idle handshake (awaitIdle) cannot pass while a change is queued but not applied.
     *
     * SET_RTC re-keys the instance's wall-clock alarms like SETs (host start = instance time - new
     * offset). A host clock change raises TIME_CHANGE on every instance, one instance lock at a time.
     * WAIT blocks on the instance's Condition; snapshot, restore, unshare and InstanceState read or build
     * the state under the instance lock, so they are consistent whatever the heaps hold. A closed
     * instance queues all its types; applying a closed instance removes its entries (an entry of a closed
     * instance that comes due first is dropped, its minor possibly reused: the entry handle no longer
     * matches the instance now at that minor). DeviceStats: instances under the table lock; armed alarms
     * and SETs in LongAdders (exact when no call is in flight); firings, late deliveries and clock
     * changes written by the dispatcher alone.
     *
     * Cache lines. A SET or CLEAR of a random one of 100 000 instances is bound by dependent cache misses
     * (handle -> instance -> lock and slots), not by instructions. So: the per-instance lock is one object
     * (InstanceLock, on AQS; a ReentrantLock is two), allocated right after the instance together with
     * its per-type slots (one long[] of 8 longs per type, the type's SET/CLEAR fields first, 40 bytes);
     * the handle keeps the lock's and the slots' references, and before taking the lock it reads every
     * line the operation will use (both ends of the instance, both ends of the type's SET/CLEAR fields,
     * the lock), so that all those misses are in flight at once instead of queueing behind each other or
     * behind the lock's CAS (a fence): a SET or CLEAR is two dependent misses, the handle and then all the
     * rest (the executor's cancel + schedule is four to five, through its heap's levels); and the
     * armed/SET counts are per instance (summed by stats()), so the path writes nothing shared.
     *
     * In-module clients (InternalAlarms): a SET in nanoseconds (the scheduler; the ABI codec the bridge
     * drives) and a reusable asynchronous WAIT (Subscription) instead of a future per WAIT. A direct
     * subscription's action (the scheduler's own pool: set a flag, unpark) runs on the dispatcher right
     * after it releases the instance lock (InstanceLock.afterUnlock), so the woken worker does not queue
     * on that lock; anything else goes through Delivery to the callback executor.
     *
     * Variants measured (MuxSetClearBenchmark, CPU ns per clear+set, 1 thread; indicative, load 3 to 11,
     * see BENCHMARKS.md):
     *   - the issue-3 design (one ReentrantLock for every instance and the heaps, lazy CLEAR only): 1.2x to
     *     1.5x the executor's throughput with 1 thread, slower with 2.
     *   - this design with a ReentrantLock per instance, LongAdder counters and the slots allocated after
     *     the instance's other objects: 569 ns (executor 588 ns in the same run): no better than the
     *     executor, though it scaled (2 threads 1.6x one).
     *   - InstanceLock, slots beside it, per-instance counters: 330 ns.
     *   - every SET and CLEAR through the queue (no lower-bound skip): no recorded figure; it costs each
     *     non-wakeup SET/CLEAR a queue offer and the dispatcher a heap operation, which the skip avoids.
     */
    private static final Logger LOG = LoggerFactory.getLogger(Device.class);

    /** The driver's wakelock timeout. */
    static final Duration WAKELOCK_TIMEOUT = Duration.ofSeconds(5);

    /** Entries popped per dispatcher pass (over all heaps) before the heap lock is let go for callers. */
    static final int FIRE_BUDGET = 1024;

    /** The change queue's capacity: instances whose changes wait for the dispatcher. */
    static final int DEFAULT_QUEUE_CAPACITY = 1 << 14;

    private static final long FIRST_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** At most one log line a minute for host clock changes (each is counted in the stats). */
    private static final long CLOCK_CHANGE_REPORT_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** Guards the instance table (minors, count) and the device's closing. Taken before any instance lock. */
    final ReentrantLock lock = new ReentrantLock();
    /** Guards the heaps, the entry handles in the instances' slots and the draining of the queue. */
    final ReentrantLock heapLock = new ReentrantLock();
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
    /** A test-only observer of firings, called under the instance's lock (see {@link DriverAccess#probeFirings}). */
    private volatile FiringProbe probe;
    private final ChangeQueue queue;
    /** Whether every queued change wakes the dispatcher (simulated clocks: the idle handshake). */
    private final boolean wakeOnEveryChange;

    // Guarded by heapLock.
    private final TimerQueue[] heaps = new TimerQueue[AlarmType.COUNT];
    /** Windowed alarms only, keyed by the host time their window starts; payload = minor. */
    private final TimerQueue[] starts = new TimerQueue[AlarmType.COUNT];
    /**
     * Windowed wakeup alarms only (types 0 and 2; null for the others), keyed by
     * {@code max(start, end - resolution + 1)}: the head decides whether the hardware may wake on the last
     * resolution instant before the earliest end (see the class comment). Payload = minor.
     */
    private final TimerQueue[] wakeKeys = new TimerQueue[AlarmType.COUNT];
    /** Entries in the start heaps. */
    private int windowedEntries;
    private final ChangeQueue.Sink applier = this::apply;
    private long queueFullFallbacks;

    /** The RTC's resolution in nanoseconds (fixed for the device's life). */
    private final long resolution;

    // Guarded by lock (the table lock).
    private volatile Instance[] byMinor = new Instance[64];
    private final BitSet minors = new BitSet();
    private volatile int instanceCount;
    private volatile boolean closed;

    // Published by the dispatcher (volatile), read by callers deciding whether to wake it.
    private volatile long plannedRt = Long.MAX_VALUE;
    private volatile long plannedBt = Long.MAX_VALUE;
    private volatile long plannedMono = Long.MAX_VALUE;
    private volatile long wakeHeadRt = Long.MAX_VALUE;
    private volatile long wakeHeadBt = Long.MAX_VALUE;
    private volatile boolean wakeRequested;

    // Counters. Armed alarms and SETs are counted per instance (no shared write on the SET/CLEAR path) and
    // summed by stats(); the SETs of closed instances are kept here.
    private final LongAdder retiredSets = new LongAdder();
    /** Written by the dispatcher alone. */
    private volatile long alarmsFired;
    private volatile long lateDeliveries;
    private volatile long clockChanges;
    /** Host clock changes for the log: some hosts step their clock several times a second. Dispatcher only. */
    private final RepeatedEventLog clockChangeLog = new RepeatedEventLog(CLOCK_CHANGE_REPORT_NANOS);
    /** Host realtime minus monotonic at the last host clock change (or start), for the log. Dispatcher only. */
    private long realMinusMono;
    /** The largest move of a host clock change not yet in a log line. Dispatcher only. */
    private long largestUnloggedMove;
    final AtomicLong hardwareWrites = new AtomicLong();
    final AtomicLong hardwareCancels = new AtomicLong();
    final AtomicLong hardwareWakes = new AtomicLong();
    final AtomicLong backendFaults = new AtomicLong();
    final AtomicLong backendRetries = new AtomicLong();
    final AtomicLong missedWakeInterrupts = new AtomicLong();

    // Dispatcher-confined: the batch popped under the heap lock and fired outside it.
    private final Instance[] batchIn = new Instance[FIRE_BUDGET];
    private final int[] batchType = new int[FIRE_BUDGET];
    private int batchSize;
    private final PopHandler endPop = new PopHandler(false);
    private final PopHandler startPop = new PopHandler(true);
    /** Instances the dispatcher re-queues itself after firing (their queued bits set); applied next. */
    private Instance[] resync = new Instance[FIRE_BUDGET];
    private int resyncSize;
    private Instance[] scratch = new Instance[64];

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
        this(clocks, rtc, blocker, callbackExecutor, maxInstances, maxWaitersPerInstance, lateThreshold, threadName,
                listener, DEFAULT_QUEUE_CAPACITY);
    }

    /** As the public constructor, with the change queue's capacity (tests: a tiny queue, to be full). */
    Device(final HostClocks clocks, final RtcBackend rtc, final SuspendBlocker blocker,
            final Executor callbackExecutor, final int maxInstances, final int maxWaitersPerInstance,
            final Duration lateThreshold, final String threadName, final DeviceListener listener,
            final int queueCapacity) {
        this.clocks = Objects.requireNonNull(clocks, "clocks");
        this.realMinusMono = Sat.sub(clocks.nanos(ClockBase.REALTIME), clocks.nanos(ClockBase.MONOTONIC));
        this.rtc = Objects.requireNonNull(rtc, "rtc");
        this.blocker = Objects.requireNonNull(blocker, "blocker");
        Objects.requireNonNull(callbackExecutor, "callbackExecutor");
        this.maxInstances = maxInstances;
        this.maxWaitersPerInstance = maxWaitersPerInstance;
        this.lateThresholdNanos = Sat.nanos(lateThreshold);
        this.caps = rtc.capabilities();
        this.description = clocks.name() + " + " + rtc.name();
        for (int t = 0; t < AlarmType.COUNT; t++) {
            heaps[t] = newTimerQueue(64);
            starts[t] = newTimerQueue(16);
            wakeKeys[t] = WAKEUP[t] ? newTimerQueue(16) : null;
        }
        this.resolution = Math.max(1L, Sat.nanos(caps.resolution()));
        this.queue = new ChangeQueue(queueCapacity);
        final DeliveryObserver observer = DeliveryObserver.of(clocks);
        this.wakeOnEveryChange = observer != null;
        this.delivery = new Delivery(Objects.requireNonNull(listener, "listener"), callbackExecutor, observer,
                threadName + "-delivery");
        this.programmer = new WakeProgrammer(this, rtc, caps, blocker);
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

    /**
     * The timer structure behind every heap of the device (alarms, window starts, wake keys): the one place
     * that chooses it. The hybrid queue is a 4-ary heap up to 4096 entries (every device heap in ordinary
     * use) and an exact bucket wheel above, which wins from 65 536 entries on (BENCHMARKS.md, issue 14);
     * {@link TimerHeap} implements the same contract. Only the heap-lock holder touches it.
     */
    private static TimerQueue newTimerQueue(final int initialCapacity) {
        return new HybridTimerQueue(initialCapacity);
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
        Instance[] table = byMinor;
        if (minor >= table.length) {
            table = java.util.Arrays.copyOf(table, Math.max(minor + 1, table.length * 2));
        }
        table[minor] = in;
        byMinor = table; // publishes the table and the element to the dispatcher (which reads it without a lock)
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
            wallMoved = Sat.add(hostRt, rtOffset) != snapRt;
            in = installLocked(minor, name, rtOffset, btOffset, monoOffset);
        } finally {
            lock.unlock();
        }
        restoreAndUnlock(in, snapshot, wallMoved);
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
        lock.lock();
        try {
            final int minor = pickMinor(snapshot.minor());
            checkClocks("restored " + who(snapshot.name(), minor), new long[] {rtOffset, btOffset, monoOffset},
                    new Duration[] {Duration.ofNanos(rtOffset), Duration.ofNanos(btOffset), Duration.ofNanos(monoOffset)});
            in = installLocked(minor, snapshot.name(), rtOffset, btOffset, monoOffset);
        } finally {
            lock.unlock();
        }
        restoreAndUnlock(in, snapshot, false);
        LOG.debug("restored instance {} (minor {}) exactly: armed {}, pending {}", in.name(), in.minor,
                snapshot.armedTypes(), snapshot.pendingEvents());
        return in;
    }

    /**
     * Creates and installs an instance to restore, with its lock held: nobody can know it yet, so its lock is
     * taken under the table lock without a cycle, and it is armed before any other thread can see it half
     * restored ({@link #restoreAndUnlock}). Table lock held; every check must come before (this cannot fail).
     */
    private Instance installLocked(final int minor, final String name, final long rtOffset, final long btOffset,
            final long monoOffset) {
        final Instance in = new Instance(this, minor, name, rtOffset, btOffset, monoOffset);
        in.lock.lock();
        install(in);
        return in;
    }

    /** Restores the snapshot's state into an instance from {@link #installLocked} and releases its lock. */
    private static void restoreAndUnlock(final Instance in, final InstanceSnapshot snapshot, final boolean wallMoved) {
        try {
            in.restoreState(snapshot, wallMoved);
        } finally {
            in.lock.unlock();
        }
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
        parent.lock.lock(); // before the table lock: the instance -> table order of the close paths
        try {
            final long[] delta = {
                Sat.nanos(config.wallClockOffset()), Sat.nanos(config.boottimeOffset()), Sat.nanos(config.monotonicOffset()),
            };
            lock.lock();
            try {
                child = newChild(parent, config, delta);
            } finally {
                lock.unlock();
            }
            try {
                if (copyAlarms) {
                    for (int t = 0; t < AlarmType.COUNT; t++) {
                        if ((parent.enabled & (1 << t)) != 0) {
                            child.arm(t, Sat.add(parent.get(t, Instance.ALARM), delta[BASE_OF[t]]),
                                    parent.get(t, Instance.WINDOW));
                        }
                    }
                }
            } finally {
                child.lock.unlock();
            }
            LOG.debug("unshared instance {} (minor {}) from {} (minor {}), alarms copied: {}", child.name(), child.minor,
                    parent.name(), parent.minor, copyAlarms);
        } finally {
            parent.lock.unlock();
        }
        return child;
    }

    /** Checks and installs a child of {@code parent}, returned with its lock held. Parent and table locks held. */
    private Instance newChild(final Instance parent, final InstanceConfig config, final long[] delta) {
        {
            parent.checkOpen();
            final int minor = pickMinor(config.minor());
            final String name = config.name() != null ? config.name() : "valarm" + minor;
            final String who = who(name, minor) + ", a child of " + who(parent.name(), parent.minor);
            final long[] offsets = new long[3];
            final Duration[] given = new Duration[3];
            final Duration[] deltas = {config.wallClockOffset(), config.boottimeOffset(), config.monotonicOffset()};
            for (int b = 0; b < 3; b++) {
                offsets[b] = Sat.add(parent.offset(b), delta[b]);
                given[b] = exactSum(parent.offset(b), deltas[b]);
            }
            checkClocks(who, offsets, given);
            final Instance child = new Instance(this, minor, name, offsets[0], offsets[1], offsets[2]);
            child.lock.lock(); // unknown to every other thread until install
            install(child);
            return child;
        }
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
        // No lock: the per-instance figures are read as they are (exact when no call is in flight); O(instances).
        long armedNow = 0;
        long sets = retiredSets.sum();
        for (final Instance in : byMinor) {
            if (in != null && !in.closed) {
                armedNow += Integer.bitCount(in.enabled);
                sets += in.sets;
            }
        }
        return new DeviceStats(instanceCount, (int) armedNow, sets, alarmsFired, lateDeliveries,
                hardwareWrites.get(), hardwareCancels.get(), hardwareWakes.get(), backendFaults.get(),
                backendRetries.get(), clockChanges, missedWakeInterrupts.get());
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
     * Type {@code t} of {@code in} was armed or re-keyed (SET, restore, unshare, SET_RTC): hands the change
     * to the heaps if they need it, and wakes the dispatcher if it must learn at once. Instance lock held.
     *
     * @param hostStart the window start on the type's host base
     * @param window the window, 0 for an exact alarm
     * @param wasWindowed whether the type was armed with a window before
     * @param oldKey {@link Instance#heapKey} read under the instance lock before the change
     */
    void armChanged(final Instance in, final int t, final long hostStart, final long window, final boolean wasWindowed,
            final long oldKey) {
        final long end = Sat.add(hostStart, window);
        if (!WAKEUP[t]) {
            if (window == 0L && oldKey <= end) {
                return; // the entry's key is a lower bound of the new deadline: nothing to change, no wake
            }
            queueChange(in, 1 << t);
            if (wakeOnEveryChange || end < planned(BASE_OF[t])) {
                wake();
            }
            return;
        }
        queueChange(in, 1 << t);
        final long head = t == 0 ? wakeHeadRt : wakeHeadBt;
        if (end < planned(BASE_OF[t]) || end <= head || oldKey <= head || window != 0L || wasWindowed) {
            programmer.wakeupMoved(); // the wakelock until the dispatcher has programmed it (queued first)
            wake(); // the change can move a wakeup head: the hardware alarm may need another second
        } else if (wakeOnEveryChange) {
            wake();
        }
    }

    /**
     * Type {@code t} of {@code in} was disarmed (CLEAR, close paths). A non-wakeup alarm's entry stays as a
     * tombstone (dropped when it comes due, revived by the next SET); a wakeup alarm's is removed. Instance
     * lock held.
     *
     * @param wasWindowed whether it had a window
     */
    void alarmCleared(final Instance in, final int t, final boolean wasWindowed) {
        if (!WAKEUP[t]) {
            return;
        }
        queueChange(in, 1 << t);
        if (wasWindowed || in.heapKey(t) <= (t == 0 ? wakeHeadRt : wakeHeadBt)) {
            programmer.wakeupMoved(); // the wakelock until the dispatcher has programmed it (queued first)
            wake();
        } else if (wakeOnEveryChange) {
            wake();
        }
    }

    /**
     * {@code in} closed: the heaps drop every entry it has; its SETs go to the device's count. Instance lock
     * held.
     */
    void instanceClosed(final Instance in, final long sets) {
        retiredSets.add(sets);
        queueChange(in, (1 << AlarmType.COUNT) - 1);
        if (wakeOnEveryChange) {
            wake();
        }
    }

    /** What the dispatcher sleeps for on a base (published after each pass). */
    private long planned(final int base) {
        return base == 0 ? plannedRt : base == 1 ? plannedBt : plannedMono;
    }

    /**
     * Marks {@code mask}'s types of {@code in} changed and queues the instance unless it is queued already;
     * if the queue is full, applies the queue and this change under the heap lock (backpressure: never
     * dropped; the dispatcher never waits for an instance lock while it holds the heap lock, so this
     * cannot deadlock, whatever instance locks the caller holds).
     */
    private void queueChange(final Instance in, final int mask) {
        if (in.markQueued(mask) != 0 || queue.offer(in)) {
            return;
        }
        heapLock.lock();
        try {
            if (queueFullFallbacks++ == 0) {
                LOG.debug("change queue of {} full ({} instances waiting): callers apply their changes themselves",
                        description, queue.capacity());
            }
            queue.drain(applier);
            apply(in);
        } finally {
            heapLock.unlock();
        }
        wake(); // the heaps changed behind the dispatcher's back
    }

    /** Wakes the dispatcher unless a wake is already requested and not yet taken. Any thread, any lock. */
    private void wake() {
        if (!wakeRequested) {
            wakeRequested = true;
            clocks.wakeup();
        }
    }

    private void requestWake() {
        wakeRequested = true;
        clocks.wakeup();
    }

    /** Forgets an instance (its entries may still be in the heaps: they no longer match it). */
    void remove(final Instance in) {
        lock.lock();
        try {
            final Instance[] table = byMinor;
            if (table[in.minor] == in) {
                table[in.minor] = null;
                minors.clear(in.minor);
                instanceCount--;
                byMinor = table; // publishes the element write
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ the heaps (heap lock held)

    /** Applies every queued and re-queued change. Heap lock held. */
    private void applyPending() {
        for (int i = 0; i < resyncSize; i++) {
            final Instance in = resync[i];
            resync[i] = null;
            apply(in);
        }
        resyncSize = 0;
        queue.drain(applier);
    }

    /** Applies the current state of {@code in}'s changed types. Heap lock held. */
    private void apply(final Instance in) {
        int bits = in.takeQueued();
        while (bits != 0) {
            final int t = Integer.numberOfTrailingZeros(bits);
            bits &= bits - 1;
            applyType(in, t);
        }
    }

    /**
     * Brings type {@code t}'s entries of {@code in} in line with its state, read without the instance lock
     * (see the design block: a change racing this read queues the instance again). A wakeup type's entries
     * follow the state exactly; a non-wakeup type's end and start keys only ever move earlier or appear.
     * Heap lock held.
     */
    private void applyType(final Instance in, final int t) {
        if (in.closed) {
            removeEntries(in, t);
            return;
        }
        final boolean isArmed = (in.enabled & (1 << t)) != 0;
        final long start = in.get(t, Instance.HOST_START);
        final long window = in.get(t, Instance.WINDOW);
        final long end = Sat.add(start, window);
        final TimerQueue heap = heaps[t];
        final long e = in.get(t, Instance.END_ENTRY);
        if (WAKEUP[t]) {
            if (!isArmed) {
                removeEntries(in, t);
                return;
            }
            if (e == TimerQueue.NULL_HANDLE) {
                in.put(t, Instance.END_ENTRY, heap.schedule(end, in.minor));
            } else {
                heap.reschedule(e, end);
            }
            in.publishHeapKey(t, end);
            if (window == 0L) {
                dropWindowEntries(in, t);
            } else {
                startEntry(in, t, start, true);
                final long key = Math.max(start, Sat.add(Sat.sub(end, resolution), 1L));
                final long k = in.get(t, Instance.WAKE_ENTRY);
                if (k == TimerQueue.NULL_HANDLE) {
                    in.put(t, Instance.WAKE_ENTRY, wakeKeys[t].schedule(key, in.minor));
                } else {
                    wakeKeys[t].reschedule(k, key);
                }
            }
            return;
        }
        if (!isArmed) {
            return; // a tombstone stays: dropped when it comes due, revived in place by the next SET
        }
        if (e == TimerQueue.NULL_HANDLE) {
            in.put(t, Instance.END_ENTRY, heap.schedule(end, in.minor));
            in.publishHeapKey(t, end);
        } else if (end < in.heapKey(t)) {
            heap.reschedule(e, end);
            in.publishHeapKey(t, end);
        }
        if (window != 0L) {
            startEntry(in, t, start, false);
        }
    }

    /** Inserts or moves type {@code t}'s start-heap entry (exactly, or only earlier). Heap lock held. */
    private void startEntry(final Instance in, final int t, final long start, final boolean exact) {
        final long s = in.get(t, Instance.START_ENTRY);
        if (s == TimerQueue.NULL_HANDLE) {
            in.put(t, Instance.START_ENTRY, starts[t].schedule(start, in.minor));
            windowedEntries++;
        } else if (exact || start < starts[t].deadline(s)) {
            starts[t].reschedule(s, start);
        }
    }

    /** Removes every entry of type {@code t} of {@code in}. Heap lock held. */
    private void removeEntries(final Instance in, final int t) {
        final long e = in.get(t, Instance.END_ENTRY);
        if (e != TimerQueue.NULL_HANDLE) {
            in.put(t, Instance.END_ENTRY, TimerQueue.NULL_HANDLE);
            heaps[t].cancel(e); // false for an entry popped as an orphan of this closed instance
        }
        in.publishHeapKey(t, Long.MAX_VALUE);
        dropWindowEntries(in, t);
    }

    /** Removes the start-heap and wake-key entries of type {@code t} of {@code in}, if any. Heap lock held. */
    private void dropWindowEntries(final Instance in, final int t) {
        final long s = in.get(t, Instance.START_ENTRY);
        if (s != TimerQueue.NULL_HANDLE) {
            in.put(t, Instance.START_ENTRY, TimerQueue.NULL_HANDLE);
            if (starts[t].cancel(s)) {
                windowedEntries--;
            }
        }
        final long k = in.get(t, Instance.WAKE_ENTRY);
        if (k != TimerQueue.NULL_HANDLE) {
            in.put(t, Instance.WAKE_ENTRY, TimerQueue.NULL_HANDLE);
            wakeKeys[t].cancel(k);
        }
    }

    /**
     * Pops the due entries of {@code from} (the end heaps, or the start heaps for ride-alongs) into the
     * batch. Heap lock held.
     *
     * @return true if something due is left (the batch is full)
     */
    private boolean popDue(final TimerQueue[] from, final PopHandler handler, final long rt, final long bt,
            final long mono) {
        boolean left = false;
        for (int t = 0; t < AlarmType.COUNT; t++) {
            final long now = nowOf(t, rt, bt, mono);
            final TimerQueue heap = from[t];
            if (heap.isEmpty() || heap.peekDeadline() > now) {
                continue;
            }
            handler.type = t;
            heap.pollExpired(now, handler, FIRE_BUDGET);
            if (heap.peekDeadline() <= now) {
                left = true;
            }
        }
        return left;
    }

    private static long nowOf(final int t, final long rt, final long bt, final long mono) {
        final int base = BASE_OF[t];
        return base == 0 ? rt : base == 1 ? bt : mono;
    }

    /** Moves a due entry into the batch (heap lock held); an orphan of a closed instance is dropped. */
    private final class PopHandler implements TimerQueue.ExpiryHandler {
        private final boolean rideAlong;
        int type;

        PopHandler(final boolean rideAlong) {
            this.rideAlong = rideAlong;
        }

        @Override
        public boolean onExpiry(final long handle, final long key, final int payload) {
            if (batchSize == FIRE_BUDGET) {
                return false;
            }
            final Instance[] table = byMinor;
            final Instance in = payload < table.length ? table[payload] : null;
            final int field = rideAlong ? Instance.START_ENTRY : Instance.END_ENTRY;
            if (in == null || in.get(type, field) != handle) {
                return true; // the instance closed (its minor may be another's now): nothing to fire
            }
            in.put(type, field, TimerQueue.NULL_HANDLE);
            if (rideAlong) {
                windowedEntries--;
            } else {
                in.publishHeapKey(type, Long.MAX_VALUE); // before the instance lock is taken to decide
            }
            batchIn[batchSize] = in;
            batchType[batchSize] = rideAlong ? type | RIDE_ALONG : type;
            batchSize++;
            return true;
        }
    }

    private static final int RIDE_ALONG = 8;

    // ------------------------------------------------------------------ dispatcher

    private void onHardwareAlarm() {
        hardwareFired = true;
        clocks.wakeup();
    }

    private void dispatchLoop() {
        long errorBackoff = FIRST_RETRY_NANOS;
        while (!closed) {
            try {
                final boolean hardwareWake = hardwareFired;
                if (hardwareWake) {
                    hardwareFired = false;
                }
                wakeRequested = false; // before draining: a change queued after this wakes us again
                // Realtime only if a wall-clock heap holds something (a racy look: an entry a full-queue caller
                // adds meanwhile comes with a wake). On the portable clocks a realtime read is an Instant.
                final long rt = heaps[0].isEmpty() && heaps[1].isEmpty() && starts[0].isEmpty() && starts[1].isEmpty()
                        ? Long.MIN_VALUE : clocks.nanos(ClockBase.REALTIME);
                final long bt = clocks.nanos(ClockBase.BOOTTIME);
                final long mono = clocks.nanos(ClockBase.MONOTONIC);
                boolean again;
                heapLock.lock();
                try {
                    applyPending();
                    again = popDue(heaps, endPop, rt, bt, mono);
                } finally {
                    heapLock.unlock();
                }
                final int fired = fireBatch(rt, bt, mono);
                if (hardwareWake || fired > 0) {
                    // Every windowed alarm whose window has started rides along.
                    heapLock.lock();
                    try {
                        applyPending();
                        if (windowedEntries > 0 && popDue(starts, startPop, rt, bt, mono)) {
                            again = true;
                        }
                    } finally {
                        heapLock.unlock();
                    }
                    fireBatch(rt, bt, mono);
                }
                final long rtDeadline;
                final long btDeadline;
                final long monoDeadline;
                heapLock.lock();
                try {
                    programmer.markHold(); // before the drain: a wakeup change queued after it keeps its hold
                    applyPending();
                    rtDeadline = Math.min(heaps[0].peekDeadline(), heaps[1].peekDeadline());
                    btDeadline = Math.min(heaps[2].peekDeadline(), heaps[3].peekDeadline());
                    monoDeadline = heaps[4].peekDeadline();
                    plannedRt = rtDeadline;
                    plannedBt = btDeadline;
                    plannedMono = monoDeadline;
                    wakeHeadRt = heaps[0].peekDeadline();
                    wakeHeadBt = heaps[2].peekDeadline();
                    programmer.capture(heaps[0].peekDeadline(), wakeKeys[0].peekDeadline(), heaps[2].peekDeadline(),
                            wakeKeys[2].peekDeadline());
                } finally {
                    heapLock.unlock();
                }
                // Published, then checked: a caller that queued before reading the old plan is seen here.
                if (!queue.isEmpty()) {
                    again = true;
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
     * Fires what the batch holds, each under its instance's lock and only if its state says so (armed, and
     * the window's end, or for a ride-along its start, has passed), and re-queues each popped type so that
     * the heaps catch up (a stale key re-keyed, a fired alarm's other entries dropped). No heap lock held.
     *
     * @return how many fired by their window's end
     */
    private int fireBatch(final long rt, final long bt, final long mono) {
        int firedByEnd = 0;
        final int n = batchSize;
        for (int i = 0; i < n; i++) {
            final Instance in = batchIn[i];
            batchIn[i] = null;
            final boolean rideAlong = (batchType[i] & RIDE_ALONG) != 0;
            final int t = batchType[i] & (RIDE_ALONG - 1);
            final long now = nowOf(t, rt, bt, mono);
            in.lock.lock();
            try {
                if (!in.closed && (in.enabled & (1 << t)) != 0) {
                    final long start = in.get(t, Instance.HOST_START);
                    final long window = in.get(t, Instance.WINDOW);
                    final long end = Sat.add(start, window);
                    if (rideAlong ? window != 0L && start <= now : end <= now) {
                        if (!rideAlong) {
                            firedByEnd++;
                            if (now - end > lateThresholdNanos) {
                                lateDeliveries++;
                            }
                        }
                        fire(in, t, start, now);
                    }
                }
                if (in.markQueued(1 << t) == 0) {
                    resync[resyncSize++] = in;
                }
            } finally {
                in.lock.unlock();
            }
        }
        batchSize = 0;
        return firedByEnd;
    }

    /** Common firing bookkeeping. Instance lock held. */
    private void fire(final Instance in, final int type, final long hostStart, final long now) {
        alarmsFired++;
        in.fired(type);
        final FiringProbe p = probe;
        if (p != null) {
            p.fired(in, TYPES[type], hostStart, now);
        }
        delivery.alarmFired(in.minor, TYPES[type], hostStart, now);
    }

    private void onHostClockChange() {
        final long mono = clocks.nanos(ClockBase.MONOTONIC);
        final long nowRealMinusMono = Sat.sub(clocks.nanos(ClockBase.REALTIME), mono);
        final long moved = Sat.sub(nowRealMinusMono, realMinusMono);
        realMinusMono = nowRealMinusMono;
        if (Math.abs(moved) >= Math.abs(largestUnloggedMove)) {
            largestUnloggedMove = moved;
        }
        final int n;
        lock.lock();
        try {
            if (scratch.length < instanceCount) {
                scratch = new Instance[Math.max(instanceCount, scratch.length * 2)];
            }
            int i = 0;
            final Instance[] table = byMinor;
            for (int m = minors.nextSetBit(0); m >= 0; m = minors.nextSetBit(m + 1)) {
                scratch[i++] = table[m];
            }
            n = i;
        } finally {
            lock.unlock();
        }
        clockChanges++;
        for (int i = 0; i < n; i++) {
            final Instance in = scratch[i];
            scratch[i] = null;
            in.lock.lock();
            try {
                if (!in.closed) {
                    in.raiseTimeChange();
                }
            } finally {
                in.lock.unlock();
            }
        }
        programmer.onClockChange();
        final long reported = clockChangeLog.occurred(mono);
        if (reported == 1) {
            LOG.info("host clock changed (moved {} against the monotonic clock): time-change raised on {} instances",
                    TimeFormat.duration(Timespec.ofNanos(moved)), n);
        } else if (reported > 1) {
            LOG.info("host clock changed {} times since the last such line, the largest move {} (at most one line a"
                    + " minute; the stats count every change): time-change raised on {} instances each time", reported,
                    TimeFormat.duration(Timespec.ofNanos(largestUnloggedMove)), n);
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("host clock changed (moved {}): time-change raised on {} instances",
                    TimeFormat.duration(Timespec.ofNanos(moved)), n);
        }
        if (reported != 0) {
            largestUnloggedMove = 0;
        }
    }

    /** Whether the current thread holds the table lock, the heap lock or an instance's lock (tests). */
    boolean holdsAnyLock() {
        if (lock.isHeldByCurrentThread() || heapLock.isHeldByCurrentThread()) {
            return true;
        }
        for (final Instance in : byMinor) {
            if (in != null && in.lock.isHeldByCurrentThread()) {
                return true;
            }
        }
        return false;
    }

    /** How often a caller found the change queue full and applied its change itself (tests). */
    long queueFullFallbacks() {
        heapLock.lock();
        try {
            return queueFullFallbacks;
        } finally {
            heapLock.unlock();
        }
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
