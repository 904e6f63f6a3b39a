package dev.valarm.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.valarm.AlarmType;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.schedule.InstanceScheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link InstanceScheduler} under {@link VirtualTime}: a test advances virtual time and observes that the
 * tasks ran, at their virtual times. The scheduler reacts on the device's callback executor, so each check
 * waits for the task's own future (a real-time timeout that only a failure reaches), never sleeps.
 */
@VirtualTime(start = "2030-06-01T12:00:00Z")
class InstanceSchedulerVirtualTimeTest {
    private static final long TIMEOUT = 30;

    @Test
    void delayedAndWallClockTasksRunWhenVirtualTimeReachesThem(final ValarmInstance tenant, final Clock clock,
            final VirtualTimeControl time) throws Exception {
        final InstanceScheduler scheduler = InstanceScheduler.open(tenant);
        final ScheduledFuture<Instant> poll = scheduler.schedule(clock::instant, 5, TimeUnit.MINUTES);
        final ScheduledFuture<Instant> report = scheduler.scheduleAt(clock::instant,
                Instant.parse("2030-06-01T13:00:00Z"), AlarmType.RTC_WAKEUP);

        time.advance(Duration.ofMinutes(5));
        assertEquals(Instant.parse("2030-06-01T12:05:00Z"), poll.get(TIMEOUT, TimeUnit.SECONDS));
        assertFalse(report.isDone());

        time.jumpWallClock(Duration.ofHours(1)); // the host clock moves: the wall-clock task is due
        assertEquals(Instant.parse("2030-06-01T13:05:00Z"), report.get(TIMEOUT, TimeUnit.SECONDS));
        scheduler.close();
    }

    @Test
    void aPeriodicTaskRunsOncePerPeriodOfVirtualTime(final ValarmInstance tenant, final VirtualTimeControl time)
            throws Exception {
        final List<Duration> runs = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger n = new AtomicInteger();
        try (InstanceScheduler scheduler = InstanceScheduler.builder(tenant).executor(Runnable::run).build()) {
            final ScheduledFuture<?> f = scheduler.scheduleAtFixedRate(() -> {
                runs.add(tenant.now(AlarmType.ELAPSED_REALTIME).toDuration());
                n.incrementAndGet();
            }, 1, 1, TimeUnit.SECONDS);
            for (int i = 1; i <= 5; i++) {
                time.advance(Duration.ofSeconds(1));
                final int want = i;
                final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT);
                while (n.get() < want && System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
                assertEquals(want, n.get(), "run " + want + " after " + want + " s of virtual time");
            }
            f.cancel(false);
        }
        for (int i = 1; i < runs.size(); i++) {
            assertEquals(Duration.ofSeconds(1), runs.get(i).minus(runs.get(i - 1)), "one second apart: " + runs);
        }
    }
}
