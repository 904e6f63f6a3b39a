package dev.valarm.bridge;

import dev.valarm.ValarmDevice;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.jdk.NoWakeRtcBackend;
import dev.valarm.rtc.linux.LinuxHostClocks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Devices on the real Linux clocks, and per-test directories under {@code target/}. */
final class Devices {
    private Devices() {
    }

    /** A device on the host's real clocks (BOOTTIME is CLOCK_BOOTTIME), no wake backend. */
    static ValarmDevice linux() {
        final LinuxHostClocks clocks = LinuxHostClocks.open();
        return Valarm.builder().hostClocks(clocks).rtcBackend(new NoWakeRtcBackend(clocks))
                .threadName("valarm-test-dispatcher").build();
    }

    /** A fresh directory under target/ named with the pid, for a mount point. */
    static Path mountPoint(final String name) {
        final Path p = CClient.basedir().resolve("target/mnt/" + name + "-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(p);
        } catch (final IOException e) {
            throw new AssertionError("creating " + p + ": " + e, e);
        }
        return p;
    }
}
