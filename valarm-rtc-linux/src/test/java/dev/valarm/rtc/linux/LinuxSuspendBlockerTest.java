package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.valarm.Errno;
import dev.valarm.rtc.linux.LinuxSuspendBlocker.Mechanism;
import dev.valarm.rtc.linux.internal.LinuxOnly;
import dev.valarm.spi.RtcException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tier 1: the suspend blocker's mechanisms against a fake {@code /sys/power} (regular files standing in for
 * the sysfs attributes) and against this host's kernel, which has no suspend at all. The real kernel
 * behaviour (a wakeup source deferring a real suspend) is shown in the qemu guest
 * ({@code GuestSuspendBlockerTest}).
 */
final class LinuxSuspendBlockerTest {

    @TempDir
    Path dir;

    private final long pid = ProcessHandle.current().pid();

    @BeforeEach
    void linux() {
        LinuxOnly.assumeLinux();
    }

    private Path fakeSysPower(final boolean wakelocks) throws IOException {
        final Path p = Files.createDirectories(dir.resolve("power"));
        Files.writeString(p.resolve("state"), "freeze mem\n");
        Files.writeString(p.resolve("wakeup_count"), "7\n");
        if (wakelocks) {
            Files.writeString(p.resolve("wake_lock"), "");
            Files.writeString(p.resolve("wake_unlock"), "");
        }
        return p;
    }

    @Test
    void kernelWakeLockWritesANamedLockWithItsTimeoutAndUnlocksIt() throws IOException {
        final Path power = fakeSysPower(true);
        try (LinuxSuspendBlocker b = LinuxSuspendBlocker.open(Mechanism.KERNEL_WAKE_LOCK, power, Paths.get("/proc/self"))) {
            assertEquals(Mechanism.KERNEL_WAKE_LOCK, b.mechanism());
            b.acquire("valarm[3]", Duration.ofSeconds(5));
            assertEquals("valarm." + pid + ".valarm[3] 5000000000", Files.readString(power.resolve("wake_lock")));
            assertEquals(Set.of("valarm[3]"), b.heldTags());
            b.acquire("valarm 7", Duration.ofMillis(250));
            assertEquals("valarm." + pid + ".valarm_7 250000000", Files.readString(power.resolve("wake_lock")),
                    "blanks must not reach the kernel's name");
            b.release("valarm[3]");
            assertEquals("valarm." + pid + ".valarm[3]", Files.readString(power.resolve("wake_unlock")));
            assertEquals(Set.of("valarm 7"), b.heldTags());
            b.release("never-held");
            assertEquals("valarm." + pid + ".valarm[3]", Files.readString(power.resolve("wake_unlock")),
                    "releasing a tag that is not held must not write");
            assertEquals(0, b.kernelFailures());
        }
    }

    @Test
    void aHolderTimesOutOnItsOwn() throws Exception {
        try (LinuxSuspendBlocker b = LinuxSuspendBlocker.open(Mechanism.PROCESS, fakeSysPower(false),
                Paths.get("/proc/self"))) {
            final long t0 = System.nanoTime();
            b.acquire("valarm[0]", Duration.ofMillis(300));
            assertEquals(Set.of("valarm[0]"), b.heldTags());
            assertTrue(b.awaitReleased(Duration.ofSeconds(10)), "still held after 10 s");
            final long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 290, "released after " + ms + " ms, before its 300 ms timeout");
            assertTrue(b.heldTags().isEmpty());
            // Acquiring again restarts the timeout.
            b.acquire("valarm[0]", Duration.ofMillis(200));
            b.acquire("valarm[0]", Duration.ofSeconds(30));
            assertFalse(b.awaitReleased(Duration.ofMillis(600)), "the restarted 30 s timeout ended early");
            assertEquals(3, b.acquisitions());
        }
    }

    @Test
    void aNamedMechanismThatCannotWorkHereFailsWithTheReason() throws IOException {
        final Path power = fakeSysPower(false);
        final RtcException e = assertThrows(RtcException.class,
                () -> LinuxSuspendBlocker.open(Mechanism.KERNEL_WAKE_LOCK, power, Paths.get("/proc/self")));
        assertEquals(Errno.ENOENT, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("CONFIG_PM_WAKELOCKS") && e.getMessage().contains("wake_lock"), e.getMessage());
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> LinuxSuspendBlocker.open("logind"));
        assertTrue(bad.getMessage().contains("\"logind\"") && bad.getMessage().contains("epoll-wakeup"), bad.getMessage());
    }

    @Test
    void onThisHostWithoutSuspendTheAutomaticChoiceHoldsInTheProcessOnly() {
        // The CI hosts' kernel has no suspend (CONFIG_SUSPEND unset): no wakeup_count, no wake_lock.
        assumeTrue(!Files.exists(Paths.get("/sys/power/wakeup_count")), "this host's kernel can suspend");
        final RtcException wl = assertThrows(RtcException.class, () -> LinuxSuspendBlocker.open("kernel-wake-lock"));
        assertEquals(Errno.ENOENT, wl.errno(), wl.getMessage());
        final RtcException ep = assertThrows(RtcException.class, () -> LinuxSuspendBlocker.open(Mechanism.EPOLL_WAKEUP));
        assertEquals(Errno.EOPNOTSUPP, ep.errno(), ep.getMessage());
        try (LinuxSuspendBlocker auto = LinuxSuspendBlocker.open("auto")) {
            assertEquals(Mechanism.PROCESS, auto.mechanism());
        }
        try (LinuxSuspendBlocker viaProvider = new LinuxBackendProvider().openSuspendBlocker(null)) {
            assertEquals(Mechanism.PROCESS, viaProvider.mechanism());
        }
    }

    @Test
    void epollWakeupIsRefusedWhenTheKernelDropsTheFlag() throws IOException {
        // A kernel without PM sleep support drops EPOLLWAKEUP silently; the blocker reads it back and says so.
        LinuxOnly.assumeRoot();
        assumeTrue(!Files.exists(Paths.get("/sys/power/wakeup_count")), "this host's kernel can suspend");
        final RtcException e = assertThrows(RtcException.class,
                () -> LinuxSuspendBlocker.open(Mechanism.EPOLL_WAKEUP, fakeSysPower(false), Paths.get("/proc/self")));
        assertEquals(Errno.EPERM, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("dropped EPOLLWAKEUP"), e.getMessage());
    }

    @Test
    void systemSuspendRefusesWhileHeldAndOtherwiseDoesTheWakeupCountHandshake() throws Exception {
        final Path power = fakeSysPower(false);
        try (LinuxSuspendBlocker b = LinuxSuspendBlocker.open(Mechanism.PROCESS, power, Paths.get("/proc/self"))) {
            final SystemSuspend gate = new SystemSuspend(b, power);
            Files.writeString(power.resolve("state"), "");
            b.acquire("valarm[5]", Duration.ofSeconds(30));
            final SuspendAttempt refused = gate.trySuspend();
            assertEquals(SuspendAttempt.Outcome.REFUSED, refused.outcome());
            assertEquals(Set.of("valarm[5]"), refused.heldTags());
            assertEquals("", Files.readString(power.resolve("state")), "a refused attempt wrote the state file");
            b.release("valarm[5]");

            final SuspendAttempt ok = gate.trySuspend();
            assertEquals(SuspendAttempt.Outcome.RESUMED, ok.outcome(), ok.detail());
            assertEquals("7", Files.readString(power.resolve("wakeup_count")), "the count read is written back");
            assertEquals("mem", Files.readString(power.resolve("state")));
            assertTrue(ok.heldTags().isEmpty());
        }
    }

    @Test
    void systemSuspendDefersUntilTheWakelockIsReleased() throws Exception {
        final Path power = fakeSysPower(false);
        try (LinuxSuspendBlocker b = LinuxSuspendBlocker.open(Mechanism.PROCESS, power, Paths.get("/proc/self"))) {
            final SystemSuspend gate = new SystemSuspend(b, power);
            Files.writeString(power.resolve("state"), "");
            // Before the acquire: the 400 ms run from inside it (a loaded machine can take tens of ms to return).
            final long t0 = System.nanoTime();
            b.acquire("valarm[1]", Duration.ofMillis(400));
            final SuspendAttempt a = gate.suspend(Duration.ofSeconds(20));
            final long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(SuspendAttempt.Outcome.RESUMED, a.outcome(), a.detail());
            assertTrue(ms >= 390, "suspended after " + ms + " ms, before the 400 ms wakelock ran out");
            assertEquals("mem", Files.readString(power.resolve("state")));

            Files.writeString(power.resolve("state"), "");
            b.acquire("valarm[1]", Duration.ofSeconds(60));
            final SuspendAttempt still = gate.suspend(Duration.ofMillis(300));
            assertEquals(SuspendAttempt.Outcome.REFUSED, still.outcome(), "held beyond the bound");
            assertEquals("", Files.readString(power.resolve("state")));
            assertThrows(IllegalArgumentException.class, () -> gate.suspend(Duration.ofMillis(-1)));
        }
    }

    @Test
    void systemSuspendWithoutPmSleepSupportIsATypedError() throws IOException {
        final Path power = fakeSysPower(false);
        Files.delete(power.resolve("wakeup_count"));
        try (LinuxSuspendBlocker b = LinuxSuspendBlocker.open(Mechanism.PROCESS, power, Paths.get("/proc/self"))) {
            final RtcException e = assertThrows(RtcException.class, () -> new SystemSuspend(b, power).trySuspend());
            assertEquals(Errno.EOPNOTSUPP, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("wakeup_count"), e.getMessage());
        }
    }
}
