package dev.valarm.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The preconditions of the process tests (the bridge's {@code Tier} rule: skip when one is missing, fail on CI),
 * and the tests' directories.
 */
final class Host {
    private Host() {
    }

    static void require(final boolean ok, final String reason) {
        dev.valarm.bridge.Tier.require(ok, reason);
    }

    static boolean root() {
        try {
            return Files.readString(Path.of("/proc/self/status")).lines().filter(l -> l.startsWith("Uid:"))
                    .anyMatch(l -> l.split("\\s+")[2].equals("0"));
        } catch (final IOException e) {
            return false;
        }
    }

    /** x86-64 Linux, root, /dev/fuse, gcc: what the daemon's host tests need. */
    static void requireFuse() {
        final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        require(os.startsWith("linux") && "amd64".equals(System.getProperty("os.arch")),
                "the daemon's host tests need x86-64 Linux, this is " + os + "/" + System.getProperty("os.arch"));
        require(root(), "the daemon's host tests need root (mount, /dev/fuse)");
        require(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse on this machine");
        require(CBinaries.gccAvailable(), "no gcc on PATH (Debian: apt-get install gcc)");
    }

    /** The module's directory. */
    static Path basedir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    }

    /** A fresh directory under target/ named with the test's name and the pid. */
    static Path dir(final String name) {
        final Path p = basedir().resolve("target/daemon-tests/" + name + "-" + ProcessHandle.current().pid());
        try {
            if (Files.exists(p)) {
                DaemonProcess.clearMounts(p);
                try (var s = Files.walk(p)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
            Files.createDirectories(p);
        } catch (final IOException e) {
            throw new AssertionError("creating " + p + ": " + e, e);
        }
        return p;
    }
}
