package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import dev.valarm.rtc.linux.internal.LinuxOnly;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.RtcException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tier 1 for the device backend: what this RTC-less host can show (typed failures, probe). The device
 * behaviour itself is tested against the FUSE-emulated RTC (tier 2) and rtc_cmos under qemu (tier 3).
 */
final class RtcDeviceBackendTest {

    @BeforeEach
    void linux() {
        LinuxOnly.assumeLinux();
    }

    @Test
    void aMissingDeviceFailsFastWithEnoent(@TempDir final Path dir) {
        final RtcException e = assertThrows(RtcException.class, () -> new RtcDeviceBackend(dir.resolve("rtc0")));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.operation().contains("rtc0"), e.operation());
    }

    @Test
    void aFileThatIsNotAnRtcFailsWithEnotty(@TempDir final Path dir) throws Exception {
        final Path f = Files.writeString(dir.resolve("rtc0"), "not an rtc");
        final RtcException e = assertThrows(RtcException.class, () -> new RtcDeviceBackend(f));
        assertEquals(Errno.ENOTTY, e.errno(), e.getMessage());
        assertTrue(e.operation().startsWith("ioctl(RTC_RD_TIME)"), e.operation());
        final BackendProbe p = RtcDeviceBackend.probe("linux", f);
        assertFalse(p.usable());
        assertTrue(p.reason().contains("ENOTTY"), p.reason());
    }

    @Test
    void argumentsAreChecked(@TempDir final Path dir) {
        assertThrows(NullPointerException.class, () -> new RtcDeviceBackend(null));
        assertThrows(IllegalArgumentException.class, () -> new RtcDeviceBackend(dir, Duration.ofMillis(500)));
    }
}
