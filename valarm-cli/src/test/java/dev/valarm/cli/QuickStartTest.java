package dev.valarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.Valarm;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The README's quick start, verbatim, on the real clock of this machine. */
class QuickStartTest {

    @Test
    void theReadmeQuickStartRunsAsDocumented() throws Exception {
        final long t0 = System.nanoTime();
        // --- README quick start ---
        try (ValarmDevice device = Valarm.openDefault()) {                     // best backend found here
            ValarmInstance tenant = device.createInstance();                    // one virtual /dev/alarm
            AlarmHandle alarm = tenant.open(OpenMode.READ_WRITE);               // first SET/CLEAR/WAIT: owner
            alarm.setRtc(Timespec.of(Instant.parse("2031-01-01T00:00:00Z")));  // this tenant's clock only
            Timespec now = alarm.getTime(AlarmType.RTC_WAKEUP);  // 2031-01-01T00:00:00.000081883Z (1924992000.000081883 s)
            alarm.set(AlarmType.RTC_WAKEUP, now.plus(Duration.ofSeconds(2)));   // in two seconds
            AlarmEvents changed = alarm.await();        // at once: TIME_CHANGE (0x10000) raised by SET_RTC
            AlarmEvents fired = alarm.await();          // two seconds later: RTC_WAKEUP (0x1), or TIME_CHANGE
            while (!fired.fired(AlarmType.RTC_WAKEUP)) { //   again if the host clock was set meanwhile
                fired = alarm.await();
            }
            Clock clock = tenant.clock();               // a java.time view of the tenant's wall clock
        // --- end ---
            assertEquals(0x10000, changed.mask());
            assertEquals(0x1, fired.typeMask()); // beside a TIME_CHANGE of the host's, if it stepped its clock just then
            assertEquals(2031, clock.instant().atZone(java.time.ZoneOffset.UTC).getYear());
            assertTrue(now.toInstant().isBefore(Instant.parse("2031-01-01T00:00:05Z")), now.toString());
        }
        final double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds >= 1.0 && seconds < 10, "the alarm took " + seconds + " s");
    }
}
