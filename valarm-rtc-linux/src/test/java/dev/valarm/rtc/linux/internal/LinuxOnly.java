package dev.valarm.rtc.linux.internal;

import java.util.Locale;
import org.junit.jupiter.api.Assumptions;

/** Test helper: skip where the host is not Linux. */
public final class LinuxOnly {
    private LinuxOnly() {
    }

    /** Skips the test, saying why, when not on Linux x86-64/aarch64. */
    public static void assumeLinux() {
        final String os = System.getProperty("os.name", "?");
        final String arch = System.getProperty("os.arch", "?");
        Assumptions.assumeTrue(os.toLowerCase(Locale.ROOT).startsWith("linux")
                && ("amd64".equals(arch) || "aarch64".equals(arch)),
                "Tier 1 needs the Linux kernel on x86-64 or aarch64; this is " + os + "/" + arch);
    }

    /** Skips the test, saying why, when not running as root. */
    public static void assumeRoot() {
        assumeLinux();
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root (CAP_SYS_TIME / CAP_WAKE_ALARM); running as " + System.getProperty("user.name"));
    }
}
