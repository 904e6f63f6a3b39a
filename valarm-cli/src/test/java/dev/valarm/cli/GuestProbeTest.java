package dev.valarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.rtc.linux.guest.InGuest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ./valarm probe} inside the qemu guest (run there by {@link QemuProbeTest}), on a kernel with the real
 * rtc_cmos driver: all three wake backends of the Linux provider are usable and able to wake the machine.
 * (The command runs in this JVM through {@link Main#run}, as {@code ./valarm} runs it through the jar.)
 */
final class GuestProbeTest {

    @BeforeEach
    void onlyInGuest() {
        InGuest.assumeGuest();
    }

    @Test
    void probeReportsEveryWakeBackendAsAbleToWake() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int rc = Main.run(List.of("probe"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        final String text = out.toString(StandardCharsets.UTF_8);
        System.out.println(text);
        assertEquals(0, rc, "exit code; stderr: " + err.toString(StandardCharsets.UTF_8));
        for (final String backend : List.of("alarm-timerfd", "rtc-device", "sysfs-wakealarm")) {
            assertTrue(Pattern.compile("(?m)^linux\\s+" + backend + "\\s+yes\\s+yes\\s").matcher(text).find(),
                    backend + " is not reported usable and able to wake:\n" + text);
        }
    }
}
