package dev.valarm.impl.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

/**
 * An instance's lock: a non-fair reentrant mutual-exclusion lock with conditions, as
 * {@link java.util.concurrent.locks.ReentrantLock}, in one object instead of two (a {@code ReentrantLock}
 * delegates to a separate {@code Sync}). A SET or CLEAR of a random one of 100 000 instances is bound by the
 * cache lines it touches, and this is one fewer (measured: BENCHMARKS.md, the multiplexer). Thread-safe.
 */
public final class InstanceLock extends AbstractQueuedSynchronizer implements Lock {
    private static final long serialVersionUID = 1L;

    /** Run once right after the outermost unlock (set with the lock held; see {@link #afterUnlock}). */
    private Runnable afterUnlock;

    InstanceLock() {
    }

    /**
     * Runs {@code action} right after the current holder's outermost unlock, on its thread, with this lock
     * released (an in-module wake-up that should not make its target queue on this lock). At most one action
     * is pending; a second one of the same hold replaces nothing and is run at once instead. Lock held.
     *
     * @param action in-module code that neither blocks nor calls into the device
     */
    void afterUnlock(final Runnable action) {
        if (afterUnlock == null || afterUnlock == action) {
            afterUnlock = action;
        } else {
            action.run();
        }
    }

    @Override
    protected boolean tryAcquire(final int acquires) {
        final Thread current = Thread.currentThread();
        final int c = getState();
        if (c == 0) {
            if (compareAndSetState(0, acquires)) {
                setExclusiveOwnerThread(current);
                return true;
            }
        } else if (current == getExclusiveOwnerThread()) {
            final int next = c + acquires;
            if (next < 0) {
                throw new Error("maximum lock count exceeded");
            }
            setState(next);
            return true;
        }
        return false;
    }

    @Override
    protected boolean tryRelease(final int releases) {
        if (Thread.currentThread() != getExclusiveOwnerThread()) {
            throw new IllegalMonitorStateException("the instance lock is not held by " + Thread.currentThread().getName());
        }
        final int c = getState() - releases;
        final boolean free = c == 0;
        if (free) {
            setExclusiveOwnerThread(null);
        }
        setState(c);
        return free;
    }

    @Override
    protected boolean isHeldExclusively() {
        return getExclusiveOwnerThread() == Thread.currentThread();
    }

    /**
     * Whether the current thread holds this lock.
     *
     * @return whether it does
     */
    public boolean isHeldByCurrentThread() {
        return isHeldExclusively();
    }

    /** Reads the lock's line ahead of its CAS (see {@link Handle}'s touch); the value is not used. */
    void touch() {
        getState();
    }

    /** Tries before queueing: holds are short (a SET, a firing), and queueing allocates an AQS node. */
    private static final int SPINS = 64;
    /**
     * Then tries that give the processor away first: on a machine with fewer cores than busy threads the holder
     * may have been preempted, and spinning cannot let it finish (measured: with a 100 µs periodic task the
     * dispatcher and the scheduler's worker met on the instance lock in about 2 % of the runs, each meeting an
     * AQS node of 32 B; PeriodicAllocationTest).
     */
    private static final int YIELDS = 8;

    @Override
    public void lock() {
        for (int i = 0; i < SPINS + YIELDS; i++) {
            if (getState() == 0 && compareAndSetState(0, 1)) {
                setExclusiveOwnerThread(Thread.currentThread());
                return;
            }
            if (i == 0 && getExclusiveOwnerThread() == Thread.currentThread()) {
                acquire(1); // a reentrant hold: tryAcquire counts it at once, no spin, no queue
                return;
            }
            if (i < SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        acquire(1);
    }

    @Override
    public void lockInterruptibly() throws InterruptedException {
        acquireInterruptibly(1);
    }

    @Override
    public boolean tryLock() {
        return tryAcquire(1);
    }

    @Override
    public boolean tryLock(final long time, final TimeUnit unit) throws InterruptedException {
        return tryAcquireNanos(1, unit.toNanos(time));
    }

    @Override
    public void unlock() {
        Runnable after = null;
        if (getState() == 1 && afterUnlock != null && isHeldExclusively()) {
            after = afterUnlock;
            afterUnlock = null;
        }
        release(1);
        if (after != null) {
            after.run();
        }
    }

    @Override
    public Condition newCondition() {
        return new ConditionObject();
    }
}
