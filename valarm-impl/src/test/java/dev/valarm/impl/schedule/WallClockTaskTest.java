package dev.valarm.impl.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmType;
import dev.valarm.InstanceConfig;
import dev.valarm.ValarmInstance;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Wall-clock tasks follow the instance's wall clock through SET_RTC and host clock jumps; delays do not;
 * instances with different wall clocks do not see each other's tasks or changes.
 */
class WallClockTaskTest extends SchedulerFixture {

    @Test
    void aWallClockTaskRunsAtOnceWhenSetRtcPassesItAndWaitsLongerWhenTheClockGoesBack() throws Exception {
        final ScheduledFuture<Instant> a = scheduler.scheduleAt(() -> wall(inst), T0.plusSeconds(10), AlarmType.RTC);
        final ScheduledFuture<Instant> b = scheduler.scheduleAt(() -> wall(inst), T0.plusSeconds(20), AlarmType.RTC_WAKEUP);
        assertEquals(10, a.getDelay(TimeUnit.SECONDS));

        setRtc(inst, T0.plusSeconds(15));
        assertEquals(T0.plusSeconds(15), get(a), "ran at once, at the new wall time: no time passed");
        assertFalse(b.isDone());
        assertEquals(5, b.getDelay(TimeUnit.SECONDS), "getDelay follows the wall clock");

        setRtc(inst, T0.minusSeconds(3600));
        assertEquals(3620, b.getDelay(TimeUnit.SECONDS), "the clock went back: the task waits for it");
        machine.advance(Duration.ofSeconds(20));
        assertFalse(b.isDone(), "its instant has not come again");
        machine.advance(Duration.ofHours(1));
        assertEquals(T0.plusSeconds(20), get(b), "ran exactly when the wall clock reached its instant again");
    }

    @Test
    void delaysIgnoreSetRtcAndHostClockJumps() throws Exception {
        final Duration start = elapsed(inst, AlarmType.ELAPSED_REALTIME);
        final ScheduledFuture<Duration> f = scheduler.schedule(() -> elapsed(inst, AlarmType.ELAPSED_REALTIME), 10,
                TimeUnit.SECONDS);
        final ScheduledFuture<Duration> mono = scheduler.schedule(() -> elapsed(inst, AlarmType.SYSTEMTIME),
                Duration.ofSeconds(10), AlarmType.SYSTEMTIME);
        final Duration monoStart = elapsed(inst, AlarmType.SYSTEMTIME);
        setRtc(inst, T0.plus(Duration.ofDays(1)));
        machine.jumpRealtime(Duration.ofHours(-5));
        setRtc(inst, T0.minus(Duration.ofDays(3)));
        assertEquals(10, f.getDelay(TimeUnit.SECONDS));
        assertEquals(10, mono.getDelay(TimeUnit.SECONDS));
        assertFalse(f.isDone() || mono.isDone());
        machine.advance(Duration.ofSeconds(10));
        assertEquals(start.plusSeconds(10), get(f));
        assertEquals(monoStart.plusSeconds(10), get(mono));
    }

    @Test
    void aHostClockJumpMovesTheWallClockTasksOfEveryInstance() throws Exception {
        final ValarmInstance other = device.createInstance(InstanceConfig.builder().name("other")
                .wallClockOffset(Duration.ofDays(1)).build());
        final InstanceScheduler second = track(InstanceScheduler.open(other));
        final ScheduledFuture<Instant> here = scheduler.scheduleAt(() -> wall(inst), T0.plus(Duration.ofHours(1)),
                AlarmType.RTC);
        final ScheduledFuture<Instant> there = second.scheduleAt(() -> wall(other),
                T0.plus(Duration.ofDays(1)).plus(Duration.ofHours(1)), AlarmType.RTC_WAKEUP);
        final ScheduledFuture<?> elapsedHere = scheduler.schedule(() -> { }, 30, TimeUnit.MINUTES);

        machine.jumpRealtime(Duration.ofMinutes(90));
        assertEquals(T0.plus(Duration.ofMinutes(90)), get(here));
        assertEquals(T0.plus(Duration.ofDays(1)).plus(Duration.ofMinutes(90)), get(there));
        assertFalse(elapsedHere.isDone(), "no elapsed time passed");
        assertEquals(30, elapsedHere.getDelay(TimeUnit.MINUTES));
    }

    @Test
    void instancesWithDifferentWallClocksAreIsolated() throws Exception {
        final ValarmInstance ahead = device.createInstance(InstanceConfig.builder().name("ahead")
                .wallClockOffset(Duration.ofDays(1)).build());
        final InstanceScheduler second = track(InstanceScheduler.open(ahead));
        final Instant x = T0.plus(Duration.ofHours(1));

        final ScheduledFuture<Instant> mine = scheduler.scheduleAt(() -> wall(inst), x, AlarmType.RTC_WAKEUP);
        final ScheduledFuture<Instant> theirs = second.scheduleAt(() -> wall(ahead), x, AlarmType.RTC_WAKEUP);
        final ScheduledFuture<Instant> theirsLater = second.scheduleAt(() -> wall(ahead),
                T0.plus(Duration.ofDays(1)).plus(Duration.ofHours(1)), AlarmType.RTC);
        assertEquals(T0.plus(Duration.ofDays(1)), get(theirs), "the same instant is in the other instance's past");
        assertFalse(mine.isDone());

        setRtc(inst, T0.plus(Duration.ofHours(2)));
        assertEquals(T0.plus(Duration.ofHours(2)), get(mine));
        assertFalse(theirsLater.isDone(), "a SET_RTC of one instance moves no other instance's tasks");
        assertEquals(60, theirsLater.getDelay(TimeUnit.MINUTES));
        assertEquals(T0.plus(Duration.ofDays(1)), wall(ahead));

        machine.advance(Duration.ofHours(1));
        assertEquals(T0.plus(Duration.ofDays(1)).plus(Duration.ofHours(1)), get(theirsLater));
    }

    @Test
    void aWallClockGridCoalescesMissedRunsAndRealignsWhenTheClockGoesBack() throws Exception {
        final List<Instant> runs = Collections.synchronizedList(new ArrayList<>());
        final Instant origin = T0.plus(Duration.ofMinutes(10));
        final ScheduledFuture<?> f = scheduler.scheduleAtFixedRate(() -> runs.add(wall(inst)), origin,
                Duration.ofHours(1), AlarmType.RTC);
        assertEquals(10, f.getDelay(TimeUnit.MINUTES));

        machine.advance(Duration.ofMinutes(10));
        awaitTrue(() -> runs.size() == 1 && scheduler.queuedTasks() == 1, "the first run");
        assertEquals(origin, runs.get(0));
        assertEquals(60, f.getDelay(TimeUnit.MINUTES));

        setRtc(inst, T0.plus(Duration.ofMinutes(5 * 60 + 30)));
        awaitTrue(() -> runs.size() == 2 && scheduler.queuedTasks() == 1, "one run for five missed grid points");
        assertEquals(T0.plus(Duration.ofMinutes(330)), runs.get(1));
        assertEquals(40, f.getDelay(TimeUnit.MINUTES), "the next grid point: 06:10");

        setRtc(inst, T0.plus(Duration.ofHours(2)));
        awaitTrue(() -> f.getDelay(TimeUnit.MINUTES) == 10, "re-alignment to 02:10 after the clock went back");
        assertEquals(2, runs.size(), "going back runs nothing by itself");

        machine.advance(Duration.ofMinutes(10));
        awaitTrue(() -> runs.size() == 3, "the run at 02:10");
        assertEquals(T0.plus(Duration.ofMinutes(130)), runs.get(2));
        assertFalse(f.isDone());
    }

    @Test
    void aGridWhoseOriginHasPassedStartsAtTheNextGridPoint() throws Exception {
        machine.advance(Duration.ofMinutes(25));
        final List<Instant> runs = Collections.synchronizedList(new ArrayList<>());
        final ScheduledFuture<?> f = scheduler.scheduleAtFixedRate(() -> runs.add(wall(inst)), T0,
                Duration.ofMinutes(10), AlarmType.RTC_WAKEUP);
        assertEquals(5, f.getDelay(TimeUnit.MINUTES), "00:30, not at once and not 00:35");
        machine.advance(Duration.ofMinutes(5));
        awaitTrue(() -> runs.size() == 1, "the run at 00:30");
        assertEquals(T0.plus(Duration.ofMinutes(30)), runs.get(0));
    }

    @Test
    void anInstantInThePastRunsAtOnce() throws Exception {
        assertEquals("late", get(scheduler.scheduleAt(() -> "late", T0.minusSeconds(1), AlarmType.RTC)));
        assertEquals("very late", get(scheduler.scheduleAt(() -> "very late", Instant.MIN, AlarmType.RTC_WAKEUP)));
        final ScheduledFuture<?> never = scheduler.scheduleAt(() -> { }, Instant.MAX, AlarmType.RTC);
        assertTrue(never.getDelay(TimeUnit.DAYS) > 365 * 200, "beyond 2262 on a 64-bit nanosecond clock: never");
    }
}
