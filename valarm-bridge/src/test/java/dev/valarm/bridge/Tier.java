package dev.valarm.bridge;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.valarm.bridge.internal.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The preconditions of the kernel tiers: a test skips when one is missing, except on CI ({@code CI=true}),
 * where every tier must run and a missing precondition fails.
 */
public final class Tier {
    private Tier() {
    }

    static boolean ci() {
        return "true".equals(System.getenv("CI"));
    }

    /** Skips (or, on CI, fails) with {@code reason} unless {@code ok}. */
    public static void require(final boolean ok, final String reason) {
        if (ci()) {
            assertTrue(ok, "CI=true, so this tier must run: " + reason);
        } else {
            assumeTrue(ok, reason);
        }
    }

    /** Linux x86-64, root, /dev/fuse, gcc. */
    static void requireHostFuse() {
        final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        require(os.startsWith("linux") && "amd64".equals(System.getProperty("os.arch")),
                "the FUSE tier needs x86-64 Linux, this is " + os + "/" + System.getProperty("os.arch"));
        require(Native.get().libc().geteuid() == 0, "the FUSE tier needs root (mount)");
        require(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse on this machine");
        require(CClient.gccAvailable(), "no gcc on PATH (Debian: apt-get install gcc)");
    }
}
