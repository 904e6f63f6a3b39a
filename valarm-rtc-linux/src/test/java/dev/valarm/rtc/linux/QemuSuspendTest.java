package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.rtc.linux.qemu.GuestTier;
import dev.valarm.rtc.linux.qemu.SuspendControl;
import dev.valarm.rtc.linux.qemu.SuspendWatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tier 3, real suspend-to-RAM: runs the guest tests of {@code dev.valarm.rtc.linux.guest.suspend} in a qemu
 * guest booted in the script's suspend-capable mode (SeaBIOS, bzImage, S3 enabled), with the host-side
 * {@link SuspendWatcher} on qemu's QMP monitor: the guest suspends for real, and the watcher tells it what qemu
 * saw (SUSPEND / WAKEUP, with host timestamps) and ends the suspends the guest asked it to end.
 *
 * <p>Prints the watcher's transcript and the figures the guest tests measured (wake error per backend, time
 * slept, lateness per alarm type). Skips or fails like {@link QemuRtcCmosTest} when the tools are missing.
 */
final class QemuSuspendTest {

    /** The package of the guest tests that suspend. */
    private static final String SUSPEND_PACKAGE = "dev.valarm.rtc.linux.guest.suspend";
    /** Hard limit for the guest run inside the script (boot, tests, power-off). */
    private static final int GUEST_TIMEOUT_SECONDS = 480;
    /** Hard limit for the whole script. */
    private static final long SCRIPT_TIMEOUT_SECONDS = 560;

    @Test
    @Timeout(value = SCRIPT_TIMEOUT_SECONDS + 60, unit = TimeUnit.SECONDS)
    void guestSuspendsToRamAndWakesOnTheAlarmsValarmProgrammed() throws IOException, InterruptedException {
        final GuestTier tier = GuestTier.open("suspend");
        final Path base = tier.target().resolve("qemu-suspend");
        final Path results = base.resolve("results");
        final Path sockets = socketDir(base);
        final Path qmp = sockets.resolve("qmp.sock");
        final Path control = sockets.resolve("control.sock");
        Files.deleteIfExists(qmp);
        Files.deleteIfExists(control);
        final GuestTier.ScriptRun run;
        final SuspendWatcher watcher = SuspendWatcher.start(qmp, control);
        try {
            run = tier.runGuestTests(results, List.of(
                    "--boot", "suspend", "--qmp", qmp.toString(), "--control", control.toString(),
                    "--timeout", Integer.toString(GUEST_TIMEOUT_SECONDS),
                    "--jvm-arg", "-D" + SuspendControl.PROPERTY + "=" + SuspendControl.GUEST_PORT),
                    List.of("--select-package", SUSPEND_PACKAGE, "--include-engine=junit-jupiter"),
                    SCRIPT_TIMEOUT_SECONDS);
        } finally {
            watcher.close();
            Files.deleteIfExists(qmp);
            Files.deleteIfExists(control);
            System.out.println("[QemuSuspendTest] watcher transcript:");
            watcher.transcript().forEach(l -> System.out.println("  " + l));
            System.out.println("[QemuSuspendTest] figures measured in the guest:");
            watcher.figures().forEach(l -> System.out.println("  " + l.replace('\t', '|')));
        }
        GuestTier.assertGuestTestsPassed(run, results, "across real suspends to RAM");
        assertTrue(watcher.suspends() > 0, "qemu reported no suspend at all: the guest never really suspended");
    }

    /**
     * Where the unix sockets go: under target, named with the pid, unless that path is too long for a
     * unix socket (or has a ',', which qemu's option syntax cannot take); then a fresh temporary directory.
     */
    private static Path socketDir(final Path base) throws IOException {
        final Path d = base.resolve("sockets-" + ProcessHandle.current().pid()).toAbsolutePath();
        if (d.toString().length() <= 90 && !d.toString().contains(",")) {
            return Files.createDirectories(d);
        }
        return Files.createTempDirectory("valarm-qemu-");
    }
}
