package dev.valarm.impl.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link ScheduledExecutorService} contract as {@link java.util.concurrent.ScheduledThreadPoolExecutor}
 * keeps it, run against the JDK's executor and against {@link InstanceScheduler} (on the real clock and on a
 * simulated machine). One test body, one expected behaviour: where the JDK has a policy switch, the JDK side
 * is configured to the policy {@code InstanceScheduler} documents (remove-on-cancel), and the JDK's default
 * shutdown policies are the scheduler's.
 *
 * <p>Time: every test first lets time pass with {@link #pass} (a no-op on the real clock, where waiting
 * lets it pass; {@code advance} on a simulated machine), then waits for events with {@link #TIMEOUT}.
 * Assertions on real time are lower bounds (a scheduled executor never runs early) or generous.
 */
abstract class ScheduledExecutorContract {
    /** How long any event may take on a loaded machine. */
    static final long TIMEOUT = Await.TIMEOUT;
    static final long MS = 1_000_000L;

    private final List<ScheduledExecutorService> created = new ArrayList<>();

    /** A new executor under test with {@code threads} threads. */
    abstract ScheduledExecutorService create(int threads);

    /** Lets {@code d} pass on the executor's delay clock (real clock: nothing to do). */
    abstract void pass(Duration d);

    /** The executor's delay clock now, in nanoseconds. */
    abstract long now();

    /** The tasks queued for their time. */
    abstract int queued(ScheduledExecutorService e);

    final ScheduledExecutorService executor(final int threads) {
        final ScheduledExecutorService e = create(threads);
        created.add(e);
        return e;
    }

    /** Releases what {@link #create} needed beyond the executors (called after they terminated). */
    void release() {
    }

    @AfterEach
    void stopExecutors() throws InterruptedException {
        try {
            for (final ScheduledExecutorService e : created) {
                e.shutdownNow();
                assertTrue(e.awaitTermination(TIMEOUT, TimeUnit.SECONDS), "terminated: " + e);
            }
        } finally {
            release();
        }
    }

    static void await(final CountDownLatch latch, final String what) throws InterruptedException {
        assertTrue(latch.await(TIMEOUT, TimeUnit.SECONDS), "timed out waiting for " + what);
    }

    static void awaitTrue(final BooleanSupplier condition, final String what) {
        Await.awaitTrue(condition, what);
    }

    static <T> T get(final Future<T> f) throws Exception {
        return f.get(TIMEOUT, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ submit, execute, invoke

    @Test
    void submitRunsTasksAndReturnsTheirResults() throws Exception {
        final ScheduledExecutorService e = executor(1);
        assertEquals("callable", get(e.submit(() -> "callable")));
        assertEquals(7, get(e.submit(() -> { }, 7)));
        assertEquals(null, get(e.submit(() -> { })));
        final CountDownLatch ran = new CountDownLatch(1);
        e.execute(ran::countDown);
        await(ran, "execute");
    }

    @Test
    void invokeAllRunsEveryTaskAndInvokeAnyReturnsOneResult() throws Exception {
        final ScheduledExecutorService e = executor(2);
        final List<Callable<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            final int n = i;
            tasks.add(() -> n * n);
        }
        final List<Future<Integer>> done = e.invokeAll(tasks, TIMEOUT, TimeUnit.SECONDS);
        for (int i = 0; i < 5; i++) {
            assertTrue(done.get(i).isDone());
            assertEquals(i * i, done.get(i).get());
        }
        final int any = e.invokeAny(tasks, TIMEOUT, TimeUnit.SECONDS);
        assertTrue(any >= 0 && any <= 16 && Math.sqrt(any) % 1 == 0, "one of the results: " + any);
    }

    @Test
    void aNegativeDelayRunsAtOnce() throws Exception {
        final ScheduledExecutorService e = executor(1);
        assertEquals("now", get(e.schedule(() -> "now", -5, TimeUnit.SECONDS)));
    }

    // ------------------------------------------------------------------ delays and ordering

    @Test
    void aDelayedTaskRunsNoEarlierThanItsDelay() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final long start = now();
        final ScheduledFuture<Long> f = e.schedule(this::now, 200, TimeUnit.MILLISECONDS);
        final long delay = f.getDelay(TimeUnit.NANOSECONDS);
        assertTrue(delay <= 200 * MS, "getDelay counts down from the delay: " + delay);
        pass(Duration.ofMillis(200));
        final long ranAt = get(f);
        assertTrue(ranAt - start >= 200 * MS, "ran " + (ranAt - start) + " ns after scheduling");
        assertTrue(f.getDelay(TimeUnit.NANOSECONDS) <= 0);
    }

    @Test
    void tasksRunInTheOrderOfTheirTimes() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final List<Integer> order = new CopyOnWriteArrayList<>();
        final List<ScheduledFuture<?>> fs = new ArrayList<>();
        // Times from one base half a second ahead, not delays from each submission: on a real clock a loaded
        // machine can stall the submitting thread between two schedule calls, and the times must not move.
        final long base = now() + 500 * MS;
        for (final int ms : new int[] {300, 100, 200, 0, 250, 50}) {
            fs.add(e.schedule(() -> order.add(ms), base + ms * MS - now(), TimeUnit.NANOSECONDS));
        }
        pass(Duration.ofMillis(800));
        for (final ScheduledFuture<?> f : fs) {
            get(f);
        }
        assertEquals(List.of(0, 50, 100, 200, 250, 300), order);
    }

    @Test
    void tasksWithTheSameDelayRunInSubmissionOrder() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final List<Integer> order = new CopyOnWriteArrayList<>();
        final List<Integer> expected = new ArrayList<>();
        ScheduledFuture<?> last = null;
        for (int i = 0; i < 200; i++) {
            final int n = i;
            expected.add(n);
            last = e.schedule(() -> order.add(n), 100, TimeUnit.MILLISECONDS);
        }
        pass(Duration.ofMillis(100));
        get(last);
        assertEquals(expected, order);
    }

    // ------------------------------------------------------------------ cancellation

    @Test
    void aCancelledTaskNeverRunsAndLeavesTheQueueAtOnce() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final AtomicBoolean ran = new AtomicBoolean();
        final ScheduledFuture<?> f = e.schedule(() -> ran.set(true), 100, TimeUnit.MILLISECONDS);
        assertEquals(1, queued(e));
        assertTrue(f.cancel(false));
        assertTrue(f.isCancelled());
        assertTrue(f.isDone());
        assertEquals(0, queued(e), "remove-on-cancel");
        assertFalse(f.cancel(false), "a second cancel fails");
        assertThrows(CancellationException.class, f::get);
        final ScheduledFuture<?> marker = e.schedule(() -> { }, 200, TimeUnit.MILLISECONDS);
        pass(Duration.ofMillis(200));
        get(marker);
        assertFalse(ran.get(), "the cancelled task ran");
    }

    @Test
    void cancellingADoneTaskFails() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final Future<String> f = e.submit(() -> "x");
        assertEquals("x", get(f));
        assertFalse(f.cancel(true));
        assertFalse(f.isCancelled());
        assertTrue(f.isDone());
    }

    @Test
    void cancellingARunningPeriodicTaskLetsTheRunFinishAndStopsIt() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final AtomicInteger runs = new AtomicInteger();
        final CountDownLatch inSecondRun = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean finished = new AtomicBoolean();
        final ScheduledFuture<?> f = e.scheduleAtFixedRate(() -> {
            if (runs.incrementAndGet() == 2) {
                inSecondRun.countDown();
                try {
                    release.await();
                    finished.set(true);
                } catch (final InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        }, 0, 50, TimeUnit.MILLISECONDS);
        pass(Duration.ofMillis(50));
        await(inSecondRun, "the second run");
        assertTrue(f.cancel(false));
        assertTrue(f.isDone() && f.isCancelled());
        release.countDown();
        final ScheduledFuture<?> marker = e.schedule(() -> { }, 300, TimeUnit.MILLISECONDS);
        pass(Duration.ofMillis(300));
        get(marker);
        assertTrue(finished.get(), "the running run was not interrupted");
        assertEquals(2, runs.get(), "no run after the cancel");
        assertEquals(0, queued(e));
    }

    @Test
    void cancellingWithInterruptInterruptsTheRunningTask() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final CountDownLatch running = new CountDownLatch(1);
        final CountDownLatch interrupted = new CountDownLatch(1);
        final Future<?> f = e.submit(() -> {
            running.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (final InterruptedException ex) {
                interrupted.countDown();
            }
        });
        await(running, "the task to start");
        assertTrue(f.cancel(true));
        await(interrupted, "the interrupt");
        assertThrows(CancellationException.class, f::get);
        // The thread is usable afterwards, without a leftover interrupt.
        assertEquals(false, get(e.submit(() -> Thread.currentThread().isInterrupted())));
    }

    // ------------------------------------------------------------------ fixed rate, fixed delay

    /** What one run of a periodic task saw. */
    private static final class Run {
        final long scheduled;

        Run(final long scheduled) {
            this.scheduled = scheduled;
        }
    }

    /**
     * A periodic task whose first run is held up until a one-shot task 350 ms later releases it: the
     * executor's own timing makes the first run late. Returns the runs' scheduled times (now + getDelay
     * during the run).
     */
    private List<Run> heldUpFirstRun(final boolean fixedRate, final int runsWanted, final AtomicInteger maxConcurrent)
            throws Exception {
        final ScheduledExecutorService e = executor(3);
        final List<Run> runs = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch gate = new CountDownLatch(1);
        final CountDownLatch enough = new CountDownLatch(runsWanted);
        final AtomicReference<ScheduledFuture<?>> self = new AtomicReference<>();
        final AtomicInteger concurrent = new AtomicInteger();
        final CountDownLatch scheduled = new CountDownLatch(1);
        final Runnable body = () -> {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            try {
                scheduled.await();
                runs.add(new Run(now() + self.get().getDelay(TimeUnit.NANOSECONDS)));
                if (runs.size() == 1) {
                    gate.await();
                }
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
            } finally {
                concurrent.decrementAndGet();
                enough.countDown();
            }
        };
        final ScheduledFuture<?> f = fixedRate ? e.scheduleAtFixedRate(body, 0, 100, TimeUnit.MILLISECONDS)
                : e.scheduleWithFixedDelay(body, 0, 100, TimeUnit.MILLISECONDS);
        self.set(f);
        scheduled.countDown();
        e.schedule(gate::countDown, 350, TimeUnit.MILLISECONDS);
        pass(Duration.ofMillis(350));
        if (!fixedRate) {
            // The first run ends at 350 ms; the next is due 100 ms after that.
            awaitTrue(() -> gate.getCount() == 0 && queued(e) == 1, "the first run to end and the task to be queued again");
            pass(Duration.ofMillis(100));
        }
        await(enough, runsWanted + " runs");
        f.cancel(false);
        synchronized (runs) {
            return new ArrayList<>(runs);
        }
    }

    @Test
    void fixedRateKeepsItsScheduleAndCatchesUpAfterALateRun() throws Exception {
        final AtomicInteger maxConcurrent = new AtomicInteger();
        final List<Run> runs = heldUpFirstRun(true, 4, maxConcurrent);
        for (int i = 1; i < 4; i++) {
            final long gap = runs.get(i).scheduled - runs.get(i - 1).scheduled;
            assertTrue(Math.abs(gap - 100 * MS) <= 50 * MS, "run " + i + " is scheduled one period after the one "
                    + "before (the late first run does not move it): " + gap / MS + " ms");
        }
        assertEquals(1, maxConcurrent.get(), "a periodic task never runs concurrently with itself (3 threads)");
    }

    @Test
    void fixedDelayCountsItsDelayFromTheEndOfTheRunBefore() throws Exception {
        final AtomicInteger maxConcurrent = new AtomicInteger();
        final List<Run> runs = heldUpFirstRun(false, 2, maxConcurrent);
        final long gap = runs.get(1).scheduled - runs.get(0).scheduled;
        assertTrue(gap >= 400 * MS, "the second run is due 100 ms after the first ended (>= 350 ms): " + gap / MS + " ms");
        assertEquals(1, maxConcurrent.get());
    }

    @Test
    void periodicTasksRejectANonPositivePeriod() {
        final ScheduledExecutorService e = executor(1);
        assertThrows(IllegalArgumentException.class, () -> e.scheduleAtFixedRate(() -> { }, 0, 0, TimeUnit.SECONDS));
        assertThrows(IllegalArgumentException.class, () -> e.scheduleWithFixedDelay(() -> { }, 0, -1, TimeUnit.SECONDS));
        assertThrows(NullPointerException.class, () -> e.schedule((Runnable) null, 1, TimeUnit.SECONDS));
        assertThrows(NullPointerException.class, () -> e.schedule(() -> { }, 1, null));
    }

    // ------------------------------------------------------------------ exceptions

    @Test
    void aTaskThatThrowsCompletesItsFutureExceptionally() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final ScheduledFuture<Object> f = e.schedule(() -> {
            throw new IllegalStateException("boom");
        }, 10, TimeUnit.MILLISECONDS);
        pass(Duration.ofMillis(10));
        final ExecutionException x = assertThrows(ExecutionException.class, () -> get(f));
        assertInstanceOf(IllegalStateException.class, x.getCause());
        assertEquals("boom", x.getCause().getMessage());
        assertTrue(f.isDone());
        assertFalse(f.isCancelled());
        assertEquals("fine", get(e.submit(() -> "fine")), "the executor goes on");
    }

    @Test
    void aPeriodicTaskThatThrowsStops() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final AtomicInteger runs = new AtomicInteger();
        final ScheduledFuture<?> f = e.scheduleAtFixedRate(() -> {
            if (runs.incrementAndGet() == 3) {
                throw new IllegalArgumentException("third run");
            }
        }, 0, 50, TimeUnit.MILLISECONDS);
        pass(Duration.ofMillis(100));
        final ExecutionException x = assertThrows(ExecutionException.class, () -> get(f));
        assertEquals("third run", x.getCause().getMessage());
        final ScheduledFuture<?> marker = e.schedule(() -> { }, 200, TimeUnit.MILLISECONDS);
        pass(Duration.ofMillis(200));
        get(marker);
        assertEquals(3, runs.get(), "no run after the failure");
        assertEquals(0, queued(e));
    }

    // ------------------------------------------------------------------ shutdown

    @Test
    void shutdownRejectsNewTasks() {
        final ScheduledExecutorService e = executor(1);
        e.shutdown();
        assertTrue(e.isShutdown());
        assertThrows(RejectedExecutionException.class, () -> e.schedule(() -> { }, 1, TimeUnit.SECONDS));
        assertThrows(RejectedExecutionException.class, () -> e.execute(() -> { }));
        assertThrows(RejectedExecutionException.class, () -> e.submit(() -> 1));
        assertThrows(RejectedExecutionException.class, () -> e.scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.SECONDS));
    }

    @Test
    void shutdownLetsQueuedOneShotTasksRunAndCancelsPeriodicOnes() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final ScheduledFuture<String> delayed = e.schedule(() -> "ran", 200, TimeUnit.MILLISECONDS);
        final ScheduledFuture<?> periodic = e.scheduleAtFixedRate(() -> { }, 100, 50, TimeUnit.MILLISECONDS);
        e.shutdown();
        assertTrue(periodic.isCancelled(), "periodic tasks do not outlive shutdown (the JDK's default)");
        assertFalse(e.isTerminated(), "a delayed task is still queued");
        assertEquals(1, queued(e));
        pass(Duration.ofMillis(200));
        assertEquals("ran", get(delayed), "delayed tasks still run after shutdown (the JDK's default)");
        assertTrue(e.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
        assertTrue(e.isTerminated());
    }

    @Test
    void shutdownOfAnIdleExecutorTerminatesIt() throws Exception {
        final ScheduledExecutorService e = executor(2);
        get(e.submit(() -> 1));
        e.shutdown();
        assertTrue(e.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
        assertTrue(e.isShutdown() && e.isTerminated());
    }

    @Test
    void aRunningPeriodicTaskEndsItsRunAfterShutdownAndIsCancelled() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final CountDownLatch running = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger runs = new AtomicInteger();
        final ScheduledFuture<?> f = e.scheduleWithFixedDelay(() -> {
            runs.incrementAndGet();
            running.countDown();
            try {
                release.await();
            } catch (final InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }, 0, 10, TimeUnit.MILLISECONDS);
        await(running, "the first run");
        e.shutdown();
        assertFalse(e.isTerminated(), "a task is running");
        release.countDown();
        assertTrue(e.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
        assertTrue(f.isCancelled(), "not queued again after shutdown");
        assertEquals(1, runs.get());
    }

    @Test
    void shutdownNowReturnsTheTasksThatNeverStartedWithoutCancellingThem() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final ScheduledFuture<?> a = e.schedule(() -> { }, 10, TimeUnit.MINUTES);
        final ScheduledFuture<?> b = e.scheduleAtFixedRate(() -> { }, 20, 1, TimeUnit.MINUTES);
        final List<Runnable> never = e.shutdownNow();
        assertEquals(2, never.size());
        assertTrue(never.contains(a) && never.contains(b), "the returned tasks are the futures: " + never);
        assertFalse(a.isDone() || b.isDone(), "not cancelled");
        assertTrue(e.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
        assertThrows(RejectedExecutionException.class, () -> e.execute(() -> { }));
    }

    @Test
    void shutdownNowInterruptsRunningTasks() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final CountDownLatch running = new CountDownLatch(1);
        final AtomicBoolean interrupted = new AtomicBoolean();
        final Future<?> f = e.submit(() -> {
            running.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (final InterruptedException ex) {
                interrupted.set(true);
            }
        });
        await(running, "the task to start");
        e.shutdownNow();
        assertTrue(e.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
        assertTrue(interrupted.get(), "the running task was interrupted");
        assertTrue(f.isDone());
    }

    @Test
    void awaitTerminationTimesOutWhileATaskIsQueued() throws Exception {
        final ScheduledExecutorService e = executor(1);
        final ScheduledFuture<?> f = e.schedule(() -> { }, 10, TimeUnit.MINUTES);
        e.shutdown();
        assertFalse(e.awaitTermination(10, TimeUnit.MILLISECONDS));
        assertFalse(e.isTerminated());
        final List<Runnable> left = e.shutdownNow();
        assertEquals(1, left.size());
        assertSame(f, left.get(0));
        assertTrue(e.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
    }
}
