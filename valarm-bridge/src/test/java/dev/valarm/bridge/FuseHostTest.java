package dev.valarm.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.InstanceConfig;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Host tier: the C conformance client against FUSE mounts on this machine's kernel, three instances with
 * different wall clocks, one per mount and several in one mount, 64-bit and 32-bit callers.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FuseHostTest {
    /** Wall-clock offsets of the three instances: a day behind, the host's, a day ahead. */
    private static final long[] OFFSETS_NS = {-86_400_000_000_000L, 0L, 86_400_000_000_000L};

    private ValarmDevice device;
    private AlarmBridge bridge;

    @BeforeEach
    void start() {
        Tier.requireHostFuse();
        device = Devices.linux();
        bridge = AlarmBridge.builder().threadName("bridge-under-test").build();
    }

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
        if (device != null) {
            device.close();
        }
    }

    private ValarmInstance instance(final int i) {
        return device.createInstance(InstanceConfig.builder().name("tenant" + i)
                .wallClockOffset(Duration.ofNanos(OFFSETS_NS[i])).build());
    }

    private static CompletableFuture<CClient.Run> client(final CClient.Build build, final Path node, final long offset) {
        return CompletableFuture.supplyAsync(() -> CClient.run(List.of(), build, List.of("--node", node.toString(),
                "--transport", "fuse", "--wall-offset-ns", Long.toString(offset)), 120));
    }

    @Test
    void threeInstancesOneMountEach() {
        final List<CompletableFuture<CClient.Run>> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            final Path dir = Devices.mountPoint("one-each-" + i);
            final FuseMount m = bridge.mountFuse(dir, instance(i), NodeSpec.of("alarm").mode(0666));
            runs.add(client(CClient.Build.LP64, m.mountPoint().resolve("alarm"), OFFSETS_NS[i]));
        }
        for (int i = 0; i < 3; i++) {
            runs.get(i).join().assertAllPassed("FUSE mount " + i + " (wall offset " + OFFSETS_NS[i] + " ns)");
        }
        assertEquals(0, bridge.blockedWaits(), "every WAIT was answered");
    }

    @Test
    void severalInstancesInOneMountWithTheirOwnPermissions() throws IOException {
        final Path dir = Devices.mountPoint("shared");
        final FuseMount m = bridge.mountFuse(dir);
        final List<Path> files = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            files.add(m.add(instance(i), NodeSpec.of("alarm" + i).owner(1000 + i, 1001).mode(0664)));
        }
        assertEquals(List.of("alarm0", "alarm1", "alarm2"), m.files());
        try (var list = Files.list(dir)) {
            assertEquals(3, list.count(), "readdir lists the three files");
        }
        final PosixFileAttributes a = Files.readAttributes(files.get(1), PosixFileAttributes.class);
        assertTrue(a.isRegularFile());
        assertEquals("rw-rw-r--", PosixFilePermissions.toString(a.permissions()));
        assertEquals(1001, (int) Files.getAttribute(files.get(1), "unix:uid"));
        assertEquals(1001, (int) Files.getAttribute(files.get(1), "unix:gid"));
        final List<CompletableFuture<CClient.Run>> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            runs.add(client(CClient.Build.LP64, files.get(i), OFFSETS_NS[i]));
        }
        for (int i = 0; i < 3; i++) {
            runs.get(i).join().assertAllPassed("file alarm" + i + " of one mount");
        }
        assertThrows(IllegalArgumentException.class, () -> m.add(instance(0), NodeSpec.of("alarm0")));
        assertTrue(m.remove("alarm2"));
        assertFalse(Files.exists(files.get(2)), "a removed file is gone at once");
    }

    @Test
    void thirtyTwoBitCallers() {
        Tier.require(CClient.multilibAvailable(), "gcc -m32 -static does not work here (Debian: apt-get install gcc-multilib)");
        final Path dir = Devices.mountPoint("compat");
        final FuseMount m = bridge.mountFuse(dir, instance(2), NodeSpec.of("alarm").mode(0666));
        CClient.run(List.of(), CClient.Build.COMPAT32_STATIC, List.of("--node", m.mountPoint().resolve("alarm").toString(),
                "--transport", "fuse", "--wall-offset-ns", Long.toString(OFFSETS_NS[2])), 120)
                .assertAllPassed("32-bit caller on FUSE");
    }

    @Test
    void theKernelEnforcesEachFilesMode() throws Exception {
        final Path dir = Devices.mountPoint("modes");
        final FuseMount m = bridge.mountFuse(dir);
        final Path priv = m.add(instance(0), NodeSpec.of("private"));
        final Path android = m.add(instance(1), NodeSpec.of("alarm").owner(1000, 1001).mode(0664));
        assertEquals(0, asNobody("exec 3< " + android), "a 0664 node opens read-only for anyone");
        assertTrue(asNobody("exec 3<> " + android) != 0, "a 0664 node does not open read-write for others");
        assertTrue(asNobody("exec 3< " + priv) != 0, "a 0600 root node does not open for others");
        assertTrue(asNobody("chmod 666 " + android) != 0, "others cannot change the mode");
    }

    /** Runs {@code sh -c script} as uid/gid 65534. */
    private static int asNobody(final String script) throws Exception {
        final Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c",
                script).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        System.out.println("[as nobody] " + script + " -> " + p.exitValue() + " " + out.trim());
        return p.exitValue();
    }
}
