package dev.valarm.rtc.linux.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Timespec;
import dev.valarm.rtc.linux.SysfsWakealarmBackend;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The sysfs {@code wakealarm} backend on the real rtc_cmos driver: the same slot as {@code /dev/rtc0}. */
final class GuestSysfsWakealarmBackendTest {

    @BeforeEach
    void onlyInGuest() {
        InGuest.assumeGuest();
    }

    @Test
    void programsAndCancelsTheDriversAlarmSlot() {
        try (SysfsWakealarmBackend sysfs = new SysfsWakealarmBackend(Path.of("/sys/class/rtc/rtc0"))) {
            assertTrue(sysfs.capabilities().canWake(), "rtc0 may wake the guest");
            final long now = sysfs.readTime().seconds();
            sysfs.programAlarm(Timespec.ofSeconds(now + 1800));
            try (RawRtc rtc = RawRtc.open("/dev/rtc0")) {
                final long[] raw = rtc.readWakeAlarm();
                assertEquals(1, raw[0]);
                assertEquals(now + 1800, raw[2]);
            }
            sysfs.cancelAlarm();
            try (RawRtc rtc = RawRtc.open("/dev/rtc0")) {
                assertEquals(0, rtc.readWakeAlarm()[0], "sysfs cancel left the driver's alarm enabled");
            }
        }
    }
}
