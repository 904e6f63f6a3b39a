package dev.valarm.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.valarm.Errno;
import dev.valarm.ValarmDevice;
import dev.valarm.bridge.internal.Mounts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the bridge refuses, with the errno and a reason: no CUSE, not root, mount point busy, bad names. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TypedErrorsTest {

    @Test
    void noCuseInThisKernelIsATypedErrorAndNeverAFallbackToFuse() {
        Tier.requireHostFuse();
        assumeTrue(!Files.exists(Path.of("/dev/cuse")), "this kernel has CUSE (the guest tier covers it)");
        try (ValarmDevice d = Devices.linux(); AlarmBridge b = AlarmBridge.builder().shutdownHook(false).build()) {
            final BridgeException e = assertThrows(BridgeException.class,
                    () -> b.serveCuse(d.createInstance(), NodeSpec.of("alarm-" + ProcessHandle.current().pid())));
            assertTrue(e.errno() == Errno.ENOENT || e.errno() == Errno.ENODEV, e.getMessage());
            assertTrue(e.reason().contains("no CUSE in this kernel"), e.getMessage());
            assertTrue(Mounts.mountsAt(Path.of("/dev/alarm-" + ProcessHandle.current().pid())).isEmpty());
        }
    }

    @Test
    void withoutCapSysAdminTheMountIsRefusedWithEperm() throws Exception {
        Tier.requireHostFuse();
        Tier.require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "no setpriv (Debian: util-linux)");
        final Path dir = Devices.mountPoint("nocap");
        final Process p = new ProcessBuilder("setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), TryMount.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        System.out.println("[no CAP_SYS_ADMIN] " + out);
        assertTrue(out.contains("errno=" + Errno.EPERM + " "), out);
        assertTrue(out.contains("not root"), out);
        assertTrue(Mounts.mountsAt(dir).isEmpty(), "nothing was mounted");
    }

    @Test
    void aMountPointWithALiveFileSystemIsBusy() throws Exception {
        Tier.requireHostFuse();
        final Path dir = Devices.mountPoint("busy");
        assertEquals(0, new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.toString())
                .inheritIO().start().waitFor());
        try (AlarmBridge b = AlarmBridge.builder().shutdownHook(false).build()) {
            final BridgeException e = assertThrows(BridgeException.class, () -> b.mountFuse(dir));
            assertEquals(Errno.EBUSY, e.errno());
            assertTrue(e.reason().contains("mount point busy") && e.reason().contains("tmpfs"), e.getMessage());
            final BridgeException missing = assertThrows(BridgeException.class,
                    () -> b.mountFuse(dir.resolveSibling("does-not-exist-" + ProcessHandle.current().pid())));
            assertEquals(Errno.ENOENT, missing.errno(), missing.getMessage());
        } finally {
            new ProcessBuilder("umount", dir.toString()).inheritIO().start().waitFor();
        }
        assertEquals(List.of(), Mounts.mountsAt(dir));
    }

    @Test
    void badNamesModesAndOwnersAreRefusedWithTheValue() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeSpec.of("../etc")).getMessage().contains("../etc"));
        assertThrows(IllegalArgumentException.class, () -> NodeSpec.of(""));
        assertThrows(IllegalArgumentException.class, () -> NodeSpec.of(".."));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeSpec.of("a").mode(04755)).getMessage()
                .contains("04755"));
        assertThrows(IllegalArgumentException.class, () -> NodeSpec.of("a").owner(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> AlarmBridge.builder().cuseMajor(5000));
        assertEquals("alarm 1000:1001 0664", NodeSpec.of("alarm").owner(1000, 1001).mode(0664).toString());
    }

    /** Child process: tries to mount FUSE on argv[0] and prints the errno. */
    public static final class TryMount {
        private TryMount() {
        }

        public static void main(final String[] args) {
            try (AlarmBridge b = AlarmBridge.builder().shutdownHook(false).build()) {
                b.mountFuse(Path.of(args[0]));
                System.out.println("mounted (unexpected)");
            } catch (final BridgeException e) {
                System.out.println("errno=" + e.errno() + " " + e.getMessage());
            }
        }
    }
}
