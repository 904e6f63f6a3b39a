package dev.valarm.impl.schedule;

import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.schedule.internal.TaskEngine;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link ScheduledExecutorService} whose delays and times run on one {@link ValarmInstance}'s clocks:
 * many tasks multiplexed onto the instance's five driver alarms. See the
 * {@linkplain dev.valarm.impl.schedule package documentation} for the clocks, the behaviour on clock
 * changes and suspend, and how it differs from {@link ScheduledThreadPoolExecutor}.
 *
 * <pre>{@code
 * try (InstanceScheduler scheduler = InstanceScheduler.open(tenant)) {
 *     scheduler.schedule(() -> poll(), 5, TimeUnit.SECONDS);                       // elapsed time
 *     scheduler.scheduleAt(() -> report(), Instant.parse("2031-01-01T00:00:00Z"),
 *             AlarmType.RTC_WAKEUP);                                                // the tenant's wall clock
 * }
 * }</pre>
 *
 * <p><b>Ownership.</b> The scheduler opens a {@link dev.valarm.OpenMode#READ_WRITE READ_WRITE} handle on
 * the instance and owns it, as the driver's one owner per instance: creating a scheduler on an instance
 * that another handle owns fails with {@link dev.valarm.AlarmBusyException} (EBUSY), and while the
 * scheduler runs, another handle's SET, CLEAR or WAIT gets EBUSY. GET_TIME and SET_RTC through other
 * handles keep working (SET_RTC moves the scheduler's wall-clock tasks, as documented). Driver alarms
 * armed on the instance before the scheduler takes it over (a restored snapshot's, or those an
 * {@code unshare} copied) cannot become tasks: they are cleared, with a WARN naming them. The handle is
 * closed when the scheduler terminates; the instance itself stays the caller's.
 *
 * <p><b>Execution.</b> Tasks run on the executor given to the {@link Builder} (the scheduler neither
 * shuts it down nor interrupts its threads), or on a small pool the scheduler owns (one thread by
 * default, see {@link Builder#threads(int)}). Never on the device's dispatcher thread or under its lock.
 * A periodic task never runs concurrently with itself.
 *
 * <p><b>Failures.</b> As {@link ScheduledThreadPoolExecutor}: a task that throws completes its future
 * exceptionally, and a periodic task that throws is not run again. Besides, since nobody may ever look at
 * those futures, a periodic task's failure and the failure of a task given to {@link #execute} are
 * logged (WARN, slf4j logger {@code dev.valarm.impl.schedule.InstanceScheduler}). If the instance or its
 * device is closed under the scheduler, every queued task completes exceptionally with the
 * {@link dev.valarm.ValarmClosedException}, a WARN is logged, and the scheduler shuts down.
 *
 * <p>Thread-safety: every method is safe to call from any thread, tasks included.
 */
public final class InstanceScheduler extends AbstractExecutorService implements ScheduledExecutorService, AutoCloseable {
    private final TaskEngine engine;
    private final AlarmType delayType;

    private InstanceScheduler(final TaskEngine engine, final AlarmType delayType) {
        this.engine = engine;
        this.delayType = delayType;
    }

    /**
     * A scheduler on {@code instance} with the defaults: delays on the boot-time clock without waking the
     * machine ({@link AlarmType#ELAPSED_REALTIME}), one own thread.
     *
     * @param instance the instance, not null; it must have no owner handle
     * @return a running scheduler that owns the instance
     * @throws dev.valarm.AlarmBusyException (EBUSY) if another handle owns the instance
     * @throws dev.valarm.ValarmClosedException (ENODEV) if the instance or its device is closed
     */
    public static InstanceScheduler open(final ValarmInstance instance) {
        return builder(instance).build();
    }

    /**
     * A builder for a scheduler on {@code instance}.
     *
     * @param instance the instance, not null
     * @return a builder with the defaults
     */
    public static Builder builder(final ValarmInstance instance) {
        return new Builder(Objects.requireNonNull(instance, "instance"));
    }

    /**
     * The instance whose clocks and alarms this scheduler uses.
     *
     * @return the instance
     */
    public ValarmInstance instance() {
        return engine.instance();
    }

    /**
     * The alarm type of the {@link ScheduledExecutorService} delay methods (set by
     * {@link Builder#delayType(AlarmType)}).
     *
     * @return {@link AlarmType#ELAPSED_REALTIME}, {@link AlarmType#ELAPSED_REALTIME_WAKEUP} or
     *         {@link AlarmType#SYSTEMTIME}
     */
    public AlarmType delayType() {
        return delayType;
    }

    /**
     * The number of tasks waiting for their time (not those due and waiting for a thread, nor running ones).
     * Cancelled tasks leave at once, so they are never counted.
     *
     * @return the count now
     */
    public int queuedTasks() {
        return engine.queuedTasks();
    }

    // ------------------------------------------------------------------ delays (elapsed clocks)

    /**
     * Runs {@code command} once after {@code delay} on the {@linkplain #delayType() delay clock}.
     *
     * @throws RejectedExecutionException if shut down, the instance is closed or the task limit is reached
     * @throws NullPointerException if {@code command} or {@code unit} is null
     */
    @Override
    public ScheduledFuture<?> schedule(final Runnable command, final long delay, final TimeUnit unit) {
        Objects.requireNonNull(command, "command");
        return engine.scheduleAfter(command, null, delayType.number(), unit.toNanos(delay), 0L, false);
    }

    /**
     * Runs {@code callable} once after {@code delay} on the {@linkplain #delayType() delay clock}.
     *
     * @throws RejectedExecutionException if shut down, the instance is closed or the task limit is reached
     * @throws NullPointerException if {@code callable} or {@code unit} is null
     */
    @Override
    public <V> ScheduledFuture<V> schedule(final Callable<V> callable, final long delay, final TimeUnit unit) {
        Objects.requireNonNull(callable, "callable");
        return engine.scheduleAfter(callable, null, delayType.number(), unit.toNanos(delay), 0L, false);
    }

    /**
     * Runs {@code command} at {@code initialDelay}, {@code initialDelay + period}, ... on the
     * {@linkplain #delayType() delay clock}, as {@link ScheduledThreadPoolExecutor} does: a late run does
     * not move the later ones, and runs that fell behind follow each other at once until the task is back
     * on its schedule.
     *
     * @throws RejectedExecutionException if shut down, the instance is closed or the task limit is reached
     * @throws IllegalArgumentException if {@code period} is not positive
     * @throws NullPointerException if {@code command} or {@code unit} is null
     */
    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(final Runnable command, final long initialDelay, final long period,
            final TimeUnit unit) {
        return fixedRate(command, unit.toNanos(initialDelay), unit.toNanos(period), delayType, period + " " + unit);
    }

    /**
     * Runs {@code command} after {@code initialDelay}, then {@code delay} after the end of each run, on the
     * {@linkplain #delayType() delay clock}.
     *
     * @throws RejectedExecutionException if shut down, the instance is closed or the task limit is reached
     * @throws IllegalArgumentException if {@code delay} is not positive
     * @throws NullPointerException if {@code command} or {@code unit} is null
     */
    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(final Runnable command, final long initialDelay, final long delay,
            final TimeUnit unit) {
        return fixedDelay(command, unit.toNanos(initialDelay), unit.toNanos(delay), delayType, delay + " " + unit);
    }

    /**
     * Runs {@code command} once after {@code delay} on the clock of an elapsed-time alarm type.
     *
     * @param command the task, not null
     * @param delay not null; zero or negative runs at once
     * @param type {@link AlarmType#ELAPSED_REALTIME_WAKEUP} (boot time, wakes the machine),
     *        {@link AlarmType#ELAPSED_REALTIME} (boot time) or {@link AlarmType#SYSTEMTIME} (monotonic,
     *        stops during suspend)
     * @return the task's future
     * @throws IllegalArgumentException if {@code type} is a wall-clock type (use {@link #scheduleAt})
     * @throws RejectedExecutionException if shut down, the instance is closed or the task limit is reached
     */
    public ScheduledFuture<?> schedule(final Runnable command, final Duration delay, final AlarmType type) {
        Objects.requireNonNull(command, "command");
        return engine.scheduleAfter(command, null, elapsedType(type), nanos(delay, "delay"), 0L, false);
    }

    /**
     * Runs {@code callable} once after {@code delay} on the clock of an elapsed-time alarm type.
     *
     * @param <V> the result type
     * @param callable the task, not null
     * @param delay not null; zero or negative runs at once
     * @param type {@link AlarmType#ELAPSED_REALTIME_WAKEUP}, {@link AlarmType#ELAPSED_REALTIME} or
     *        {@link AlarmType#SYSTEMTIME}
     * @return the task's future
     * @throws IllegalArgumentException if {@code type} is a wall-clock type (use {@link #scheduleAt})
     * @throws RejectedExecutionException if shut down, the instance is closed or the task limit is reached
     */
    public <V> ScheduledFuture<V> schedule(final Callable<V> callable, final Duration delay, final AlarmType type) {
        Objects.requireNonNull(callable, "callable");
        return engine.scheduleAfter(callable, null, elapsedType(type), nanos(delay, "delay"), 0L, false);
    }

    /**
     * {@link #scheduleAtFixedRate(Runnable, long, long, TimeUnit)} on the clock of an elapsed-time type.
     *
     * @param command the task, not null
     * @param initialDelay not null; zero or negative starts at once
     * @param period not null, positive
     * @param type {@link AlarmType#ELAPSED_REALTIME_WAKEUP}, {@link AlarmType#ELAPSED_REALTIME} or
     *        {@link AlarmType#SYSTEMTIME}
     * @return the task's future, done only when cancelled or a run threw
     * @throws IllegalArgumentException if {@code period} is not positive or {@code type} is a wall-clock type
     * @throws RejectedExecutionException if shut down, the instance is closed or the task limit is reached
     */
    public ScheduledFuture<?> scheduleAtFixedRate(final Runnable command, final Duration initialDelay,
            final Duration period, final AlarmType type) {
        Objects.requireNonNull(period, "period");
        return fixedRate(command, nanos(initialDelay, "initialDelay"), nanos(period, "period"), type, period.toString());
    }

    /**
     * {@link #scheduleWithFixedDelay(Runnable, long, long, TimeUnit)} on the clock of an elapsed-time type.
     *
     * @param command the task, not null
     * @param initialDelay not null; zero or negative starts at once
     * @param delay not null, positive: from the end of one run to the start of the next
     * @param type {@link AlarmType#ELAPSED_REALTIME_WAKEUP}, {@link AlarmType#ELAPSED_REALTIME} or
     *        {@link AlarmType#SYSTEMTIME}
     * @return the task's future, done only when cancelled or a run threw
     * @throws IllegalArgumentException if {@code delay} is not positive or {@code type} is a wall-clock type
     * @throws RejectedExecutionException if shut down, the instance is closed or the task limit is reached
     */
    public ScheduledFuture<?> scheduleWithFixedDelay(final Runnable command, final Duration initialDelay,
            final Duration delay, final AlarmType type) {
        Objects.requireNonNull(delay, "delay");
        return fixedDelay(command, nanos(initialDelay, "initialDelay"), nanos(delay, "delay"), type, delay.toString());
    }

    private ScheduledFuture<?> fixedRate(final Runnable command, final long initialDelay, final long period,
            final AlarmType type, final String shown) {
        Objects.requireNonNull(command, "command");
        if (period <= 0) {
            throw new IllegalArgumentException("period must be positive: " + shown);
        }
        return engine.scheduleAfter(command, null, elapsedType(type), initialDelay, period, false);
    }

    private ScheduledFuture<?> fixedDelay(final Runnable command, final long initialDelay, final long delay,
            final AlarmType type, final String shown) {
        Objects.requireNonNull(command, "command");
        if (delay <= 0) {
            throw new IllegalArgumentException("delay must be positive: " + shown);
        }
        return engine.scheduleAfter(command, null, elapsedType(type), initialDelay, -delay, false);
    }

    // ------------------------------------------------------------------ the wall clock

    /**
     * Runs {@code command} once when the instance's wall clock reaches {@code time}. The task follows the
     * wall clock: a SET_RTC or host clock change that moves the clock past {@code time} runs it at once;
     * one that moves the clock back delays it.
     *
     * @param command the task, not null
     * @param time the instant on the instance's wall clock, not null; one in the past runs at once
     * @param type {@link AlarmType#RTC_WAKEUP} (wakes the machine) or {@link AlarmType#RTC}
     * @return the task's future
     * @throws IllegalArgumentException if {@code type} is not a wall-clock type
     * @throws RejectedExecutionException if shut down, the instance is closed or the task limit is reached
     */
    public ScheduledFuture<?> scheduleAt(final Runnable command, final Instant time, final AlarmType type) {
        Objects.requireNonNull(command, "command");
        return engine.scheduleAt(command, wallType(type), epochNanos(time, "time"), 0L);
    }

    /**
     * Runs {@code callable} once when the instance's wall clock reaches {@code time}, as
     * {@link #scheduleAt(Runnable, Instant, AlarmType)}.
     *
     * @param <V> the result type
     * @param callable the task, not null
     * @param time the instant on the instance's wall clock, not null; one in the past runs at once
     * @param type {@link AlarmType#RTC_WAKEUP} or {@link AlarmType#RTC}
     * @return the task's future
     * @throws IllegalArgumentException if {@code type} is not a wall-clock type
     * @throws RejectedExecutionException if shut down, the instance is closed or the task limit is reached
     */
    public <V> ScheduledFuture<V> scheduleAt(final Callable<V> callable, final Instant time, final AlarmType type) {
        Objects.requireNonNull(callable, "callable");
        return engine.scheduleAt(callable, wallType(type), epochNanos(time, "time"), 0L);
    }

    /**
     * Runs {@code command} on the wall-clock grid {@code first + n * period} (n = 0, 1, ...), like a
     * calendar entry ("every hour on the hour"). Unlike the elapsed-time fixed rate, missed grid points
     * are never caught up: each run is followed by the first grid point strictly after the wall clock's
     * time when the run ends, so a clock jumped forward over ten grid points, a suspend without wakeup,
     * or a run longer than the period cost one run, not ten. After a time change that moves the wall
     * clock back, the next run moves back to the first grid point at or after the new time. The first run
     * is at the first grid point at or after now.
     *
     * @param command the task, not null
     * @param first the grid's origin on the instance's wall clock, not null
     * @param period the grid's spacing, not null, positive
     * @param type {@link AlarmType#RTC_WAKEUP} or {@link AlarmType#RTC}
     * @return the task's future, done only when cancelled or a run threw
     * @throws IllegalArgumentException if {@code period} is not positive or {@code type} is not a wall-clock type
     * @throws RejectedExecutionException if shut down, the instance is closed or the task limit is reached
     */
    public ScheduledFuture<?> scheduleAtFixedRate(final Runnable command, final Instant first, final Duration period,
            final AlarmType type) {
        Objects.requireNonNull(command, "command");
        final long p = nanos(period, "period");
        if (p <= 0) {
            throw new IllegalArgumentException("period must be positive: " + period);
        }
        return engine.scheduleAt(command, wallType(type), epochNanos(first, "first"), p);
    }

    // ------------------------------------------------------------------ ExecutorService

    /**
     * Runs {@code command} as soon as a thread is free (a zero delay, as {@link ScheduledThreadPoolExecutor}
     * does). A failure is logged, since no future is returned.
     *
     * @throws RejectedExecutionException if shut down or the instance is closed
     * @throws NullPointerException if {@code command} is null
     */
    @Override
    public void execute(final Runnable command) {
        Objects.requireNonNull(command, "command");
        engine.scheduleAfter(command, null, delayType.number(), 0L, 0L, true);
    }

    /**
     * Runs {@code task} as soon as a thread is free.
     *
     * @throws RejectedExecutionException if shut down or the instance is closed
     * @throws NullPointerException if {@code task} is null
     */
    @Override
    public Future<?> submit(final Runnable task) {
        return schedule(task, 0L, TimeUnit.NANOSECONDS);
    }

    /**
     * Runs {@code task} as soon as a thread is free; its future returns {@code result}.
     *
     * @throws RejectedExecutionException if shut down or the instance is closed
     * @throws NullPointerException if {@code task} is null
     */
    @Override
    public <T> Future<T> submit(final Runnable task, final T result) {
        Objects.requireNonNull(task, "task");
        return engine.scheduleAfter(task, result, delayType.number(), 0L, 0L, false);
    }

    /**
     * Runs {@code task} as soon as a thread is free.
     *
     * @throws RejectedExecutionException if shut down or the instance is closed
     * @throws NullPointerException if {@code task} is null
     */
    @Override
    public <T> Future<T> submit(final Callable<T> task) {
        return schedule(task, 0L, TimeUnit.NANOSECONDS);
    }

    /**
     * Starts an orderly shutdown, with {@link ScheduledThreadPoolExecutor}'s default policies: no new tasks;
     * queued one-shot tasks still run at their times; periodic tasks are cancelled (a running periodic task
     * finishes its run). The scheduler terminates, and closes its handle, when no task is queued or running.
     */
    @Override
    public void shutdown() {
        engine.shutdown();
    }

    /**
     * Stops: no new tasks, every task not yet started is removed and returned (not cancelled, as the JDK
     * does), and the own threads are interrupted (a caller-supplied executor's threads are not; cancel a
     * running task's future with {@code true} to interrupt it).
     *
     * @return the tasks that never started
     */
    @Override
    public List<Runnable> shutdownNow() {
        return engine.shutdownNow();
    }

    @Override
    public boolean isShutdown() {
        return engine.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return engine.isTerminated();
    }

    @Override
    public boolean awaitTermination(final long timeout, final TimeUnit unit) throws InterruptedException {
        return engine.awaitTermination(timeout, unit);
    }

    /**
     * Shuts down and waits until terminated, as JDK 19's {@code ExecutorService.close()}: if interrupted
     * while waiting, stops with {@link #shutdownNow()} and keeps the interrupt. Called from one of the
     * scheduler's tasks or threads, it only shuts down (waiting there would wait for itself).
     */
    @Override
    public void close() {
        shutdown();
        if (engine.isSchedulerThread()) {
            return;
        }
        boolean interrupted = false;
        while (!isTerminated()) {
            try {
                awaitTermination(1, TimeUnit.DAYS);
            } catch (final InterruptedException e) {
                if (!interrupted) {
                    shutdownNow();
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "InstanceScheduler[" + engine + ", delays on " + delayType + ']';
    }

    // ------------------------------------------------------------------ argument checks

    private static int elapsedType(final AlarmType type) {
        Objects.requireNonNull(type, "type");
        if (type.clockBase() == ClockBase.REALTIME) {
            throw new IllegalArgumentException("delays run on elapsed-time clocks, not on the wall clock: " + type
                    + " (use scheduleAt for a wall-clock time)");
        }
        return type.number();
    }

    private static int wallType(final AlarmType type) {
        Objects.requireNonNull(type, "type");
        if (type.clockBase() != ClockBase.REALTIME) {
            throw new IllegalArgumentException("a wall-clock time needs RTC or RTC_WAKEUP: " + type
                    + " (use schedule with a delay for elapsed time)");
        }
        return type.number();
    }

    private static long nanos(final Duration d, final String what) {
        Objects.requireNonNull(d, what);
        if (d.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L - 1) {
            return Long.MAX_VALUE;
        }
        if (d.getSeconds() <= Long.MIN_VALUE / 1_000_000_000L + 1) {
            return Long.MIN_VALUE;
        }
        return d.toNanos();
    }

    private static long epochNanos(final Instant t, final String what) {
        Objects.requireNonNull(t, what);
        final long s = t.getEpochSecond();
        if (s >= Long.MAX_VALUE / 1_000_000_000L) {
            return Long.MAX_VALUE; // beyond 2262: never on a 64-bit nanosecond clock
        }
        if (s < Long.MIN_VALUE / 1_000_000_000L) {
            return Long.MIN_VALUE;
        }
        return s * 1_000_000_000L + t.getNano();
    }

    /**
     * Builds an {@link InstanceScheduler}. Not thread-safe.
     */
    public static final class Builder {
        /** The most own threads. */
        public static final int MAX_THREADS = 256;

        private final ValarmInstance instance;
        private AlarmType delayType = AlarmType.ELAPSED_REALTIME;
        private Executor executor;
        private int threads = 1;
        private ThreadFactory threadFactory;
        private int maxQueuedTasks = 1 << 20;

        private Builder(final ValarmInstance instance) {
            this.instance = instance;
        }

        /**
         * The clock of the {@link ScheduledExecutorService} delay methods and whether they wake the machine
         * (default {@link AlarmType#ELAPSED_REALTIME}: boot time, which counts suspend, no wakeup).
         * {@link AlarmType#SYSTEMTIME} gives exactly {@link ScheduledThreadPoolExecutor}'s clock on Linux
         * ({@code System.nanoTime}, i.e. {@code CLOCK_MONOTONIC}, which stops during suspend).
         *
         * @param type {@link AlarmType#ELAPSED_REALTIME}, {@link AlarmType#ELAPSED_REALTIME_WAKEUP} or
         *        {@link AlarmType#SYSTEMTIME}
         * @return this builder
         * @throws IllegalArgumentException for a wall-clock type
         */
        public Builder delayType(final AlarmType type) {
            elapsedType(type);
            this.delayType = type;
            return this;
        }

        /**
         * Runs tasks on {@code executor} instead of own threads. The scheduler never shuts it down. It must
         * not run tasks under a lock the scheduler's callers hold. A direct executor ({@code Runnable::run})
         * runs due tasks on the device's callback executor, in the thread that processes the driver's
         * event (see the package documentation: that is what lets a control of a simulated machine that
         * waits for the device's callbacks cover the tasks); keep such tasks short, and prefer a device with
         * a real callback executor (the default common pool is one): on a device whose callback executor is
         * itself direct the tasks run on the device's delivery thread, never on its dispatcher or under its
         * lock, but one at a time with every other callback and listener call of the device.
         *
         * @param executor the executor, not null
         * @return this builder
         */
        public Builder executor(final Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * The number of own threads when no {@link #executor(Executor) executor} is given (default 1).
         *
         * @param count in [1, {@value #MAX_THREADS}]
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder threads(final int count) {
            if (count < 1 || count > MAX_THREADS) {
                throw new IllegalArgumentException("threads must be in [1, " + MAX_THREADS + "]: " + count);
            }
            this.threads = count;
            return this;
        }

        /**
         * Makes the own threads (default: non-daemon threads named
         * {@code valarm-scheduler-<instance name>-<n>}, as the JDK's default factory makes non-daemon ones).
         *
         * @param factory the factory, not null
         * @return this builder
         */
        public Builder threadFactory(final ThreadFactory factory) {
            this.threadFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * The most tasks waiting for their time (default 2^20); beyond it {@code schedule} throws
         * {@link RejectedExecutionException}. Due tasks (a zero delay) are not counted.
         *
         * @param max in [1, 2^30]
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxQueuedTasks(final int max) {
            if (max < 1 || max > (1 << 30)) {
                throw new IllegalArgumentException("maxQueuedTasks must be in [1, 1073741824]: " + max);
            }
            this.maxQueuedTasks = max;
            return this;
        }

        /**
         * Opens the scheduler's owner handle on the instance and starts the scheduler.
         *
         * @return a running scheduler
         * @throws dev.valarm.AlarmBusyException (EBUSY) if another handle owns the instance
         * @throws dev.valarm.ValarmClosedException (ENODEV) if the instance or its device is closed
         */
        public InstanceScheduler build() {
            final ThreadFactory factory = threadFactory != null ? threadFactory : defaultFactory(instance.name());
            return new InstanceScheduler(TaskEngine.start(instance, executor, threads, factory, maxQueuedTasks), delayType);
        }

        private static ThreadFactory defaultFactory(final String name) {
            final AtomicInteger n = new AtomicInteger();
            return r -> new Thread(r, "valarm-scheduler-" + name + "-" + n.incrementAndGet());
        }
    }
}
