package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import dev.valarm.rtc.linux.internal.LinuxOnly;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tier 1: {@code Valarm.openDefault()} in a fresh JVM ({@link OpenDefaultChild}) with the Linux
 * provider's system properties, as an operator sets them. An explicit wake-backend choice that cannot be
 * honoured fails with a typed error naming the choice and the reason, and an slf4j ERROR line; it never
 * falls back. Automatic choices fall back, and say why in the log.
 */
final class ExplicitChoiceTest {

    @Test
    void anExplicitRtcDeviceThatDoesNotExistFailsNamingTheChoiceAndTheReason(@TempDir final Path dir)
            throws Exception {
        LinuxOnly.assumeLinux();
        final String choice = "rtc-device:" + dir.resolve("nonexistent-rtc-" + ProcessHandle.current().pid());
        final ChildJvm child = ChildJvm.run(List.of(), List.of("-D" + LinuxBackendProvider.BACKEND_PROPERTY + "="
                + choice), OpenDefaultChild.class);
        final String last = child.last();
        assertTrue(last.startsWith("failed " + Errno.ENOENT + " open RTC backend " + choice + " (system property "
                + LinuxBackendProvider.BACKEND_PROPERTY + ")"), last);
        assertTrue(last.contains("ENOENT") && last.contains("does not fall back"), last);
        assertTrue(child.err().lines().anyMatch(l -> l.contains("ERROR dev.valarm.impl.Valarm") && l.contains(choice)),
                "an slf4j ERROR line names the choice:\n" + child.err());
        assertFalse(child.err().contains("no-wake"), "nothing fell back:\n" + child.err());
    }

    @Test
    void anUnknownRtcBackendNameFailsNamingIt() throws Exception {
        LinuxOnly.assumeLinux();
        final ChildJvm child = ChildJvm.run(List.of(), List.of("-D" + LinuxBackendProvider.BACKEND_PROPERTY
                + "=floppy"), OpenDefaultChild.class);
        final String last = child.last();
        assertTrue(last.startsWith("failed " + Errno.EINVAL + " open RTC backend floppy (system property"), last);
        assertTrue(last.contains("unknown RTC backend name: \"floppy\""), last);
        assertTrue(child.err().contains("ERROR dev.valarm.impl.Valarm"), child.err());
    }

    @Test
    void anUnknownProviderFailsNamingIt() throws Exception {
        final ChildJvm child = ChildJvm.run(List.of(), List.of("-Dvalarm.backend=nope"), OpenDefaultChild.class);
        final String last = child.last();
        assertTrue(last.startsWith("failed " + Errno.ENOENT + " select backend provider") && last.contains("\"nope\"")
                && last.contains("linux"), last);
        assertTrue(child.err().contains("ERROR dev.valarm.impl.Valarm"), child.err());
    }

    @Test
    void theAutomaticChoiceUsesTheLinuxProviderAndLogsWhyWhenItsBackendCannotWake() throws Exception {
        LinuxOnly.assumeLinux();
        final ChildJvm child = ChildJvm.run(List.of(), List.of(), OpenDefaultChild.class);
        final String last = child.last();
        assertTrue(last.startsWith("opened linux-clocks + "), last);
        if (last.endsWith("canWake=false")) {
            assertTrue(child.err().lines().anyMatch(l -> l.contains("WARN") && l.contains("cannot wake")),
                    "a backend that cannot wake is chosen only with a warning saying why:\n" + child.err());
        }
    }

    @Test
    void whenNoLinuxWakeBackendOpensTheAutomaticChoiceFallsBackToNoWakeAndLogsEveryReason(@TempDir final Path dir)
            throws Exception {
        LinuxOnly.assumeRoot();
        Assumptions.assumeTrue(Files.isExecutable(Paths.get("/usr/bin/setpriv")),
                "needs setpriv (util-linux) at /usr/bin/setpriv");
        // No CAP_WAKE_ALARM (alarm-timerfd: EPERM), and an RTC device and sysfs directory that do not exist.
        final ChildJvm child = ChildJvm.run(List.of("/usr/bin/setpriv", "--bounding-set=-wake_alarm",
                "--inh-caps=-wake_alarm"), List.of("-D" + LinuxBackendProvider.DEVICE_PROPERTY + "=" + dir.resolve("rtc"),
                "-D" + LinuxBackendProvider.SYSFS_PROPERTY + "=" + dir.resolve("sysfs")), OpenDefaultChild.class);
        assertEquals("opened linux-clocks + no-wake canWake=false", child.last());
        final String warn = child.err().lines().filter(l -> l.contains("using the portable no-wake backend"))
                .findFirst().orElse("");
        assertTrue(warn.contains("WARN") && warn.contains("alarm-timerfd: EPERM") && warn.contains("rtc-device: ENOENT")
                && warn.contains("sysfs-wakealarm: ENOENT"), "the fallback names every reason:\n" + child.err());
    }
}
