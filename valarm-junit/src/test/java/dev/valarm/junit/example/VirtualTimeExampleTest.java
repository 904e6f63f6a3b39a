package dev.valarm.junit.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SuspendOutcome;
import dev.valarm.junit.VirtualTime;
import dev.valarm.junit.VirtualTimeControl;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

// The class body below is copied verbatim into the javadoc of VirtualTime (DocSnippetTest checks it).
@VirtualTime(start = "2030-06-01T12:00:00Z")
class VirtualTimeExampleTest {

    @Test
    void aSessionExpiresAfterItsIdleTimeout(final Clock clock, final VirtualTimeControl time) {
        final SessionStore sessions = new SessionStore(clock, Duration.ofMinutes(30));
        sessions.touch("alice");
        time.advance(Duration.ofMinutes(29));
        assertTrue(sessions.isActive("alice"));
        time.advance(Duration.ofMinutes(2));
        assertFalse(sessions.isActive("alice"));
    }

    @Test
    void aChangedWallClockIsSeenAtOnce(final Clock clock, final VirtualTimeControl time) {
        assertEquals(Instant.parse("2030-06-01T12:00:00Z"), clock.instant());
        time.jumpWallClock(Duration.ofDays(1));
        assertEquals(Instant.parse("2030-06-02T12:00:00Z"), clock.instant());
    }

    @Test
    void aWakeupAlarmEndsASuspend(final ValarmInstance tenant, final VirtualTimeControl time)
            throws InterruptedException {
        final AlarmHandle alarm = tenant.open(OpenMode.READ_WRITE);
        final Timespec now = alarm.getTime(AlarmType.ELAPSED_REALTIME_WAKEUP);
        alarm.set(AlarmType.ELAPSED_REALTIME_WAKEUP, now.plus(Duration.ofHours(1)));
        final SuspendOutcome slept = time.suspend(Duration.ofDays(1));
        assertEquals(Duration.ofHours(1), slept.slept());
        assertTrue(alarm.await(Duration.ZERO).fired(AlarmType.ELAPSED_REALTIME_WAKEUP));
    }
}
