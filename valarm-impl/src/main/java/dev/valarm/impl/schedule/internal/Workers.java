package dev.valarm.impl.schedule.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler's own small pool: a fixed number of threads taking due tasks from a ready queue linked
 * through {@link ScheduledTask#next}. Idle threads park; handing a task over unparks one. Nothing is
 * allocated per task (no queue nodes, no condition nodes), which is why this is not a
 * {@code ThreadPoolExecutor}.
 *
 * <p>Thread-safety: the queue and the idle flags are guarded by the engine's lock; the threads run tasks
 * without it.
 */
final class Workers {
    private static final Logger LOG = LoggerFactory.getLogger(Workers.class);

    private final ReentrantLock lock;
    private final Thread[] threads;
    /** Guarded by lock. */
    private final boolean[] idle;
    private ScheduledTask<?> head;
    private ScheduledTask<?> tail;
    private int queued;
    private int idleCount;
    private volatile boolean stopped;
    private volatile boolean stopping;

    Workers(final ReentrantLock lock, final int count, final ThreadFactory factory, final String name) {
        this.lock = lock;
        this.threads = new Thread[count];
        this.idle = new boolean[count];
        for (int i = 0; i < count; i++) {
            final int id = i;
            final Thread t = factory.newThread(() -> loop(id));
            if (t == null) {
                throw new IllegalStateException("the thread factory returned null for worker " + i + " of " + name);
            }
            threads[i] = t;
        }
    }

    void start() {
        for (final Thread t : threads) {
            t.start();
        }
    }

    /** Appends a list linked through {@code next} and wakes idle threads for it. Lock held. */
    void offer(final ScheduledTask<?> first) {
        int n = 0;
        ScheduledTask<?> last = first;
        for (ScheduledTask<?> t = first; t != null; t = t.next) {
            last = t;
            n++;
        }
        if (tail == null) {
            head = first;
        } else {
            tail.next = first;
        }
        tail = last;
        queued += n;
        for (int i = 0; i < idle.length && n > 0 && idleCount > 0; i++) {
            if (idle[i]) {
                idle[i] = false;
                idleCount--;
                n--;
                LockSupport.unpark(threads[i]);
            }
        }
    }

    /** Removes every task not yet taken; returns them linked through {@code next}. Lock held. */
    ScheduledTask<?> drain() {
        final ScheduledTask<?> first = head;
        head = null;
        tail = null;
        queued = 0;
        return first;
    }

    /** Tasks waiting for a thread. Lock held. */
    int queued() {
        return queued;
    }

    /** Interrupts every thread (shutdownNow: running tasks see it). */
    void interruptAll() {
        stopping = true;
        for (final Thread t : threads) {
            t.interrupt();
        }
    }

    /** Lets every thread exit once the queue is empty. */
    void stop() {
        stopped = true;
        for (final Thread t : threads) {
            LockSupport.unpark(t);
        }
    }

    /** Whether {@code t} is one of this pool's threads. */
    boolean owns(final Thread t) {
        for (final Thread w : threads) {
            if (w == t) {
                return true;
            }
        }
        return false;
    }

    private void loop(final int id) {
        while (true) {
            ScheduledTask<?> task;
            lock.lock();
            try {
                task = head;
                if (task != null) {
                    head = task.next;
                    if (head == null) {
                        tail = null;
                    }
                    task.next = null;
                    queued--;
                    if (idle[id]) {
                        idle[id] = false;
                        idleCount--;
                    }
                } else if (stopped) {
                    return;
                } else if (!idle[id]) {
                    idle[id] = true;
                    idleCount++;
                }
            } finally {
                lock.unlock();
            }
            if (task == null) {
                LockSupport.park(this);
                continue;
            }
            if (!stopping) {
                Thread.interrupted(); // an interrupt meant for an earlier task must not reach this one
            }
            try {
                task.run();
            } catch (final RuntimeException | Error e) {
                LOG.error("scheduler worker {}: unexpected failure around {}", Thread.currentThread().getName(), task, e);
            }
        }
    }
}
