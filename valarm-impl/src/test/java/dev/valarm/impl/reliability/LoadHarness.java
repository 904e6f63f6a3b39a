package dev.valarm.impl.reliability;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.InstanceConfig;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.DeviceListener;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.internal.FiringProbe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Many threads on many instances doing random SET, CLEAR, WAIT (blocking, polling, asynchronous),
 * SET_AND_WAIT, SET_RTC, open and close, with an independent checker.
 *
 * <p>The checker keeps its own model of every (instance, type): the armed alarm's time as the worker set
 * it, and whether it fired and was not yet collected. Each worker owns a disjoint set of instances and
 * applies a call and its model update while holding the device's lock ({@link DriverAccess#lock}), and
 * the device reports every firing to the checker's test-only {@link FiringProbe} under the same lock, so
 * the model sees the exact order of events. (The public {@link DeviceListener} is never called under the
 * lock; {@link ListenerCount} checks that it sees every firing too, off the lock.) It proves: no alarm fires before its instance's clock reaches the
 * time it was set for; nothing fires that is not armed; no type is reported by a WAIT unless it fired
 * since the last report (none twice); every alarm set ends fired, cleared, replaced or discarded by an
 * owner close; and every firing ends delivered, cleared, discarded or coalesced with an earlier
 * uncollected firing of the same type (the driver's one-bit-per-type report).
 */
final class LoadHarness implements FiringProbe {
    private static final long NONE = Long.MIN_VALUE;

    /** The kinds of operations, for the counts. */
    enum Op { SET, CLEAR, POLL, WAIT, SET_AND_WAIT, ASYNC, SET_RTC, GET_TIME, OPEN, CLOSE_HANDLE, RECREATE }

    /** Per (instance, type) model. Guarded by the device's lock. */
    private static final class Slot {
        long armed = NONE;
        /** The instance's time on the type's clock when the alarm was set (a past time fires at once). */
        long setAt;
        boolean viaSetAndAwait;
        boolean fired;
    }

    /** One instance as the checker sees it. Guarded by the device's lock. */
    private static final class Inst {
        ValarmInstance instance;
        AlarmHandle owner;
        final Slot[] slots = new Slot[AlarmType.COUNT];

        Inst(final ValarmInstance instance) {
            this.instance = instance;
            for (int t = 0; t < AlarmType.COUNT; t++) {
                slots[t] = new Slot();
            }
        }
    }

    private final ValarmDevice device;
    private final ReentrantLock lock;
    private final Inst[] byMinor;
    private final Duration maxAhead;
    private final Duration rtcJump;
    private final Duration blockingTimeout;

    // Counters, guarded by the lock.
    long sets;
    long replaced;
    long cleared;
    long discarded;
    long fired;
    long delivered;
    long eventsCleared;
    long eventsDiscarded;
    long coalesced;
    long timeChanges;
    long maxLateNanos;
    String worstLate = "";
    long maxLateSaw;
    String worstLateSaw = "";
    final long[] ops = new long[Op.values().length];
    final AtomicLong maxOpNanos = new AtomicLong();
    /**
     * Lateness of non-wall-clock alarms set with SET (the set time is read right after the call, under the
     * device lock) is measured while this is true; cleared when time starts to move in big steps (the end
     * of a simulated run).
     */
    volatile boolean measureLateness = true;
    final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();

    /**
     * @param device a device (built with a {@link ListenerCount} as its listener); the harness installs
     *        itself as the device's firing probe
     */
    LoadHarness(final ValarmDevice device, final int maxMinor, final Duration maxAhead, final Duration rtcJump,
            final Duration blockingTimeout) {
        this.device = device;
        this.lock = DriverAccess.lock(device);
        this.byMinor = new Inst[maxMinor];
        this.maxAhead = maxAhead;
        this.rtcJump = rtcJump;
        this.blockingTimeout = blockingTimeout;
        DriverAccess.probeFirings(device, this);
    }

    /**
     * The public listener under load: counts the firings it is told of and records a violation if it is
     * ever called with the device lock held or on the dispatcher.
     */
    static final class ListenerCount implements DeviceListener {
        final AtomicLong fired = new AtomicLong();
        final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        volatile ReentrantLock deviceLock;

        @Override
        public void alarmFired(final int minor, final AlarmType type, final long hostDeadlineNanos, final long hostNowNanos) {
            fired.incrementAndGet();
            final ReentrantLock l = deviceLock;
            if (l != null && l.isHeldByCurrentThread()) {
                violations.add("listener called under the device lock");
            }
            if (Thread.currentThread().getName().startsWith("valarm-") && !Thread.currentThread().getName().endsWith("-delivery")) {
                violations.add("listener called on " + Thread.currentThread().getName());
            }
        }
    }

    // ------------------------------------------------------------------ the checker's side of firing

    @Override
    public void fired(final int minor, final AlarmType type, final long hostDeadlineNanos, final long hostNowNanos) {
        // Called by the dispatcher with the device's lock held (the test-only probe).
        final Inst in = minor < byMinor.length ? byMinor[minor] : null;
        if (in == null) {
            violations.add("alarm fired on unknown minor " + minor);
            return;
        }
        final Slot s = in.slots[type.number()];
        if (s.armed == NONE) {
            violations.add("fired but not armed: minor " + minor + " " + type);
            return;
        }
        final long offset = type.clockBase() == ClockBase.REALTIME ? in.instance.wallClockOffset().toNanos() : 0;
        final long instNow = hostNowNanos + offset;
        if (instNow < s.armed) {
            violations.add("fired early: minor " + minor + " " + type + " at instance time " + instNow + " < " + s.armed);
        }
        if (type.clockBase() != ClockBase.REALTIME && measureLateness) {
            // Wall-clock alarms are legitimately late after a SET_RTC or host jump forward: not counted.
            final long due = Math.max(s.armed, s.setAt);
            if (s.viaSetAndAwait && measureLateness && instNow - due > maxLateSaw) {
                maxLateSaw = instNow - due;
                worstLateSaw = "minor " + minor + " " + type + " armed for " + s.armed + " at " + s.setAt + " fired at " + instNow;
            }
            if (!s.viaSetAndAwait && instNow - due > maxLateNanos) {
                maxLateNanos = instNow - due;
                worstLate = "minor " + minor + " " + type + " armed for " + s.armed + " at " + s.setAt + " fired at "
                        + instNow + " (host deadline " + hostDeadlineNanos + ", host now " + hostNowNanos + ")";
            }
        }
        s.armed = NONE;
        if (s.fired) {
            coalesced++;
        }
        s.fired = true;
        fired++;
    }

    // ------------------------------------------------------------------ workers

    /** Creates {@code count} instances; returns them as the worker partitions. */
    List<List<Integer>> createInstances(final int count, final int workers, final Random rnd) {
        final List<List<Integer>> parts = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            parts.add(new ArrayList<>());
        }
        lock.lock();
        try {
            for (int i = 0; i < count; i++) {
                final ValarmInstance vi = device.createInstance(InstanceConfig.builder()
                        .wallClockOffset(Duration.ofSeconds(rnd.nextInt(7200) - 3600)).build());
                byMinor[vi.minor()] = new Inst(vi);
                parts.get(i % workers).add(vi.minor());
            }
        } finally {
            lock.unlock();
        }
        return parts;
    }

    /** One worker's loop until {@code stopAt} on {@code clock} (System.nanoTime). */
    void work(final List<Integer> mine, final long seed, final LongSupplier nanoTime, final long stopAt) {
        final Random rnd = new Random(seed);
        final int[] minors = mine.stream().mapToInt(Integer::intValue).toArray();
        try {
            while (nanoTime.getAsLong() < stopAt) {
                final int idx = rnd.nextInt(minors.length);
                final long t0 = System.nanoTime();
                minors[idx] = step(minors[idx], rnd);
                final long took = System.nanoTime() - t0;
                maxOpNanos.accumulateAndGet(took, Math::max);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            violations.add("worker interrupted");
        } catch (final RuntimeException | AssertionError e) {
            violations.add("worker failed: " + e);
            throw e;
        }
    }

    private Timespec target(final Inst in, final AlarmType type, final Random rnd) {
        final long now = in.instance.now(type).toNanos();
        final long ahead = maxAhead.toNanos();
        return Timespec.ofNanos(now - ahead / 20 + (long) (rnd.nextDouble() * ahead));
    }

    /** One random operation on the instance with {@code minor}; returns its (possibly new) minor. */
    private int step(final int minor, final Random rnd) throws InterruptedException {
        final Inst in;
        lock.lock();
        try {
            in = byMinor[minor];
        } finally {
            lock.unlock();
        }
        final int dice = rnd.nextInt(100);
        final AlarmType type = AlarmType.values()[rnd.nextInt(AlarmType.COUNT)];
        if (in.owner == null || dice < 2) {
            lock.lock();
            try {
                if (in.owner != null) {
                    closeOwner(in);
                    count(Op.CLOSE_HANDLE);
                }
                in.owner = in.instance.open(OpenMode.READ_WRITE);
                count(Op.OPEN);
            } finally {
                lock.unlock();
            }
            return minor;
        }
        if (dice < 3) {
            return recreate(in, rnd);
        }
        final AlarmHandle h = in.owner;
        if (dice < 40) {
            final Timespec t = target(in, type, rnd);
            lock.lock();
            try {
                h.set(type, t);
                final Slot s = in.slots[type.number()];
                if (s.armed != NONE) {
                    replaced++;
                }
                s.armed = t.toNanos();
                s.setAt = in.instance.now(type).toNanos();
                s.viaSetAndAwait = false;
                sets++;
                count(Op.SET);
            } finally {
                lock.unlock();
            }
        } else if (dice < 50) {
            lock.lock();
            try {
                h.clear(type);
                final Slot s = in.slots[type.number()];
                if (s.armed != NONE) {
                    cleared++;
                    s.armed = NONE;
                }
                if (s.fired) {
                    eventsCleared++;
                    s.fired = false;
                }
                count(Op.CLEAR);
            } finally {
                lock.unlock();
            }
        } else if (dice < 70) {
            lock.lock();
            try {
                deliver(in, h.await(Duration.ZERO));
                count(Op.POLL);
            } finally {
                lock.unlock();
            }
        } else if (dice < 76) {
            lock.lock();
            try {
                if (armedAny(in)) {
                    // Blocks with the lock released (Condition.await); re-held when it returns.
                    deliver(in, h.await(blockingTimeout));
                    count(Op.WAIT);
                }
            } finally {
                lock.unlock();
            }
        } else if (dice < 80) {
            final Timespec t = target(in, type, rnd);
            lock.lock();
            try {
                final Slot s = in.slots[type.number()];
                if (s.armed != NONE) {
                    replaced++;
                }
                s.armed = t.toNanos();
                // The SET happens inside setAndAwait, after this line; simulated time may move in between
                // (up to the dispatcher's next deadline), so this alarm's lateness is reported separately.
                s.setAt = in.instance.now(type).toNanos();
                s.viaSetAndAwait = true;
                sets++;
                deliver(in, h.setAndAwait(type, t));
                count(Op.SET_AND_WAIT);
            } finally {
                lock.unlock();
            }
        } else if (dice < 86) {
            lock.lock();
            try {
                final CompletableFuture<AlarmEvents> f = h.awaitAsync();
                if (f.isDone()) {
                    deliver(in, f.join());
                } else {
                    f.cancel(false);
                }
                count(Op.ASYNC);
            } finally {
                lock.unlock();
            }
        } else if (dice < 92) {
            final long jump = (long) ((rnd.nextDouble() * 2 - 1) * rtcJump.toNanos());
            final AlarmHandle setter = rnd.nextBoolean() ? h : in.instance.open(OpenMode.READ_WRITE);
            lock.lock();
            try {
                setter.setRtc(Timespec.ofNanos(in.instance.now(AlarmType.RTC).toNanos() + jump));
                count(Op.SET_RTC);
            } finally {
                lock.unlock();
            }
            if (setter != h) {
                setter.close();
            }
        } else {
            final AlarmHandle ro = in.instance.open(OpenMode.READ_ONLY);
            final Timespec a = ro.getTime(type);
            final Timespec b = in.instance.now(type);
            if (type.clockBase() != ClockBase.REALTIME && b.compareTo(a) < 0) {
                violations.add("clock went backwards on minor " + minor + " " + type + ": " + a + " then " + b);
            }
            ro.close();
            lock.lock();
            try {
                count(Op.GET_TIME);
            } finally {
                lock.unlock();
            }
        }
        return minor;
    }

    private static boolean armedAny(final Inst in) {
        for (final Slot s : in.slots) {
            if (s.armed != NONE || s.fired) {
                return true;
            }
        }
        return false;
    }

    private void count(final Op op) {
        ops[op.ordinal()]++;
    }

    /** Lock held. */
    private void deliver(final Inst in, final AlarmEvents ev) {
        if (ev.timeChanged()) {
            timeChanges++;
        }
        for (int t = 0; t < AlarmType.COUNT; t++) {
            if ((ev.mask() & (1 << t)) != 0) {
                final Slot s = in.slots[t];
                if (!s.fired) {
                    violations.add("reported without firing (or twice): minor " + in.instance.minor() + " "
                            + AlarmType.of(t));
                }
                s.fired = false;
                delivered++;
            }
        }
    }

    /** Closes the owner handle and accounts for what it discards. Lock held. */
    private void closeOwner(final Inst in) {
        final boolean wasOwner = in.owner.isOwner();
        in.owner.close();
        if (wasOwner) {
            discardAll(in);
        } else if (armedAny(in)) {
            violations.add("alarms armed on minor " + in.instance.minor() + " without an owner");
        }
        in.owner = null;
    }

    private void discardAll(final Inst in) {
        for (final Slot s : in.slots) {
            if (s.armed != NONE) {
                discarded++;
                s.armed = NONE;
            }
            if (s.fired) {
                eventsDiscarded++;
                s.fired = false;
            }
        }
    }

    private int recreate(final Inst in, final Random rnd) {
        lock.lock();
        try {
            final int old = in.instance.minor();
            in.instance.close();
            discardAll(in);
            in.owner = null;
            byMinor[old] = null;
            final ValarmInstance vi = device.createInstance(InstanceConfig.builder()
                    .wallClockOffset(Duration.ofSeconds(rnd.nextInt(7200) - 3600)).build());
            byMinor[vi.minor()] = new Inst(vi);
            count(Op.RECREATE);
            return vi.minor();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ the end

    /** Whether any alarm is still armed in the model. */
    boolean anyArmed() {
        lock.lock();
        try {
            for (final Inst in : byMinor) {
                if (in != null) {
                    for (final Slot s : in.slots) {
                        if (s.armed != NONE) {
                            return true;
                        }
                    }
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Collects what is pending on every owner with a non-blocking WAIT. */
    void collectAll() {
        lock.lock();
        try {
            for (final Inst in : byMinor) {
                if (in != null && in.owner != null && in.owner.isOwner()) {
                    deliver(in, in.owner.await(Duration.ZERO));
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            lock.unlock();
        }
    }

    /** Blocks on one owner that still has something armed, up to {@code timeout}; false if none has. */
    boolean awaitOneArmed(final Duration timeout) throws InterruptedException {
        lock.lock();
        try {
            for (final Inst in : byMinor) {
                if (in != null && in.owner != null && armedAny(in)) {
                    deliver(in, in.owner.await(timeout));
                    return true;
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Closes every handle and instance, accounting for what the owner closes discard. */
    void closeAll() {
        lock.lock();
        try {
            for (int m = 0; m < byMinor.length; m++) {
                final Inst in = byMinor[m];
                if (in != null) {
                    if (in.owner != null) {
                        closeOwner(in);
                    }
                    in.instance.close();
                    byMinor[m] = null;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The accounting identities; adds a violation for each that does not hold. */
    void checkAccounts() {
        lock.lock();
        try {
            long stillArmed = 0;
            long stillFired = 0;
            for (final Inst in : byMinor) {
                if (in != null) {
                    for (final Slot s : in.slots) {
                        stillArmed += s.armed != NONE ? 1 : 0;
                        stillFired += s.fired ? 1 : 0;
                    }
                }
            }
            if (sets != fired + cleared + replaced + discarded + stillArmed) {
                violations.add("alarms vanished: set " + sets + " != fired " + fired + " + cleared " + cleared
                        + " + replaced " + replaced + " + discarded " + discarded + " + still armed " + stillArmed);
            }
            if (fired != delivered + eventsCleared + eventsDiscarded + coalesced + stillFired) {
                violations.add("events vanished: fired " + fired + " != delivered " + delivered + " + cleared "
                        + eventsCleared + " + discarded " + eventsDiscarded + " + coalesced " + coalesced
                        + " + uncollected " + stillFired);
            }
        } finally {
            lock.unlock();
        }
    }

    long totalOps() {
        long n = 0;
        for (final long o : ops) {
            n += o;
        }
        return n;
    }

    void report(final Report r) {
        lock.lock();
        try {
            r.put("operations", totalOps());
            for (final Op op : Op.values()) {
                r.put("op." + op.name(), ops[op.ordinal()]);
            }
            r.put("alarmsSet", sets).put("alarmsFired", fired).put("alarmsReplaced", replaced)
                    .put("alarmsCleared", cleared).put("alarmsDiscardedByOwnerClose", discarded)
                    .put("deliveriesChecked", delivered).put("firedEventsCleared", eventsCleared)
                    .put("firedEventsDiscarded", eventsDiscarded).put("firedEventsCoalesced", coalesced)
                    .put("timeChangeEventsSeen", timeChanges).put("maxLateNanosOfNonWallClockAlarms", maxLateNanos).put("worstLate", worstLate).put("maxLateNanosSetAndAwait", maxLateSaw).put("worstLateSetAndAwait", worstLateSaw)
                    .put("maxOperationMillis", maxOpNanos.get() / 1_000_000).put("violations", violations.size());
        } finally {
            lock.unlock();
        }
    }
}
