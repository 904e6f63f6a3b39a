package dev.valarm.impl.schedule.internal;

import dev.valarm.AlarmBusyException;
import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.InstanceSnapshot;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmClosedException;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.internal.Sat;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@code InstanceScheduler}: many tasks multiplexed onto one instance's five driver
 * alarms. Thread-safe.
 *
 * <p>Flow. A task goes into its type's heap ({@link TaskQueues}); whenever a heap's head changes, the
 * <em>armer</em> sets that type's driver alarm to the new head (or clears it) through the scheduler's
 * owner handle, and keeps one asynchronous WAIT ({@link AlarmHandle#awaitAsync()}) outstanding. When the
 * WAIT completes, on the device's callback executor, {@link #onEvents} polls every heap against the
 * instance's clocks, hands what is due to the task executor, and calls the armer again, which re-arms and
 * waits again. Expiry is level-triggered: any event (a fired type, a time change, a spurious one) leads to
 * a full poll against the clocks, so a lost or stale event cannot lose a task.
 *
 * <p>Concurrency. One {@link ReentrantLock} guards the heaps, the counters and the ready queue of the
 * own workers; it is never held while calling the device (SET, CLEAR, WAIT) or user code (tasks, the
 * executor). The armer is single-flight ({@link #armWip}): any thread may request arming, one thread at a
 * time applies it and loops until no request is left, so the device sees the heads in order without a
 * lock held across the device call. The device never calls in under its own lock (completions come from
 * its callback executor), so there is no lock-order cycle.
 *
 * <p>Allocation. Per task: the {@link ScheduledTask} only. Per driver-alarm firing (any number of tasks):
 * the device's asynchronous WAIT (its future and waiter), the callback's hop onto the device's callback
 * executor, and a {@link Timespec} for the SET of the next head.
 */
public final class TaskEngine {
    /** Logged under the public class's name: that is what users configure. */
    static final Logger LOG = LoggerFactory.getLogger("dev.valarm.impl.schedule.InstanceScheduler");

    private static final AlarmType[] TYPES = AlarmType.values();
    /** Due tasks taken per poll pass before the lock is released for callers. */
    private static final int POLL_BUDGET = 4096;

    private static final int RUNNING = 0;
    private static final int SHUTDOWN = 1;
    private static final int STOP = 2;
    private static final int TERMINATED = 3;

    private final ReentrantLock lock = new ReentrantLock();
    private final ValarmInstance instance;
    private final AlarmHandle handle;
    private final Executor executor; // null: the own workers
    private final Workers workers; // null: a caller-supplied executor
    private final TaskQueues queues = new TaskQueues();
    private final int maxQueued;
    private final String label;
    private final CountDownLatch terminated = new CountDownLatch(1);
    /** The last time read per type: what {@code getDelay} uses once the instance is gone. Racy by design. */
    private final long[] lastNow = new long[AlarmType.COUNT];

    // Guarded by lock.
    private volatile int runState;
    private long seq;
    /** Tasks handed to the executor (or the ready queue) and not finished. */
    private int active;
    /** Types whose driver alarm fired since the armer last looked. */
    private int firedBits;
    /** Whether an asynchronous WAIT is outstanding. */
    private boolean waiting;
    /** Why the instance can no longer serve this scheduler (closed, or a device failure). */
    private RuntimeException gone;
    /** The clocks read by one poll pass. */
    private final long[] pollNows = new long[AlarmType.COUNT];

    // Armer-confined (single-flight through armWip).
    private final AtomicInteger armWip = new AtomicInteger();
    private final long[] armedAt = new long[AlarmType.COUNT];
    private int armedMask;

    private final BiConsumer<AlarmEvents, Throwable> onEvents = this::onEvents;

    private TaskEngine(final ValarmInstance instance, final AlarmHandle handle, final Executor executor,
            final int threads, final ThreadFactory factory, final int maxQueued) {
        this.instance = instance;
        this.handle = handle;
        this.executor = executor;
        this.maxQueued = maxQueued;
        this.label = "instance " + instance.name() + " (minor " + instance.minor() + ")";
        this.workers = executor == null ? new Workers(lock, threads, factory, label) : null;
    }

    /**
     * Opens the scheduler's owner handle on {@code instance} and starts.
     *
     * @param instance the instance, not null
     * @param executor where tasks run, or null for {@code threads} own threads
     * @param threads the own pool's size when {@code executor} is null
     * @param factory makes the own threads
     * @param maxQueued the most tasks waiting in the heaps
     * @return the running engine
     * @throws AlarmBusyException (EBUSY) if another handle owns the instance
     * @throws ValarmClosedException (ENODEV) if the instance or its device is closed
     */
    public static TaskEngine start(final ValarmInstance instance, final Executor executor, final int threads,
            final ThreadFactory factory, final int maxQueued) {
        Objects.requireNonNull(instance, "instance");
        // Alarms armed without an owner (a restored snapshot, an unshare that copied alarms) cannot become
        // tasks: the clean start below clears them, and says so.
        final InstanceSnapshot before = instance.snapshot();
        final AlarmHandle h = instance.open(OpenMode.READ_WRITE);
        try {
            // CLEAR claims ownership (EBUSY if another handle has it) and starts from a clean driver state.
            for (final AlarmType t : TYPES) {
                h.clear(t);
            }
            if (!before.armedTypes().isEmpty() || before.pendingEvents().typeMask() != 0) {
                LOG.warn("scheduler on instance {} (minor {}) cleared the alarms armed before it took the instance over:"
                        + " armed {}, fired and uncollected {}", instance.name(), instance.minor(), before.armedTypes(),
                        before.pendingEvents().firedTypes());
            }
        } catch (final AlarmBusyException e) {
            h.close();
            final AlarmBusyException busy = new AlarmBusyException("a scheduler needs to own instance " + instance.name()
                    + " (minor " + instance.minor() + "), but another handle owns it; close that handle first");
            busy.initCause(e);
            throw busy;
        } catch (final RuntimeException e) {
            h.close();
            throw e;
        }
        final TaskEngine engine;
        try {
            engine = new TaskEngine(instance, h, executor, threads, factory, maxQueued);
        } catch (final RuntimeException e) {
            h.close();
            throw e;
        }
        if (engine.workers != null) {
            try {
                engine.workers.start();
            } catch (final RuntimeException | Error e) {
                engine.workers.stop(); // those that did start exit at once: nothing is queued
                h.close();
                throw e;
            }
        }
        engine.requestArm();
        LOG.debug("scheduler started on {} ({})", engine.label, executor == null ? threads + " own threads" : executor);
        return engine;
    }

    /** The instance. */
    public ValarmInstance instance() {
        return instance;
    }

    // ------------------------------------------------------------------ clocks

    /**
     * The instance's time on a type's clock.
     *
     * @throws ValarmClosedException if the instance is closed
     */
    long now(final int type) {
        final long n = instance.now(TYPES[type]).toNanos();
        lastNow[type] = n;
        return n;
    }

    /** The instance's time on a type's clock, or the last one read if the instance is gone. */
    long lastNow(final int type) {
        try {
            return now(type);
        } catch (final ValarmClosedException e) {
            return lastNow[type];
        }
    }

    // ------------------------------------------------------------------ scheduling

    /**
     * Schedules a task {@code delayNanos} from now on a type's clock.
     *
     * @param action a Runnable or Callable
     * @param result the result of a Runnable
     * @param type the type's number
     * @param delayNanos the delay; zero or negative runs at once
     * @param period 0, &gt; 0 fixed rate, &lt; 0 fixed delay
     * @param detached whether the caller gets no future
     * @return the task
     * @throws RejectedExecutionException if shut down, the instance is gone or the task limit is reached
     */
    public <V> ScheduledTask<V> scheduleAfter(final Object action, final V result, final int type, final long delayNanos,
            final long period, final boolean detached) {
        final long now = nowForSubmit(type);
        final long time = delayNanos <= 0 ? now : Sat.add(now, delayNanos);
        return enqueue(new ScheduledTask<>(this, action, result, type, time, period, false, 0L, detached), now);
    }

    /**
     * Schedules a task at an absolute time on a type's clock (a wall-clock grid task when {@code gridPeriod}
     * is positive: its runs are at {@code time + n * gridPeriod}).
     *
     * @param action a Runnable or Callable
     * @param type the type's number
     * @param time the time on the type's clock as the instance sees it
     * @param gridPeriod 0 for a one-shot task
     * @return the task
     * @throws RejectedExecutionException if shut down, the instance is gone or the task limit is reached
     */
    public <V> ScheduledTask<V> scheduleAt(final Object action, final int type, final long time, final long gridPeriod) {
        final long now = nowForSubmit(type);
        final boolean grid = gridPeriod > 0;
        final long first = grid ? gridAtOrAfter(time, gridPeriod, now) : time;
        return enqueue(new ScheduledTask<V>(this, action, null, type, first, gridPeriod, grid, time, false), now);
    }

    private long nowForSubmit(final int type) {
        try {
            return now(type);
        } catch (final ValarmClosedException e) {
            throw new RejectedExecutionException("cannot schedule on " + label + ": " + e.getMessage(), e);
        }
    }

    private <V> ScheduledTask<V> enqueue(final ScheduledTask<V> task, final long now) {
        boolean arm = false;
        boolean dispatch = false;
        lock.lock();
        try {
            if (runState != RUNNING || gone != null) {
                throw rejection(task);
            }
            final boolean due = task.time <= now;
            if (!due && queues.size() >= maxQueued) {
                throw new RejectedExecutionException("task limit reached on " + label + ": " + maxQueued
                        + " tasks queued (InstanceScheduler.Builder.maxQueuedTasks); rejected " + task);
            }
            task.seq = seq++;
            if (task.grid) {
                queues.linkGrid(task);
            }
            if (due) {
                active++;
                task.markDispatched();
                if (workers != null) {
                    task.next = null;
                    workers.offer(task);
                } else {
                    dispatch = true;
                }
            } else {
                arm = queues.add(task);
            }
        } finally {
            lock.unlock();
        }
        if (dispatch) {
            execute(task);
        }
        if (arm) {
            requestArm();
        }
        return task;
    }

    private RejectedExecutionException rejection(final ScheduledTask<?> task) {
        if (gone != null) {
            return new RejectedExecutionException("scheduler on " + label + " can no longer run tasks ("
                    + gone.getMessage() + "); rejected " + task, gone);
        }
        return new RejectedExecutionException("scheduler on " + label + " is shut down; rejected " + task);
    }

    /** Hands one task to the caller-supplied executor (outside the lock). */
    private void execute(final ScheduledTask<?> task) {
        try {
            executor.execute(task);
        } catch (final RuntimeException e) {
            // Refused: the task can never run at its time. Report it through its future, never drop it.
            if (task.fail(e)) {
                LOG.warn("scheduler on {}: the executor refused {}: {}", label, task, e.toString());
            }
            if (task.undispatch()) {
                afterRun(task, false);
            }
        }
    }

    // ------------------------------------------------------------------ task callbacks

    /**
     * A dispatched task finished a run.
     *
     * @param again whether a periodic run completed normally and the task is still live
     */
    void afterRun(final ScheduledTask<?> task, final boolean again) {
        boolean arm = false;
        boolean cancel = false;
        boolean terminate;
        lock.lock();
        try {
            active--;
            if (again) {
                if (runState == RUNNING && gone == null) {
                    arm = requeue(task);
                } else {
                    cancel = true; // the JDK's default: periodic tasks do not outlive shutdown
                }
            }
            if (!again || cancel) {
                queues.unlinkGrid(task);
            }
            terminate = tryTerminate();
        } finally {
            lock.unlock();
        }
        if (cancel) {
            task.cancelQuietly();
        }
        if (arm) {
            requestArm();
        }
        if (terminate) {
            finishTermination();
        }
    }

    /** Puts a periodic task back for its next run. Lock held. @return whether the armer must run */
    private boolean requeue(final ScheduledTask<?> task) {
        final long now;
        try {
            now = now(task.type);
        } catch (final ValarmClosedException e) {
            // The instance went away during the run: the next event fails everything queued; this one too.
            task.fail(e);
            queues.unlinkGrid(task);
            return false;
        }
        final long period = task.period;
        if (task.grid) {
            task.time = gridAfter(task.origin, period, now);
        } else if (period > 0) {
            task.time = Sat.add(task.time, period);
        } else {
            task.time = Sat.add(now, -period);
        }
        if (task.time <= now && workers != null) {
            // Behind schedule (fixed rate): straight back to the own threads, no driver round trip. With a
            // caller's executor the task goes through its heap instead, so a direct executor never recurses.
            active++;
            task.markDispatched();
            task.next = null;
            workers.offer(task);
            return false;
        }
        return queues.add(task);
    }

    /** A task's future was cancelled: remove-on-cancel. */
    void cancelled(final ScheduledTask<?> task) {
        boolean arm = false;
        boolean terminate;
        lock.lock();
        try {
            if (task.index != ScheduledTask.NO_INDEX) {
                arm = queues.remove(task);
            }
            queues.unlinkGrid(task);
            terminate = tryTerminate();
        } finally {
            lock.unlock();
        }
        if (arm) {
            requestArm();
        }
        if (terminate) {
            finishTermination();
        }
    }

    /** A run threw. The future holds the exception; say so where nobody may look at it. */
    void taskFailed(final ScheduledTask<?> task, final Throwable ex) {
        if (task.isPeriodic()) {
            LOG.warn("scheduler on {}: periodic task stopped because a run threw (its future holds the exception): {}",
                    label, task, ex);
        } else if (task.detached) {
            LOG.warn("scheduler on {}: a task submitted with execute() threw: {}", label, task, ex);
        } else {
            LOG.debug("scheduler on {}: task threw (its future holds the exception): {}", label, task, ex);
        }
    }

    // ------------------------------------------------------------------ driver events

    private void onEvents(final AlarmEvents events, final Throwable error) {
        final boolean timeChanged;
        lock.lock();
        try {
            waiting = false;
            if (error == null) {
                firedBits |= events.typeMask();
            }
            timeChanged = error == null && events.timeChanged();
        } finally {
            lock.unlock();
        }
        if (error != null) {
            final Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            deviceFailed(cause instanceof RuntimeException ? (RuntimeException) cause
                    : new IllegalStateException("asynchronous WAIT failed on " + label, cause));
            return;
        }
        try {
            if (timeChanged) {
                realignGrid();
            }
            pollDue();
        } catch (final ValarmClosedException e) {
            deviceFailed(e);
            return;
        }
        requestArm();
    }

    /** Hands every due task to the executor, in order of time and submission per type. */
    private void pollDue() {
        boolean more = true;
        while (more) {
            ScheduledTask<?> batch = null;
            ScheduledTask<?> last = null;
            more = false;
            lock.lock();
            try {
                if (runState >= STOP || gone != null) {
                    return;
                }
                // Every clock first: a closed instance throws here, before any task has left its heap.
                final long[] nows = pollNows;
                for (int t = 0; t < AlarmType.COUNT; t++) {
                    if (!queues.isEmpty(t)) {
                        nows[t] = now(t);
                    }
                }
                int budget = POLL_BUDGET;
                for (int t = 0; t < AlarmType.COUNT && budget > 0; t++) {
                    if (queues.isEmpty(t)) {
                        continue;
                    }
                    final long now = nows[t];
                    if (queues.head(t) > now) {
                        continue;
                    }
                    final ScheduledTask<?> first = queues.pollDue(t, now, budget);
                    if (first == null) {
                        continue;
                    }
                    ScheduledTask<?> x = first;
                    while (true) {
                        x.markDispatched();
                        active++;
                        budget--;
                        if (x.next == null) {
                            break;
                        }
                        x = x.next;
                    }
                    if (last == null) {
                        batch = first;
                    } else {
                        last.next = first;
                    }
                    last = x;
                    if (!queues.isEmpty(t) && queues.head(t) <= now) {
                        more = true;
                    }
                }
                if (budget == 0) {
                    more = true;
                }
                if (batch != null && workers != null) {
                    workers.offer(batch);
                    batch = null;
                }
            } finally {
                lock.unlock();
            }
            ScheduledTask<?> x = batch;
            while (x != null) {
                final ScheduledTask<?> n = x.next;
                x.next = null;
                execute(x);
                x = n;
            }
        }
    }

    /**
     * After a time change: a wall-clock grid task whose next run is now more than a period away (the wall
     * clock went back) moves to the first grid point at or after the new time. A clock that went forward
     * needs nothing here: the tasks it passed are due and the poll runs them.
     */
    private void realignGrid() {
        lock.lock();
        try {
            if (runState >= STOP || gone != null) {
                return;
            }
            long rtc = Long.MIN_VALUE;
            boolean rtcRead = false;
            for (ScheduledTask<?> t = queues.gridHead(); t != null; t = t.gridNext) {
                if (t.index == ScheduledTask.NO_INDEX) {
                    continue; // running: its next time is computed from the clock when it finishes
                }
                if (!rtcRead) {
                    rtc = now(AlarmType.RTC.number()); // RTC and RTC_WAKEUP share the wall clock
                    rtcRead = true;
                }
                final long g = gridAtOrAfter(t.origin, t.period, rtc);
                if (g < t.time) {
                    queues.move(t, g);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ the armer

    /** Brings the driver alarms in line with the heads and keeps a WAIT outstanding. Any thread. */
    void requestArm() {
        if (armWip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            applyArm();
            missed = armWip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void applyArm() {
        int set = 0;
        int clear = 0;
        boolean await = false;
        lock.lock();
        try {
            if (runState == TERMINATED || gone != null) {
                return;
            }
            armedMask &= ~firedBits; // a fired driver alarm is no longer armed, whatever we set last
            firedBits = 0;
            for (int t = 0; t < AlarmType.COUNT; t++) {
                final int bit = 1 << t;
                if (queues.isEmpty(t)) {
                    if ((armedMask & bit) != 0) {
                        armedMask &= ~bit;
                        clear |= bit;
                    }
                } else {
                    final long head = queues.head(t);
                    if ((armedMask & bit) == 0 || armedAt[t] != head) {
                        armedAt[t] = head;
                        armedMask |= bit;
                        set |= bit;
                    }
                }
            }
            if (!waiting) {
                waiting = true;
                await = true;
            }
        } finally {
            lock.unlock();
        }
        try {
            for (int t = 0; t < AlarmType.COUNT; t++) {
                if ((set & (1 << t)) != 0) {
                    handle.set(TYPES[t], Timespec.ofNanos(armedAt[t]));
                } else if ((clear & (1 << t)) != 0) {
                    handle.clear(TYPES[t]);
                }
            }
            if (await) {
                handle.awaitAsync().whenComplete(onEvents);
            }
        } catch (final RuntimeException e) {
            lock.lock();
            try {
                armedMask = 0;
                if (await) {
                    waiting = false;
                }
            } finally {
                lock.unlock();
            }
            deviceFailed(e);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * The instance (or device) cannot serve this scheduler any more: every queued task fails with the
     * cause, nothing new is accepted, and the scheduler terminates once running tasks finish.
     */
    private void deviceFailed(final RuntimeException cause) {
        final ScheduledTask<?> dropped;
        final boolean terminate;
        lock.lock();
        try {
            if (runState == TERMINATED || gone != null) {
                return; // our own close of the handle after termination lands here: expected
            }
            gone = cause;
            if (runState < SHUTDOWN) {
                runState = SHUTDOWN;
            }
            dropped = queues.drainAll();
            queues.clearGrid();
            terminate = tryTerminate();
        } finally {
            lock.unlock();
        }
        int n = 0;
        for (ScheduledTask<?> t = dropped; t != null; ) {
            final ScheduledTask<?> next = t.next;
            t.next = null;
            if (t.fail(cause)) {
                n++;
            }
            t = next;
        }
        LOG.warn("scheduler on {} stops: {}; queued tasks completed exceptionally with it: {}", label, cause.getMessage(), n);
        if (terminate) {
            finishTermination();
        }
    }

    /** Whether the scheduler just terminated (the caller then calls {@link #finishTermination}). Lock held. */
    private boolean tryTerminate() {
        if (runState >= SHUTDOWN && runState != TERMINATED && queues.size() == 0 && active == 0) {
            runState = TERMINATED;
            return true;
        }
        return false;
    }

    private void finishTermination() {
        if (workers != null) {
            workers.stop();
        }
        try {
            handle.close(); // releases ownership and clears the instance's alarms
        } catch (final RuntimeException e) {
            LOG.warn("scheduler on {}: closing its handle failed: {}", label, e.toString());
        }
        terminated.countDown();
        LOG.debug("scheduler on {} terminated", label);
    }

    /** {@code ExecutorService.shutdown}: queued one-shot tasks still run; periodic ones are cancelled. */
    public void shutdown() {
        ScheduledTask<?> periodic = null;
        final boolean terminate;
        lock.lock();
        try {
            if (runState == RUNNING) {
                runState = SHUTDOWN;
                periodic = queues.drainPeriodic();
                for (ScheduledTask<?> t = periodic; t != null; t = t.next) {
                    queues.unlinkGrid(t);
                }
            }
            terminate = tryTerminate();
        } finally {
            lock.unlock();
        }
        for (ScheduledTask<?> t = periodic; t != null; ) {
            final ScheduledTask<?> next = t.next;
            t.next = null;
            t.cancelQuietly();
            t = next;
        }
        if (terminate) {
            finishTermination();
        } else {
            requestArm();
        }
    }

    /**
     * {@code ExecutorService.shutdownNow}: removes every task not yet started and returns them (not
     * cancelled, as the JDK does), interrupts the own threads.
     *
     * @return the tasks that never started (those handed to the own threads first, then the queued ones)
     */
    public List<Runnable> shutdownNow() {
        ScheduledTask<?> queued;
        ScheduledTask<?> ready = null;
        final boolean terminate;
        lock.lock();
        try {
            if (runState < STOP) {
                runState = STOP;
            }
            queued = queues.drainAll();
            queues.clearGrid();
            if (workers != null) {
                ready = workers.drain();
                for (ScheduledTask<?> t = ready; t != null; t = t.next) {
                    if (t.undispatch()) {
                        active--;
                    }
                }
                workers.interruptAll();
            }
            terminate = tryTerminate();
        } finally {
            lock.unlock();
        }
        final List<Runnable> list = new ArrayList<>();
        for (ScheduledTask<?> t : new ScheduledTask<?>[] {ready, queued}) {
            while (t != null) {
                final ScheduledTask<?> next = t.next;
                t.next = null;
                if (!t.isDone()) {
                    list.add(t);
                }
                t = next;
            }
        }
        if (terminate) {
            finishTermination();
        }
        return list;
    }

    /** Whether shutdown began. */
    public boolean isShutdown() {
        return runState >= SHUTDOWN;
    }

    /** Whether terminated. */
    public boolean isTerminated() {
        return runState == TERMINATED;
    }

    /**
     * Waits for termination.
     *
     * @return whether terminated in time
     * @throws InterruptedException if interrupted
     */
    public boolean awaitTermination(final long timeout, final TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    /** Tasks waiting in the heaps for their time. */
    public int queuedTasks() {
        lock.lock();
        try {
            return queues.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the calling thread belongs to this scheduler: one of its own threads, or a thread running one
     * of its tasks (waiting for termination there would wait for itself).
     */
    public boolean isSchedulerThread() {
        return ScheduledTask.runningFor(this) || (workers != null && workers.owns(Thread.currentThread()));
    }

    @Override
    public String toString() {
        return "TaskEngine[" + label + ", " + (runState == RUNNING ? "running" : runState == SHUTDOWN ? "shutting down"
                : runState == STOP ? "stopping" : "terminated") + ']';
    }

    // ------------------------------------------------------------------ grid arithmetic

    /** The first grid point {@code origin + k * period} (k &gt;= 0) strictly after {@code now}. */
    static long gridAfter(final long origin, final long period, final long now) {
        if (now < origin) {
            return origin;
        }
        return gridPoint(origin, period, Sat.sub(now, origin) / period + 1);
    }

    /** The first grid point {@code origin + k * period} (k &gt;= 0) at or after {@code now}. */
    static long gridAtOrAfter(final long origin, final long period, final long now) {
        if (now <= origin) {
            return origin;
        }
        final long since = Sat.sub(now, origin);
        return gridPoint(origin, period, since / period + (since % period != 0 ? 1 : 0));
    }

    private static long gridPoint(final long origin, final long period, final long k) {
        try {
            return Math.addExact(origin, Math.multiplyExact(k, period));
        } catch (final ArithmeticException e) {
            return Long.MAX_VALUE; // beyond the clock's range: never
        }
    }
}
