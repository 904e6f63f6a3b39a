package dev.valarm.rtc.linux.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The guest really is the environment Tier 3 promises: a kernel with the real rtc_cmos driver. */
final class GuestKernelTest {

    @BeforeEach
    void onlyInGuest() {
        InGuest.assumeGuest();
    }

    @Test
    void rtc0IsTheRealCmosDriverWithAWakeAlarm() throws IOException {
        final Path rtc0 = Path.of("/sys/class/rtc/rtc0");
        assertTrue(Files.isDirectory(rtc0), "no /sys/class/rtc/rtc0 in the guest");
        assertTrue(Files.readString(rtc0.resolve("name")).startsWith("rtc_cmos"),
                "rtc0 is not rtc_cmos: " + Files.readString(rtc0.resolve("name")));
        assertTrue(Files.exists(rtc0.resolve("wakealarm")), "rtc_cmos without a wakealarm attribute");
        assertTrue(Files.exists(Path.of("/dev/rtc0")), "no /dev/rtc0 device node");
    }

    @Test
    void procDriverRtcReportsAlarmIrqSupport() throws IOException {
        final String proc = Files.readString(Path.of("/proc/driver/rtc"));
        assertTrue(proc.contains("alarm_IRQ"), "unexpected /proc/driver/rtc:\n" + proc);
        assertEquals(1, proc.lines().filter(l -> l.startsWith("rtc_time")).count(),
                "unexpected /proc/driver/rtc:\n" + proc);
    }
}
