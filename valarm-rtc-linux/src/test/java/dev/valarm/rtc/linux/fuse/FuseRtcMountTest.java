package dev.valarm.rtc.linux.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tier 2 plumbing: mounts go away on close, and the mounts of a server killed with SIGKILL (stale,
 * "Transport endpoint is not connected") are cleared before the next mount.
 */
final class FuseRtcMountTest {

    @BeforeAll
    static void requireFuse() {
        final String reason = FuseRtcMount.unavailableReason();
        Assumptions.assumeTrue(reason == null, () -> "Tier 2 (FUSE RTC emulator) skipped: " + reason);
    }

    /**
     * The child JVM: mounts an emulator, bind-mounts it under /dev, prints both paths, then waits to be killed.
     *
     * @param args unused
     * @throws Exception never expected
     */
    public static void main(final String[] args) throws Exception {
        final FuseRtcMount m = FuseRtcMount.mount(EmulatedRtcChip.withHostClock(Duration.ZERO));
        System.out.println("MOUNTED " + m.device() + " " + m.bindUnderDev());
        System.out.flush();
        System.in.read(); // killed before this returns
    }

    @Test
    void closeUnmountsEverything() throws Exception {
        final Path dir;
        final Path bind;
        try (FuseRtcMount m = FuseRtcMount.mount(EmulatedRtcChip.withHostClock(Duration.ZERO))) {
            dir = m.device().getParent();
            bind = m.bindUnderDev();
            assertTrue(mountPoints().contains(dir.toString()));
            assertTrue(mountPoints().contains(bind.toString()));
        }
        assertFalse(mountPoints().contains(dir.toString()));
        assertFalse(mountPoints().contains(bind.toString()));
        assertFalse(Files.exists(dir));
        assertFalse(Files.exists(bind));
    }

    @Test
    void staleMountsOfAKilledServerAreCleared() throws Exception {
        final Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        final Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
            FuseRtcMountTest.class.getName()).redirectErrorStream(true).start();
        final Path device;
        final Path bind;
        try {
            final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8));
            String line;
            String mounted = null;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("MOUNTED ")) {
                    mounted = line;
                    break;
                }
            }
            assertNotNull(mounted, "the child JVM did not mount");
            final String[] parts = mounted.split(" ");
            device = Paths.get(parts[1]);
            bind = Paths.get(parts[2]);
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        }
        final Path dir = device.getParent();
        assertTrue(mountPoints().contains(dir.toString()), "the killed server's mount is still there, stale");
        final IOException stale = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
            () -> Files.readAttributes(dir, "unix:mode"));
        assertTrue(String.valueOf(stale.getMessage()).contains("not connected"), stale.toString());

        FuseRtcMount.clearStaleMounts();

        assertFalse(mountPoints().contains(dir.toString()), "stale mount cleared");
        assertFalse(mountPoints().contains(bind.toString()), "stale bind mount cleared");
        assertFalse(Files.exists(bind), "the dead process's /dev file removed");
        assertFalse(Files.exists(dir), "the stale mount directory removed");
        try (FuseRtcMount m = FuseRtcMount.mount(EmulatedRtcChip.withHostClock(Duration.ZERO));
                RtcClient c = RtcClient.open(m.device())) {
            assertEquals(9, c.readTime().length, "a fresh mount works afterwards");
        }
    }

    private static List<String> mountPoints() throws IOException {
        return Files.readAllLines(Paths.get("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4]).toList();
    }
}
