package dev.valarm.impl.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.valarm.AlarmType;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Suspend: wakeup tasks wake the machine, the others wait for it; each clock counts (or not) as documented. */
class SuspendTaskTest extends SchedulerFixture {

    @Test
    void anElapsedWakeupTaskWakesTheMachineAndNonWakeupTasksRunAtResume() throws Exception {
        final Duration start = elapsed(inst, AlarmType.ELAPSED_REALTIME);
        final ScheduledFuture<Duration> wake = scheduler.schedule(() -> elapsed(inst, AlarmType.ELAPSED_REALTIME),
                Duration.ofHours(1), AlarmType.ELAPSED_REALTIME_WAKEUP);
        final ScheduledFuture<Duration> quiet = scheduler.schedule(() -> elapsed(inst, AlarmType.ELAPSED_REALTIME),
                Duration.ofMinutes(30), AlarmType.ELAPSED_REALTIME);
        final ScheduledFuture<Duration> mono = scheduler.schedule(() -> elapsed(inst, AlarmType.ELAPSED_REALTIME),
                Duration.ofMinutes(30), AlarmType.SYSTEMTIME);

        final SuspendOutcome slept = machine.suspend(Duration.ofDays(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, slept.result());
        assertEquals(Duration.ofHours(1), slept.slept(), "only the wakeup task ended the suspend");
        assertEquals(start.plusHours(1), get(wake));
        assertEquals(start.plusHours(1), get(quiet), "due during the suspend: ran at resume");
        assertFalse(mono.isDone(), "the monotonic clock stopped during the suspend");
        assertEquals(30, mono.getDelay(TimeUnit.MINUTES));

        machine.advance(Duration.ofMinutes(30));
        assertEquals(start.plusMinutes(90), get(mono));
    }

    @Test
    void aWallClockWakeupTaskWakesTheMachine() throws Exception {
        final ScheduledFuture<Instant> quiet = scheduler.scheduleAt(() -> wall(inst), T0.plus(Duration.ofHours(1)),
                AlarmType.RTC);
        final ScheduledFuture<Instant> wake = scheduler.scheduleAt(() -> wall(inst), T0.plus(Duration.ofHours(2)),
                AlarmType.RTC_WAKEUP);
        final SuspendOutcome slept = machine.suspend(Duration.ofDays(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, slept.result());
        assertEquals(Duration.ofHours(2), slept.slept());
        assertEquals(T0.plus(Duration.ofHours(2)), get(wake));
        assertEquals(T0.plus(Duration.ofHours(2)), get(quiet));
    }

    @Test
    void withoutWakeupTasksTheSuspendLastsItsLimit() throws Exception {
        final ScheduledFuture<?> quiet = scheduler.schedule(() -> { }, 10, TimeUnit.MINUTES);
        final SuspendOutcome slept = machine.suspend(Duration.ofHours(3));
        assertEquals(SuspendOutcome.Result.LIMIT_REACHED, slept.result());
        assertEquals(Duration.ofHours(3), slept.slept());
        get(quiet);
    }

    @Test
    void anElapsedFixedRateCatchesUpAfterASuspendAndAMonotonicOneDoesNotSeeIt() throws Exception {
        final AtomicInteger boot = new AtomicInteger();
        final AtomicInteger mono = new AtomicInteger();
        scheduler.scheduleAtFixedRate(boot::incrementAndGet, Duration.ofMinutes(10), Duration.ofMinutes(10),
                AlarmType.ELAPSED_REALTIME);
        scheduler.scheduleAtFixedRate(mono::incrementAndGet, Duration.ofMinutes(10), Duration.ofMinutes(10),
                AlarmType.SYSTEMTIME);
        assertEquals(SuspendOutcome.Result.LIMIT_REACHED, machine.suspend(Duration.ofHours(1)).result());
        awaitTrue(() -> boot.get() == 6 && scheduler.queuedTasks() == 2, "six catch-up runs at resume");
        assertEquals(0, mono.get(), "no awake time passed");

        machine.advance(Duration.ofMinutes(10));
        awaitTrue(() -> boot.get() == 7 && mono.get() == 1, "one more run of each");
    }

    @Test
    void aWallClockGridRunsOnceAfterASuspendWithoutWakeup() throws Exception {
        final List<Instant> runs = Collections.synchronizedList(new ArrayList<>());
        final ScheduledFuture<?> f = scheduler.scheduleAtFixedRate(() -> runs.add(wall(inst)),
                T0.plus(Duration.ofMinutes(10)), Duration.ofMinutes(10), AlarmType.RTC);
        assertEquals(SuspendOutcome.Result.LIMIT_REACHED, machine.suspend(Duration.ofMinutes(65)).result());
        awaitTrue(() -> runs.size() == 1 && scheduler.queuedTasks() == 1, "one run for six missed grid points");
        assertEquals(T0.plus(Duration.ofMinutes(65)), runs.get(0));
        assertEquals(5, f.getDelay(TimeUnit.MINUTES), "the next grid point: 01:10");
    }

    @Test
    void aDelayTypeOfSystemtimeGivesTheExecutorServiceMethodsTheJdksClock() throws Exception {
        final InstanceScheduler jdkLike = track(InstanceScheduler.builder(device.createInstance())
                .delayType(AlarmType.SYSTEMTIME).build());
        assertEquals(AlarmType.SYSTEMTIME, jdkLike.delayType());
        assertEquals(AlarmType.ELAPSED_REALTIME, scheduler.delayType());
        final ScheduledFuture<?> monotonic = jdkLike.schedule(() -> { }, 5, TimeUnit.MINUTES);
        final ScheduledFuture<?> boot = scheduler.schedule(() -> { }, 5, TimeUnit.MINUTES);
        machine.suspend(Duration.ofHours(1));
        get(boot);
        assertFalse(monotonic.isDone());
        awaitBlockerReleased();
        machine.advance(Duration.ofMinutes(5));
        get(monotonic);
    }
}
