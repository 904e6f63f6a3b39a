package dev.valarm.impl.schedule.internal;

import dev.valarm.AlarmType;
import dev.valarm.impl.internal.Sat;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One scheduled task: the future handed to the caller and, at the same time, the entry of its type's
 * task heap (as the JDK's {@code ScheduledFutureTask} is both). Nothing else is allocated per task: the
 * heap keys are primitive, the ready queue and the batches are linked through {@link #next}, and a
 * periodic task is re-queued as the same object.
 *
 * <p>Thread-safety: thread-safe. The completion state is a {@code volatile int} moved by compare-and-set
 * (the states and transitions of {@link java.util.concurrent.FutureTask}); the queue fields are guarded
 * by the engine's lock; {@link #get()} blocks on this object's monitor, and completion notifies only when
 * a thread waits.
 *
 * @param <V> the result type
 */
public final class ScheduledTask<V> implements RunnableScheduledFuture<V> {
    /*
     * States, as FutureTask: NEW -> COMPLETING -> NORMAL | EXCEPTIONAL; NEW -> CANCELLED;
     * NEW -> INTERRUPTING -> INTERRUPTED. A periodic task stays NEW between its runs.
     */
    private static final int NEW = 0;
    private static final int COMPLETING = 1;
    private static final int NORMAL = 2;
    private static final int EXCEPTIONAL = 3;
    private static final int CANCELLED = 4;
    private static final int INTERRUPTING = 5;
    private static final int INTERRUPTED = 6;

    /** Not in a heap. */
    static final int NO_INDEX = -1;

    /** The engine whose task the current thread runs (set and reset per run; no allocation after the first). */
    private static final ThreadLocal<TaskEngine> RUNNING_FOR = new ThreadLocal<>();

    private static final VarHandle STATE;
    private static final VarHandle RUNNER;
    private static final VarHandle DISPATCHED;

    static {
        try {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(ScheduledTask.class, "state", int.class);
            RUNNER = l.findVarHandle(ScheduledTask.class, "runner", Thread.class);
            DISPATCHED = l.findVarHandle(ScheduledTask.class, "dispatched", boolean.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final TaskEngine engine;
    private final Object action; // Runnable or Callable
    /** The alarm type (0 to 4) whose clock {@link #time} is on (a byte: the task is the heap entry, keep it small). */
    final byte type;
    /** 0: one-shot; &gt; 0: fixed rate; &lt; 0: fixed delay of {@code -period} (the JDK's encoding). */
    final long period;
    /** Whether this is a wall-clock fixed-rate task on the grid {@code origin + n * period}. */
    final boolean grid;
    final long origin;
    /** Whether the caller got no future (execute): a failure is then logged, not only recorded. */
    final boolean detached;

    /** The due time on the type's clock as the instance sees it, in nanoseconds. Written under the lock. */
    volatile long time;
    /** Submission order, the tie-break between equal times. Guarded by the lock. */
    long seq;
    /** Index in the engine's registry while in a heap, else {@link #NO_INDEX}. Guarded by the lock. */
    int index = NO_INDEX;
    /** Heap handle while in a heap. Guarded by the lock. */
    long handle;
    /** Ready queue, batch and drain link. Guarded by the lock (or owned by the batch being dispatched). */
    ScheduledTask<?> next;
    /** Links of the engine's list of live wall-clock grid tasks. Guarded by the lock. */
    ScheduledTask<?> gridPrev;
    ScheduledTask<?> gridNext;
    boolean inGrid;

    @SuppressWarnings("unused") // through STATE
    private volatile int state;
    @SuppressWarnings("unused") // through RUNNER
    private volatile Thread runner;
    /** Set when the engine hands the task to its executor, cleared by the run that follows. */
    @SuppressWarnings("unused") // through DISPATCHED
    private volatile boolean dispatched;
    private volatile boolean waiting;
    /** A Runnable's result until the run, then the result or the exception; published by the write of state. */
    private Object outcome;

    ScheduledTask(final TaskEngine engine, final Object action, final V result, final int type, final long time,
            final long period, final boolean grid, final long origin, final boolean detached) {
        this.engine = engine;
        this.action = action;
        this.outcome = result;
        this.type = (byte) type;
        this.time = time;
        this.period = period;
        this.grid = grid;
        this.origin = origin;
        this.detached = detached;
    }

    // ------------------------------------------------------------------ Future

    @Override
    public boolean isPeriodic() {
        return period != 0;
    }

    @Override
    public boolean isCancelled() {
        return (int) STATE.getVolatile(this) >= CANCELLED;
    }

    @Override
    public boolean isDone() {
        return (int) STATE.getVolatile(this) != NEW;
    }

    /**
     * Cancels the task. A queued task leaves its heap at once (the scheduler's remove-on-cancel policy); a
     * running one finishes its current run (interrupted if {@code mayInterruptIfRunning}) and is never run
     * again.
     */
    @Override
    public boolean cancel(final boolean mayInterruptIfRunning) {
        if (!STATE.compareAndSet(this, NEW, mayInterruptIfRunning ? INTERRUPTING : CANCELLED)) {
            return false;
        }
        if (mayInterruptIfRunning) {
            try {
                final Thread t = runner;
                if (t != null) {
                    t.interrupt();
                }
            } finally {
                STATE.setRelease(this, INTERRUPTED);
            }
        }
        finishCompletion();
        engine.cancelled(this);
        return true;
    }

    @Override
    public V get() throws InterruptedException, ExecutionException {
        int s = state;
        if (s <= COMPLETING) {
            s = awaitDone(false, 0L);
        }
        return report(s);
    }

    @Override
    public V get(final long timeout, final TimeUnit unit) throws InterruptedException, ExecutionException,
            TimeoutException {
        final long nanos = unit.toNanos(timeout);
        int s = state;
        if (s <= COMPLETING && (s = awaitDone(true, nanos)) <= COMPLETING) {
            throw new TimeoutException("task not done within " + Duration.ofNanos(nanos) + ": " + this);
        }
        return report(s);
    }

    private int awaitDone(final boolean timed, final long nanos) throws InterruptedException {
        final long deadline = timed ? System.nanoTime() + nanos : 0L;
        synchronized (this) {
            waiting = true;
            int s;
            while ((s = state) <= COMPLETING) {
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                if (!timed) {
                    wait();
                } else {
                    final long left = deadline - System.nanoTime();
                    if (left <= 0L) {
                        return s;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            }
            return s;
        }
    }

    @SuppressWarnings("unchecked")
    private V report(final int s) throws ExecutionException {
        final Object x = outcome;
        if (s == NORMAL) {
            return (V) x;
        }
        if (s >= CANCELLED) {
            throw new CancellationException("task was cancelled: " + this);
        }
        throw new ExecutionException((Throwable) x);
    }

    private void finishCompletion() {
        if (waiting) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    private void set(final V v) {
        if (STATE.compareAndSet(this, NEW, COMPLETING)) {
            outcome = v;
            STATE.setRelease(this, NORMAL);
            finishCompletion();
        }
    }

    /**
     * Completes the future exceptionally, if it is not done yet (a task that threw, or one that can never
     * run: its executor refused it or its instance closed).
     *
     * @param failure the exception {@link #get()} reports as the cause
     * @return true if this call completed the future
     */
    boolean fail(final Throwable failure) {
        if (STATE.compareAndSet(this, NEW, COMPLETING)) {
            outcome = failure;
            STATE.setRelease(this, EXCEPTIONAL);
            finishCompletion();
            return true;
        }
        return false;
    }

    /** Cancels without telling the engine (the engine already removed the task). */
    void cancelQuietly() {
        if (STATE.compareAndSet(this, NEW, CANCELLED)) {
            finishCompletion();
        }
    }

    // ------------------------------------------------------------------ Delayed

    @Override
    public long getDelay(final TimeUnit unit) {
        return unit.convert(Sat.sub(time, engine.lastNow(type)), TimeUnit.NANOSECONDS);
    }

    /**
     * Orders by due time, then submission, within one clock; across clocks (or against foreign
     * {@link Delayed}s) by the remaining delay.
     */
    @Override
    public int compareTo(final Delayed other) {
        if (other == this) {
            return 0;
        }
        if (other instanceof ScheduledTask && ((ScheduledTask<?>) other).type == type
                && ((ScheduledTask<?>) other).engine == engine) {
            final ScheduledTask<?> o = (ScheduledTask<?>) other;
            final int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
        return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    // ------------------------------------------------------------------ running

    /** Marks the task as handed to the executor by the engine. */
    void markDispatched() {
        DISPATCHED.setRelease(this, true);
    }

    /**
     * Takes back a dispatch that will not run (the executor refused it, or shutdownNow drained it).
     *
     * @return true if the task was dispatched and had not started
     */
    boolean undispatch() {
        return DISPATCHED.compareAndSet(this, true, false);
    }

    /**
     * Runs the task once: a one-shot task completes its future; a periodic one runs and, unless it threw
     * or was cancelled, is queued again for its next time. A run the engine did not dispatch (a task that
     * {@code shutdownNow} returned, run by the caller) runs the action but is not queued again.
     */
    @Override
    public void run() {
        final boolean fromEngine = DISPATCHED.compareAndSet(this, true, false);
        final TaskEngine outer = RUNNING_FOR.get();
        RUNNING_FOR.set(engine);
        boolean again = false;
        try {
            again = runOnce();
        } finally {
            RUNNING_FOR.set(outer);
            if (fromEngine) {
                engine.afterRun(this, again);
            }
        }
    }

    /** Whether the calling thread is running a task of {@code engine}. */
    static boolean runningFor(final TaskEngine engine) {
        return RUNNING_FOR.get() == engine;
    }

    /** @return true if a periodic run completed normally and the task is still live */
    private boolean runOnce() {
        if (state != NEW || !RUNNER.compareAndSet(this, null, Thread.currentThread())) {
            return false;
        }
        try {
            if (state != NEW) {
                return false;
            }
            final V v;
            try {
                v = call(); // reads outcome (a Runnable's result) before anything completes the task
            } catch (final Throwable ex) {
                if (fail(ex)) {
                    engine.taskFailed(this, ex);
                }
                return false;
            }
            if (period == 0) {
                set(v);
                return false;
            }
            return state == NEW;
        } finally {
            runner = null;
            // A cancel(true) may still be interrupting this thread: let it finish before going on, so the
            // interrupt cannot leak into whatever this thread runs next.
            int s = state;
            while (s == INTERRUPTING) {
                Thread.onSpinWait();
                s = state;
            }
            if (s == INTERRUPTED) {
                Thread.interrupted();
            }
        }
    }

    @SuppressWarnings("unchecked")
    private V call() throws Exception {
        if (action instanceof Runnable) {
            ((Runnable) action).run();
            return (V) outcome;
        }
        return ((Callable<V>) action).call();
    }

    // ------------------------------------------------------------------ misc

    @Override
    public String toString() {
        final int s = state;
        final String st = s == NEW ? (isPeriodic() ? "scheduled, periodic" : "scheduled")
                : s == NORMAL ? "completed normally"
                : s == EXCEPTIONAL ? "completed exceptionally: " + outcome
                : s == COMPLETING ? "completing" : "cancelled";
        return "ScheduledTask[" + st + ", " + AlarmType.of(type) + " at " + TimeFormat.instant(type, time)
                + (period > 0 ? ", every " + TimeFormat.duration(period) + (grid ? " on the wall clock" : "")
                        : period < 0 ? ", " + TimeFormat.duration(-period) + " after each run" : "")
                + ", " + action + ']';
    }
}
