package dev.valarm.impl.sim;

import dev.valarm.ClockBase;
import dev.valarm.ClockRangeException;
import dev.valarm.Errno;
import dev.valarm.TimeFormat;
import dev.valarm.Timespec;
import dev.valarm.impl.internal.ClockRange;
import dev.valarm.impl.internal.DeliveryObserver;
import dev.valarm.impl.internal.Sat;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeReason;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Host clocks that move only when told. Usually reached through {@link SimulatedMachine}.
 *
 * <p>Besides {@link HostClocks} it knows what its waiter (the device's dispatcher) sleeps for, and a device
 * built on these clocks tells them about the work it hands to user code (listener calls, asynchronous-wait
 * completions and the callbacks that depend on them on the device's callback executor, blocking waiters it
 * woke, until they return from WAIT). That lets {@link #awaitIdle()} return exactly when the dispatcher has
 * processed everything that is due and everything that caused has run: the handshake that makes tests on
 * simulated time deterministic without sleeping.
 *
 * <p>Limit: the clocks live in the clock range ({@link Timespec#CLOCK_MIN} to {@link Timespec#CLOCK_MAX}, see
 * {@link ClockRangeException}), the range every clock valarm sets is kept in. Creating them, setting,
 * jumping or letting time pass so that a clock would leave it throws {@link ClockRangeException} and moves
 * nothing; at the limit itself everything works ({@link #NO_DEADLINE} is never due, whatever the clocks
 * read).
 *
 * <p>Thread-safety: thread-safe. Reads are lock-free; changes and the handshake use one lock.
 */
public final class SimulatedClocks implements HostClocks {
    private static final long IDLE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    private volatile long realtime;
    private volatile long boottime;
    private volatile long monotonic;
    private volatile boolean allowSet = true;

    // Guarded by lock.
    private boolean attached;
    private boolean waiting;
    private boolean woken;
    private boolean clockSet;
    private long rtDeadline = NO_DEADLINE;
    private long btDeadline = NO_DEADLINE;
    private long monoDeadline = NO_DEADLINE;
    /** Work devices handed to user code that has not finished (see {@link DeliveryObserver}). */
    private long deliveries;

    /**
     * Creates clocks at the given readings.
     *
     * @param realtimeNanos host realtime, nanoseconds since the epoch
     * @param boottimeNanos host boottime
     * @param monotonicNanos host monotonic time, at most {@code boottimeNanos}
     * @throws ClockRangeException if a reading is outside the clock range
     */
    public SimulatedClocks(final long realtimeNanos, final long boottimeNanos, final long monotonicNanos) {
        checkRange("realtime", realtimeNanos);
        checkRange("boottime", boottimeNanos);
        checkRange("monotonic time", monotonicNanos);
        this.realtime = realtimeNanos;
        this.boottime = boottimeNanos;
        this.monotonic = monotonicNanos;
        DeliveryObserver.register(this, deliveries());
    }

    /** This machine's observer of the work devices hand to user code (registered for these clocks). */
    DeliveryObserver deliveries() {
        return observer;
    }

    private final DeliveryObserver observer = new DeliveryObserver() {
            @Override
            public void started(final int count) {
                lock.lock();
                try {
                    deliveries += count;
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public void finished(final int count) {
                lock.lock();
                try {
                    deliveries -= count;
                    if (deliveries == 0) {
                        changed.signalAll();
                    }
                } finally {
                    lock.unlock();
                }
            }
        };

    @Override
    public String name() {
        return "simulated-clocks";
    }

    @Override
    public long nanos(final ClockBase base) {
        switch (Objects.requireNonNull(base, "base")) {
            case REALTIME:
                return realtime;
            case BOOTTIME:
                return boottime;
            default:
                return monotonic;
        }
    }

    @Override
    public boolean canSetRealtime() {
        return allowSet;
    }

    /**
     * Makes {@link #setRealtime} fail with EPERM (as without {@code CAP_SYS_TIME}) or work again.
     *
     * @param allowed whether setting is allowed
     */
    public void allowSetRealtime(final boolean allowed) {
        this.allowSet = allowed;
    }

    /**
     * {@inheritDoc}
     *
     * @throws ClockRangeException if {@code epochNanos} is outside the clock range
     */
    @Override
    public void setRealtime(final long epochNanos) {
        if (!allowSet) {
            throw new RtcException(Errno.EPERM, "clock_settime(CLOCK_REALTIME)",
                    "not permitted on these simulated clocks (wanted " + TimeFormat.instant(Timespec.ofNanos(epochNanos)) + ")");
        }
        checkRange("realtime", epochNanos);
        lock.lock();
        try {
            realtime = epochNanos;
            clockSet = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves the realtime clock by {@code deltaNanos}, as another program setting the host clock would; the
     * waiter sees {@link WakeReason#CLOCK_SET}.
     *
     * @param deltaNanos how far, either way
     * @throws ClockRangeException if realtime would leave the clock range (nothing moves)
     */
    public void jumpRealtime(final long deltaNanos) {
        lock.lock();
        try {
            realtime = checkRange("realtime", Sat.add(realtime, deltaNanos));
            clockSet = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lets time pass: all three clocks move by {@code nanos} (or, when {@code suspended}, REALTIME and
     * BOOTTIME only).
     *
     * @param nanos not negative
     * @param suspended whether the machine sleeps meanwhile (MONOTONIC stops)
     * @throws IllegalArgumentException if {@code nanos} is negative
     * @throws ClockRangeException if a clock would leave the clock range (nothing moves)
     */
    public void pass(final long nanos, final boolean suspended) {
        passThen(nanos, suspended, null);
    }

    /**
     * Lets time pass as {@link #pass}, then runs {@code action} before any waiter can observe the new
     * time (the lock is held). The machine uses it to raise the RTC interrupt that ends a suspend before
     * the dispatcher sees the clocks jump, as on real hardware.
     */
    void passThen(final long nanos, final boolean suspended, final Runnable action) {
        if (nanos < 0) {
            throw new IllegalArgumentException("time cannot pass backwards: " + TimeFormat.duration(Timespec.ofNanos(nanos)));
        }
        lock.lock();
        try {
            final long rt = checkRange("realtime", Sat.add(realtime, nanos));
            final long bt = checkRange("boottime", Sat.add(boottime, nanos));
            final long mono = suspended ? monotonic : checkRange("monotonic time", Sat.add(monotonic, nanos));
            realtime = rt;
            boottime = bt;
            monotonic = mono;
            if (action != null) {
                action.run();
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public WakeReason awaitDeadline(final long realtimeDeadline, final long boottimeDeadline,
            final long monotonicDeadline) {
        lock.lock();
        try {
            attached = true;
            rtDeadline = realtimeDeadline;
            btDeadline = boottimeDeadline;
            monoDeadline = monotonicDeadline;
            waiting = true;
            changed.signalAll();
            while (true) {
                if (!attached) {
                    return WakeReason.WOKEN;
                }
                if (clockSet) {
                    clockSet = false;
                    return WakeReason.CLOCK_SET;
                }
                if (woken) {
                    woken = false;
                    return WakeReason.WOKEN;
                }
                if (due()) {
                    return WakeReason.DEADLINE;
                }
                try {
                    changed.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return WakeReason.WOKEN;
                }
            }
        } finally {
            waiting = false;
            lock.unlock();
        }
    }

    /** Whether a deadline has come; {@link #NO_DEADLINE} never comes, whatever the clock reads. */
    private boolean due() {
        return rtDeadline != NO_DEADLINE && rtDeadline <= realtime || btDeadline != NO_DEADLINE && btDeadline <= boottime
                || monoDeadline != NO_DEADLINE && monoDeadline <= monotonic;
    }

    /**
     * Whether passing {@code nanos} (suspended or not) keeps every clock in the clock range.
     *
     * @param nanos how long, not negative
     * @param suspended whether MONOTONIC stands still
     * @throws ClockRangeException if a clock would leave the range
     */
    void checkPass(final long nanos, final boolean suspended) {
        checkRange("realtime", Sat.add(realtime, nanos));
        checkRange("boottime", Sat.add(boottime, nanos));
        if (!suspended) {
            checkRange("monotonic time", Sat.add(monotonic, nanos));
        }
    }

    private static long checkRange(final String clock, final long nanos) {
        if (nanos < LIMIT_MIN || nanos > LIMIT_MAX) {
            throw ClockRange.clockOutside("the simulated " + clock + " (the simulated machine's limit)",
                    "realtime".equals(clock), Timespec.ofNanos(nanos));
        }
        return nanos;
    }

    private static final long LIMIT_MIN = Timespec.CLOCK_MIN.toNanos();
    private static final long LIMIT_MAX = Timespec.CLOCK_MAX.toNanos();

    @Override
    public void wakeup() {
        lock.lock();
        try {
            woken = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until the waiter (the device's dispatcher) sleeps with nothing due, nothing woken and no clock
     * change unseen, and no work the device handed to user code is still running: everything due has been
     * fired, every listener call and asynchronous-wait completion (with the callbacks that depend on it on
     * the callback executor) has run, and every blocking waiter woken has returned from WAIT. Returns at
     * once if no dispatcher is attached. Must not be called from such a callback (it would wait for itself).
     *
     * @throws IllegalStateException if that does not happen within 30 s of real time (a stuck dispatcher or
     *         a callback that does not return)
     */
    public void awaitIdle() {
        lock.lock();
        try {
            long left = IDLE_TIMEOUT_NANOS;
            while (attached && !(waiting && !woken && !clockSet && !due() && deliveries == 0)) {
                if (left <= 0) {
                    throw new IllegalStateException("dispatcher did not become idle within 30 s: waiting=" + waiting
                            + ", woken=" + woken + ", clockSet=" + clockSet + ", due=" + due()
                            + ", callbacks still running=" + deliveries);
                }
                left = changed.awaitNanos(left);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the dispatcher", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until a dispatcher has attached (called {@link #awaitDeadline} once).
     *
     * @throws IllegalStateException if none attaches within 30 s of real time
     */
    public void awaitAttached() {
        lock.lock();
        try {
            long left = IDLE_TIMEOUT_NANOS;
            while (!attached) {
                if (left <= 0) {
                    throw new IllegalStateException("no dispatcher attached within 30 s");
                }
                left = changed.awaitNanos(left);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a dispatcher", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * How far ahead the waiter's earliest deadline is, over the clocks that move now.
     *
     * @param suspended whether MONOTONIC is stopped (its deadlines then never come)
     * @return nanoseconds until the earliest deadline (0 if one is due), or {@code Long.MAX_VALUE}
     */
    public long nanosToNextDeadline(final boolean suspended) {
        lock.lock();
        try {
            if (!attached || !waiting) {
                return Long.MAX_VALUE;
            }
            long next = Long.MAX_VALUE;
            if (rtDeadline != NO_DEADLINE) {
                next = Math.min(next, Math.max(0, Sat.sub(rtDeadline, realtime)));
            }
            if (btDeadline != NO_DEADLINE) {
                next = Math.min(next, Math.max(0, Sat.sub(btDeadline, boottime)));
            }
            if (!suspended && monoDeadline != NO_DEADLINE) {
                next = Math.min(next, Math.max(0, Sat.sub(monoDeadline, monotonic)));
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    /** Detaches the current waiter (it returns); the clocks stay usable for another device. */
    @Override
    public void close() {
        lock.lock();
        try {
            attached = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
