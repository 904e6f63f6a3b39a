package dev.valarm.bridge.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.bridge.AlarmBridge;
import dev.valarm.bridge.BridgeException;
import dev.valarm.bridge.CuseDevice;
import dev.valarm.bridge.NodeSpec;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.jdk.NoWakeRtcBackend;
import dev.valarm.rtc.linux.LinuxHostClocks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Guest tier (inside qemu, Debian's kernel with {@code fuse.ko} and {@code cuse.ko} loaded): three
 * instances with different wall clocks (and a fourth) served as CUSE character devices under one major, the conformance
 * client (GET_TIME included) from 64-bit and 32-bit processes against each, and the typed errors.
 * Runs only in the guest ({@code -Dvalarm.guest=true}); the binaries were built on the host.
 */
class GuestCuseTest {
    /** Wall-clock offsets: a day behind, the host's, a day ahead (twice: the fourth serves the 32-bit client). */
    private static final long[] OFFSETS_NS = {-86_400_000_000_000L, 0L, 86_400_000_000_000L, 86_400_000_000_000L};

    @Test
    void cuseDevicesServeTheConformanceClient() throws Exception {
        assumeTrue(Boolean.getBoolean("valarm.guest"), "guest-only (run by QemuCuseTest inside qemu)");
        final Path client64 = Path.of(System.getProperty("valarm.bridge.client64"));
        final Path client32 = Path.of(System.getProperty("valarm.bridge.client32"));
        final LinuxHostClocks clocks = LinuxHostClocks.open();
        try (ValarmDevice device = Valarm.builder().hostClocks(clocks).rtcBackend(new NoWakeRtcBackend(clocks)).build();
             AlarmBridge bridge = AlarmBridge.start()) {
            final List<CuseDevice> devs = new ArrayList<>();
            for (int i = 0; i < OFFSETS_NS.length; i++) {
                final ValarmInstance in = device.createInstance(InstanceConfig.builder().name("tenant" + i)
                        .wallClockOffset(Duration.ofNanos(OFFSETS_NS[i])).build());
                devs.add(bridge.serveCuse(in, NodeSpec.of(i == 0 ? "alarm" : "alarm" + i).owner(1000, 1001).mode(0666)));
            }
            assertEquals(Path.of("/dev/alarm"), devs.get(0).node());
            for (int i = 0; i < devs.size(); i++) {
                final CuseDevice d = devs.get(i);
                assertTrue(Files.exists(d.node()), d + " has a node");
                assertEquals(d.major(), devs.get(0).major(), "one major for every device of the bridge");
                assertEquals(d.instance().minor(), d.minor(), "the instance's minor");
                assertEquals(1000, (int) Files.getAttribute(d.node(), "unix:uid"));
                assertEquals(1001, (int) Files.getAttribute(d.node(), "unix:gid"));
                assertEquals(0666, (int) Files.getAttribute(d.node(), "unix:mode") & 0777);
                assertTrue(((int) Files.getAttribute(d.node(), "unix:mode") & 0170000) == 0020000, "a char device");
                assertEquals(d.major() + ":" + d.minor(), Files.readString(Path.of("/sys/class/cuse", d.spec().name(),
                        "dev"), StandardCharsets.US_ASCII).trim());
            }
            assertNotEquals(devs.get(0).minor(), devs.get(1).minor(), "distinct minors");

            final BridgeException taken = assertThrows(BridgeException.class,
                    () -> bridge.serveCuse(device.createInstance(), NodeSpec.of("alarm")));
            assertEquals(Errno.EEXIST, taken.errno(), taken.getMessage());

            final List<CompletableFuture<String>> runs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                runs.add(run(client64, devs.get(i).node(), OFFSETS_NS[i]));
            }
            runs.add(run(client32, devs.get(3).node(), OFFSETS_NS[3]));
            for (final CompletableFuture<String> r : runs) {
                r.get(240, TimeUnit.SECONDS);
            }
            final Path node = devs.get(1).node();
            devs.get(1).close();
            assertTrue(!Files.exists(node), "closing the device removes its node");
        }
        assertTrue(!Files.exists(Path.of("/dev/alarm")), "stopping the bridge removes every node");
    }

    private static CompletableFuture<String> run(final Path client, final Path node, final long offset) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                final Process p = new ProcessBuilder(client.toString(), "--node", node.toString(), "--transport", "cuse",
                        "--wall-offset-ns", Long.toString(offset)).redirectErrorStream(true).start();
                final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(200, TimeUnit.SECONDS), "client hung");
                System.out.println("[guest client " + client.getFileName() + "] " + node + "\n" + out);
                assertEquals(0, p.exitValue(), "conformance client " + client.getFileName() + " on " + node + ":\n" + out);
                return out;
            } catch (final IOException e) {
                throw new AssertionError(e);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        });
    }
}
