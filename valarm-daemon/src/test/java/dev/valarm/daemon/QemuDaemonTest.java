package dev.valarm.daemon;

import dev.valarm.rtc.linux.qemu.GuestTier;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Guest tier: Debian's 6.1 kernel under qemu with {@code fuse.ko} and {@code cuse.ko} (this host has no CUSE,
 * and its kernel re-sends requests, 6.1's does not), through valarm-rtc-linux's {@code run-guest-tests.sh}
 * ({@link GuestTier}), running {@code GuestDaemonTest} there: the daemon serving CUSE devices, crashed and
 * upgraded under blocked callers. The C clients are built here, statically, before the boot. Skips or fails
 * like the other qemu tiers when the tools are missing.
 */
class QemuDaemonTest {
    private static final int GUEST_TIMEOUT_SECONDS = 500;
    private static final long SCRIPT_TIMEOUT_SECONDS = 560;

    @Test
    @Timeout(value = SCRIPT_TIMEOUT_SECONDS + 40, unit = TimeUnit.SECONDS)
    void theDaemonOnCuseInTheGuest() throws Exception {
        final GuestTier tier = GuestTier.open("fast");
        Host.require(CBinaries.gccAvailable(), "no gcc");
        final Path conformance = CBinaries.binary(CBinaries.Client.CONFORMANCE, true);
        final Path churn = CBinaries.binary(CBinaries.Client.CHURN, true);
        final Path results = tier.target().resolve("qemu/results");
        final GuestTier.ScriptRun run = tier.runGuestTests(results, List.of(
                "--timeout", Integer.toString(GUEST_TIMEOUT_SECONDS),
                "--insmod", "kernel/fs/fuse/cuse",
                "--jvm-arg", "-Dvalarm.daemon.conformance=" + conformance,
                "--jvm-arg", "-Dvalarm.daemon.churn=" + churn,
                "--jvm-arg", "-Dvalarm.daemon.classpath=" + System.getProperty("surefire.test.class.path",
                        System.getProperty("java.class.path"))),
                List.of("--select-class", GuestDaemonTest.class.getName(), "--include-engine=junit-jupiter"),
                SCRIPT_TIMEOUT_SECONDS);
        GuestTier.assertGuestTestsPassed(run, results, "for the daemon on CUSE");
    }
}
