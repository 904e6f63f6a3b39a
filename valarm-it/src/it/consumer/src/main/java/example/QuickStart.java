package example;

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

/** README.md's quick start, verbatim between the markers (valarm's ReadmeSnippetsTest checks that). */
public final class QuickStart {
    private QuickStart() {
    }

    /**
     * Runs the quick start.
     *
     * @return what it saw: the device, the two event masks and the tenant's year
     */
    public static String run() throws InterruptedException {
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
            return "device=" + device.describe() + " changed=0x" + Integer.toHexString(changed.mask()) + " fired=0x"
                    + Integer.toHexString(fired.typeMask()) + " year=" + clock.instant().toString().substring(0, 4);
        }
    }
}
