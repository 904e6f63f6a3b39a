package dev.valarm.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import dev.valarm.ValarmDevice;
import dev.valarm.bridge.internal.Mounts;
import dev.valarm.bridge.internal.Native;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A predecessor killed with SIGKILL leaves a stale mount ("Transport endpoint is not connected"); the next
 * bridge clears it and serves. A live mount is refused as busy, never stolen.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StaleMountTest {
    private ValarmDevice device;

    @BeforeEach
    void start() {
        Tier.requireHostFuse();
        device = Devices.linux();
    }

    @AfterEach
    void stop() {
        if (device != null) {
            device.close();
        }
    }

    @Test
    void aStartAfterACrashClearsTheStaleMount() throws Exception {
        final Path dir = Devices.mountPoint("stale");
        final Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ServeUntilKilled.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean ready = false;
            while ((line = r.readLine()) != null) {
                System.out.println("[predecessor] " + line);
                if (line.equals(ServeUntilKilled.READY)) {
                    ready = true;
                    break;
                }
            }
            assertTrue(ready, "the predecessor never served");
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no unmount
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        final List<Mounts.MountEntry> left = Mounts.mountsAt(dir);
        assertEquals(1, left.size(), "the dead predecessor's mount is still there: " + left);
        final Native nat = Native.get();
        assertTrue(nat.libc().open(dir.resolve("alarm").toString(), 0, 0) < 0 && nat.errno() == 107,
                "the predecessor's mount is stale (ENOTCONN)");

        try (AlarmBridge bridge = AlarmBridge.builder().threadName("bridge-successor").build()) {
            bridge.mountFuse(dir, device.createInstance(), NodeSpec.of("alarm").mode(0600));
            assertEquals(1, Mounts.mountsAt(dir).size(), "the stale mount was replaced, not stacked on");
            CClient.run(List.of(), CClient.Build.LP64, List.of("--node", dir.resolve("alarm").toString(),
                    "--transport", "fuse", "--only", "read_only,set_wait_every_type"), 60)
                    .assertAllPassed("after clearing the stale mount");

            // A live mount is busy: a second bridge refuses it with EBUSY and leaves it alone.
            try (AlarmBridge other = AlarmBridge.builder().threadName("bridge-intruder").shutdownHook(false).build()) {
                final BridgeException e = assertThrows(BridgeException.class, () -> other.mountFuse(dir));
                assertEquals(Errno.EBUSY, e.errno(), e.getMessage());
                assertTrue(e.reason().contains("mount point busy"), e.getMessage());
            }
            CClient.run(List.of(), CClient.Build.LP64, List.of("--node", dir.resolve("alarm").toString(),
                    "--transport", "fuse", "--only", "read_only"), 60).assertAllPassed("the live mount still serves");
        }
        assertTrue(Mounts.mountsAt(dir).isEmpty(), "close unmounts");
    }

    /** The predecessor: serves one instance on the directory in argv[0] until killed. */
    public static final class ServeUntilKilled {
        static final String READY = "SERVING";

        private ServeUntilKilled() {
        }

        public static void main(final String[] args) throws Exception {
            final ValarmDevice d = Devices.linux();
            final AlarmBridge b = AlarmBridge.start();
            b.mountFuse(Path.of(args[0]), d.createInstance(), NodeSpec.of("alarm"));
            System.out.println(READY);
            System.out.flush();
            Thread.sleep(TimeUnit.MINUTES.toMillis(5));
            System.exit(File.separatorChar == '/' ? 1 : 2);
        }
    }
}
