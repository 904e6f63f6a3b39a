package dev.valarm.cli;

import dev.valarm.rtc.linux.qemu.GuestTier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tier 3 for the command line: runs {@link GuestProbeTest} in valarm-rtc-linux's qemu guest (fast boot, the
 * real rtc_cmos driver). Skips or fails like valarm-rtc-linux's {@code QemuRtcCmosTest} when the tools are
 * missing.
 */
final class QemuProbeTest {

    private static final int GUEST_TIMEOUT_SECONDS = 180;
    private static final long SCRIPT_TIMEOUT_SECONDS = 240;

    @Test
    @Timeout(value = SCRIPT_TIMEOUT_SECONDS + 60, unit = TimeUnit.SECONDS)
    void probeInTheGuestSaysTheWakeBackendsCanWake() throws IOException, InterruptedException {
        final GuestTier tier = GuestTier.open("fast");
        final Path results = tier.target().resolve("qemu/results");
        final GuestTier.ScriptRun run = tier.runGuestTests(results,
                List.of("--timeout", Integer.toString(GUEST_TIMEOUT_SECONDS)),
                List.of("--select-class", GuestProbeTest.class.getName(), "--include-engine=junit-jupiter"),
                SCRIPT_TIMEOUT_SECONDS);
        GuestTier.assertGuestTestsPassed(run, results, "for ./valarm probe");
    }
}
