package dev.valarm.rtc.linux;

import dev.valarm.rtc.linux.qemu.GuestTier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tier 3: runs the guest tests ({@code dev.valarm.rtc.linux.guest}) inside a qemu guest that boots
 * Debian's stock kernel, so that the backends meet the real {@code rtc_cmos} driver.
 *
 * <p>The work is done by {@code src/test/qemu/run-guest-tests.sh} in its fast boot mode (qboot, PVH),
 * through {@link GuestTier}: this test hands it the class path surefire runs with (the host root is shared
 * read-only with the guest, so the same paths work there) and fails when the guest tests fail. When the
 * tools are missing it skips, except on CI ({@code CI=true}). Set {@code -Dvalarm.qemu.skip=true} to skip
 * it on purpose. The guest tests that suspend the machine run in {@link QemuSuspendTest} instead.
 */
final class QemuRtcCmosTest {

    /** The package of the guest-only tests. */
    private static final String GUEST_PACKAGE = "dev.valarm.rtc.linux.guest";
    /** Its subpackage that suspends the guest: it runs in {@link QemuSuspendTest}'s suspend-capable boot. */
    private static final String SUSPEND_PACKAGE = GUEST_PACKAGE + ".suspend";
    /** Hard limit for the guest run inside the script (boot, tests, power-off). */
    private static final int GUEST_TIMEOUT_SECONDS = 270;
    /** Hard limit for the whole script (kernel download and unpacking included). */
    private static final long SCRIPT_TIMEOUT_SECONDS = 330;

    @Test
    @Timeout(value = SCRIPT_TIMEOUT_SECONDS + 60, unit = TimeUnit.SECONDS)
    void guestTestsPassAgainstTheRealRtcCmosDriver() throws IOException, InterruptedException {
        final GuestTier tier = GuestTier.open("fast");
        final Path results = tier.target().resolve("qemu/results");
        final GuestTier.ScriptRun run = tier.runGuestTests(results,
                List.of("--timeout", Integer.toString(GUEST_TIMEOUT_SECONDS)),
                List.of("--select-package", GUEST_PACKAGE, "--exclude-package", SUSPEND_PACKAGE,
                        "--include-engine=junit-jupiter"),
                SCRIPT_TIMEOUT_SECONDS);
        GuestTier.assertGuestTestsPassed(run, results, "against the real rtc_cmos driver");
    }
}
