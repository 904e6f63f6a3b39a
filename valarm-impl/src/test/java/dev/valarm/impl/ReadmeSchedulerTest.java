package dev.valarm.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmType;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.schedule.InstanceScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's scheduler section, run on the real clock of this machine ({@code ReadmeSnippetsTest} in valarm-it
 * checks that the README shows these lines verbatim).
 */
class ReadmeSchedulerTest {
    private int flushed;

    private void flush() {
        flushed++;
    }

    private void rotate() {
        throw new AssertionError("not before 2031");
    }

    private void expire() {
        throw new AssertionError("not within this test");
    }

    @Test
    void theReadmeSnippetRunsAsDocumented() throws Exception {
        final long t0 = System.nanoTime();
        try (ValarmDevice device = Valarm.openDefault()) {
            ValarmInstance tenant = device.createInstance();
            InstanceScheduler scheduler = InstanceScheduler.open(tenant);           // owns the tenant's alarms
            ScheduledFuture<String> poll = scheduler.schedule(() -> "polled", 1, TimeUnit.SECONDS); // boot-time clock
            scheduler.scheduleAtFixedRate(() -> flush(), 0, 30, TimeUnit.SECONDS);  // as ScheduledThreadPoolExecutor
            scheduler.scheduleAt(() -> rotate(), Instant.parse("2031-01-01T00:00:00Z"),
                    AlarmType.RTC_WAKEUP);                                          // the tenant's wall clock, wakes
            scheduler.schedule(() -> expire(), Duration.ofMinutes(5),
                    AlarmType.ELAPSED_REALTIME_WAKEUP);                             // a delay that wakes the machine
            String polled = poll.get();                                             // "polled", a second later
            List<Runnable> neverRan = scheduler.shutdownNow();                      // shutdown() lets one-shots run
            assertEquals("polled", polled);
            assertEquals(3, neverRan.size(), "the periodic flush, the 2031 task and the 5-minute one: " + neverRan);
            assertTrue(scheduler.awaitTermination(30, TimeUnit.SECONDS));
            assertTrue(flushed >= 1, "the fixed-rate task ran at once");
        }
        final double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds >= 1.0 && seconds < 30, "the delay took " + seconds + " s");
    }
}
