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

    InstanceLock() {
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

    @Override
    public void lock() {
        if (!compareAndSetState(0, 1)) {
            acquire(1);
        } else {
            setExclusiveOwnerThread(Thread.currentThread());
        }
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
        release(1);
    }

    @Override
    public Condition newCondition() {
        return new ConditionObject();
    }
}
