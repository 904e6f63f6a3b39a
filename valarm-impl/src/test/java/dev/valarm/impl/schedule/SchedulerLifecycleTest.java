package dev.valarm.impl.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmBusyException;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmClosedException;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.internal.DriverAccess;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Ownership, the instance closing under the scheduler, executors, limits and argument checks. */
class SchedulerLifecycleTest extends SchedulerFixture {

    @Test
    void theSchedulerOwnsItsInstance() {
        final AlarmHandle other = inst.open(OpenMode.READ_WRITE);
        final AlarmBusyException busy = assertThrows(AlarmBusyException.class,
                () -> other.set(AlarmType.RTC, Timespec.ofSeconds(1)));
        assertEquals(Errno.EBUSY, busy.errno());
        assertThrows(AlarmBusyException.class, other::awaitAsync);
        other.setRtc(Timespec.of(T0.plusSeconds(5))); // any writable handle may SET_RTC
        assertEquals(T0.plusSeconds(5), other.getTime(AlarmType.RTC).toInstant());
        assertFalse(other.isOwner());
    }

    @Test
    void aSchedulerOnAnInstanceWithAnotherOwnerFailsWithEbusyAndChangesNothing() {
        final ValarmInstance owned = device.createInstance();
        final AlarmHandle owner = owned.open(OpenMode.READ_WRITE);
        owner.set(AlarmType.ELAPSED_REALTIME, Timespec.ofSeconds(99_999));
        final AlarmBusyException e = assertThrows(AlarmBusyException.class, () -> InstanceScheduler.open(owned));
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(e.getMessage().contains("another handle owns it") && e.getMessage().contains(owned.name()),
                e.getMessage());
        assertTrue(owner.isOwner());
        assertEquals(99_999L * 1_000_000_000L, DriverAccess.state(owned).armedTimes().get(AlarmType.ELAPSED_REALTIME.number()),
                "the owner's alarm is untouched");
        owner.close();
        track(InstanceScheduler.open(owned)).shutdown();
    }

    @Test
    void alarmsArmedBeforeTheSchedulerAreClearedWhenItTakesTheInstanceOver() {
        scheduler.schedule(() -> { }, 1, TimeUnit.HOURS);
        final ValarmInstance child = inst.unshare(InstanceConfig.defaults(), true); // copies the armed head, no owner
        assertEquals(AlarmType.ELAPSED_REALTIME.mask(), DriverAccess.state(child).enabled());
        track(InstanceScheduler.open(child));
        assertEquals(0, DriverAccess.state(child).enabled(), "cleared (and logged): a driver alarm is no task");
        assertEquals(AlarmType.ELAPSED_REALTIME.mask(), DriverAccess.state(inst).enabled(), "the parent keeps its own");
    }

    @Test
    void terminationReleasesTheInstance() throws Exception {
        scheduler.schedule(() -> { }, 1, TimeUnit.HOURS);
        scheduler.shutdownNow();
        assertTrue(scheduler.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
        assertEquals(0, DriverAccess.state(inst).enabled(), "the scheduler's alarms were cleared");
        final AlarmHandle next = inst.open(OpenMode.READ_WRITE);
        next.set(AlarmType.RTC, Timespec.ofSeconds(1));
        assertTrue(next.isOwner());
    }

    @Test
    void closingTheInstanceFailsQueuedTasksAndStopsTheScheduler() throws Exception {
        final ScheduledFuture<?> queued = scheduler.schedule(() -> { }, 1, TimeUnit.HOURS);
        final ScheduledFuture<?> wall = scheduler.scheduleAtFixedRate(() -> { }, T0.plusSeconds(60), Duration.ofMinutes(1),
                AlarmType.RTC_WAKEUP);
        inst.close();
        for (final ScheduledFuture<?> f : new ScheduledFuture<?>[] {queued, wall}) {
            final ExecutionException x = assertThrows(ExecutionException.class, () -> get(f));
            assertInstanceOf(ValarmClosedException.class, x.getCause());
        }
        assertTrue(scheduler.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
        final RejectedExecutionException r = assertThrows(RejectedExecutionException.class,
                () -> scheduler.schedule(() -> { }, 1, TimeUnit.SECONDS));
        assertTrue(r.getMessage().contains("closed"), r.getMessage());
    }

    @Test
    void closingTheDeviceFailsQueuedTasks() throws Exception {
        final ScheduledFuture<?> queued = scheduler.schedule(() -> { }, 1, TimeUnit.HOURS);
        device.close();
        final ExecutionException x = assertThrows(ExecutionException.class, () -> get(queued));
        assertInstanceOf(ValarmClosedException.class, x.getCause());
        assertTrue(scheduler.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
    }

    @Test
    void ownThreadsRunTheTasksNeverTheDispatcherAndNeverUnderTheDeviceLock() throws Exception {
        final ScheduledFuture<String> f = scheduler.schedule(() -> Thread.currentThread().getName()
                + (DriverAccess.lock(device).isHeldByCurrentThread() ? " under the device lock" : ""), 1, TimeUnit.SECONDS);
        machine.advance(Duration.ofSeconds(1));
        assertEquals("valarm-scheduler-" + inst.name() + "-1", get(f));
    }

    @Test
    void aDirectExecutorRunsTasksOnTheDevicesCallbackPath() throws Exception {
        final ValarmInstance other = device.createInstance();
        final InstanceScheduler direct = track(InstanceScheduler.builder(other).executor(Runnable::run).build());
        final Thread test = Thread.currentThread();
        final ScheduledFuture<String> f = direct.schedule(() -> {
            final Thread t = Thread.currentThread();
            return t == test ? "the test thread" : DriverAccess.lock(device).isHeldByCurrentThread() ? "under the device lock"
                    : t.getName();
        }, 1, TimeUnit.SECONDS);
        machine.advance(Duration.ofSeconds(1));
        final String where = get(f);
        assertTrue(where.startsWith("ForkJoinPool.commonPool-worker"), "the device's callback executor: " + where);
        assertNotEquals("valarm-dispatcher", where);
    }

    @Test
    void aRefusingExecutorFailsTheTaskWithTheRejection() throws Exception {
        final InstanceScheduler refusing = track(InstanceScheduler.builder(device.createInstance())
                .executor(r -> {
                    throw new RejectedExecutionException("full");
                }).build());
        final ScheduledFuture<?> later = refusing.schedule(() -> { }, 1, TimeUnit.SECONDS);
        final Future<?> now = refusing.submit(() -> { });
        final ScheduledFuture<?> periodic = refusing.scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.SECONDS);
        machine.advance(Duration.ofSeconds(1));
        for (final Future<?> f : new Future<?>[] {later, now, periodic}) {
            final ExecutionException x = assertThrows(ExecutionException.class, () -> get(f));
            assertEquals("full", x.getCause().getMessage());
        }
        refusing.shutdown();
        assertTrue(refusing.awaitTermination(TIMEOUT, TimeUnit.SECONDS), "nothing is left running");
    }

    @Test
    void aThreadFactoryThatFailsLeavesTheInstanceFree() {
        final ValarmInstance other = device.createInstance();
        final Thread started = new Thread(() -> { });
        started.start();
        assertThrows(IllegalThreadStateException.class,
                () -> InstanceScheduler.builder(other).threadFactory(r -> started).build());
        assertThrows(IllegalStateException.class, () -> InstanceScheduler.builder(other).threadFactory(r -> null).build());
        final AlarmHandle next = other.open(OpenMode.READ_WRITE);
        next.set(AlarmType.RTC, Timespec.ofSeconds(1));
        assertTrue(next.isOwner(), "no half-built scheduler kept the instance");
    }

    @Test
    void theTaskLimitRejectsWithTheLimitInTheMessage() throws Exception {
        final InstanceScheduler small = track(InstanceScheduler.builder(device.createInstance()).maxQueuedTasks(3).build());
        for (int i = 0; i < 3; i++) {
            small.schedule(() -> { }, 1, TimeUnit.HOURS);
        }
        final RejectedExecutionException r = assertThrows(RejectedExecutionException.class,
                () -> small.schedule(() -> { }, 1, TimeUnit.HOURS));
        assertTrue(r.getMessage().contains("3 tasks queued"), r.getMessage());
        assertEquals("due tasks are not queued", get(small.submit(() -> "due tasks are not queued")));
        assertEquals(3, small.queuedTasks());
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> scheduler.schedule(() -> { }, Duration.ofSeconds(1), AlarmType.RTC));
        assertThrows(IllegalArgumentException.class,
                () -> scheduler.scheduleAt(() -> { }, T0, AlarmType.ELAPSED_REALTIME_WAKEUP));
        assertThrows(IllegalArgumentException.class,
                () -> scheduler.scheduleAtFixedRate(() -> { }, T0, Duration.ZERO, AlarmType.RTC));
        assertThrows(IllegalArgumentException.class, () -> scheduler.scheduleAtFixedRate(() -> { }, Duration.ZERO,
                Duration.ofSeconds(-1), AlarmType.ELAPSED_REALTIME));
        assertThrows(IllegalArgumentException.class, () -> scheduler.scheduleWithFixedDelay(() -> { }, Duration.ZERO,
                Duration.ofSeconds(1), AlarmType.RTC_WAKEUP));
        assertThrows(NullPointerException.class, () -> scheduler.scheduleAt((Runnable) null, T0, AlarmType.RTC));
        assertThrows(NullPointerException.class, () -> scheduler.scheduleAt(() -> { }, null, AlarmType.RTC));
        assertThrows(NullPointerException.class, () -> scheduler.schedule(() -> { }, Duration.ofSeconds(1), null));
        final InstanceScheduler.Builder b = InstanceScheduler.builder(device.createInstance());
        final IllegalArgumentException wall = assertThrows(IllegalArgumentException.class,
                () -> b.delayType(AlarmType.RTC_WAKEUP));
        assertTrue(wall.getMessage().contains("RTC_WAKEUP"), wall.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.threads(0)).getMessage().contains(": 0"));
        assertThrows(IllegalArgumentException.class, () -> b.threads(InstanceScheduler.Builder.MAX_THREADS + 1));
        assertThrows(IllegalArgumentException.class, () -> b.maxQueuedTasks(0));
        assertEquals(0, scheduler.queuedTasks(), "nothing was queued by the failed calls");
    }

    @Test
    void closeWaitsUntilQueuedTasksHaveRun() throws Exception {
        final ScheduledFuture<String> f = scheduler.schedule(() -> "ran", 1, TimeUnit.SECONDS);
        final CompletableFuture<Void> closed = CompletableFuture.runAsync(scheduler::close);
        assertThrows(java.util.concurrent.TimeoutException.class, () -> closed.get(50, TimeUnit.MILLISECONDS),
                "close waits for the queued task");
        machine.advance(Duration.ofSeconds(1));
        closed.get(TIMEOUT, TimeUnit.SECONDS);
        assertEquals("ran", f.get());
        assertTrue(scheduler.isTerminated());
    }

    @Test
    void closeFromInsideATaskOnlyShutsDown() throws Exception {
        final InstanceScheduler direct = track(InstanceScheduler.builder(device.createInstance()).executor(Runnable::run)
                .build());
        final Future<Boolean> f = direct.submit(() -> {
            direct.close();
            return direct.isShutdown();
        });
        assertTrue(get(f), "closed from its own task without waiting for itself");
        assertTrue(direct.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
        final Future<Boolean> own = scheduler.submit(() -> {
            scheduler.close();
            return scheduler.isShutdown();
        });
        assertTrue(get(own));
        assertTrue(scheduler.awaitTermination(TIMEOUT, TimeUnit.SECONDS));
    }

    @Test
    void futuresDescribeThemselvesTheWayAPersonReadsTime() {
        final ScheduledFuture<?> wall = scheduler.scheduleAtFixedRate(() -> { }, T0.plus(Duration.ofHours(1)),
                Duration.ofMinutes(90), AlarmType.RTC_WAKEUP);
        assertTrue(wall.toString().contains("RTC_WAKEUP at 2026-01-01T01:00:00Z, every 1 h 30 min on the wall clock"),
                wall.toString());
        final ScheduledFuture<?> delay = scheduler.scheduleWithFixedDelay(() -> { }, 250, 250, TimeUnit.MILLISECONDS);
        assertTrue(delay.toString().contains("ELAPSED_REALTIME at 16 min 40.25 s on the boot-time clock, 250 ms after each run"),
                delay.toString());
        assertTrue(scheduler.toString().contains(inst.name()), scheduler.toString());
        assertEquals(Instant.parse("2026-01-01T00:00:00Z"), wall(inst));
    }
}
