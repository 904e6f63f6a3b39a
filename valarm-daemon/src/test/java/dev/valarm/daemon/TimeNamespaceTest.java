package dev.valarm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An instance whose clocks come from a container's time namespace ({@code clocks-from-pid}): clients in that
 * namespace ({@code nsenter --time}) see their ELAPSED and SYSTEMTIME alarms fire by their own
 * {@code CLOCK_BOOTTIME} and {@code CLOCK_MONOTONIC}, across a daemon crash too (the offsets are in the
 * journal, the process they came from may be gone).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TimeNamespaceTest {
    private static final long BOOT_S = 100_000;
    private static final long MONO_S = 50_000;

    @Test
    void clientsInAContainersTimeNamespaceSeeTheirAlarmsByTheirOwnClocks() throws Exception {
        Host.requireFuse();
        Host.require(Files.exists(Path.of("/proc/self/timens_offsets")), "no time namespaces in this kernel (CONFIG_TIME_NS)");
        final Path dir = Host.dir("timens");
        Files.createDirectories(dir.resolve("m"));
        final Process container = new ProcessBuilder("unshare", "--time", "--boottime", Long.toString(BOOT_S), "--monotonic",
                Long.toString(MONO_S), "sleep", "600").start();
        try (Clients clients = new Clients()) {
            final long pid = container.pid();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.readString(Path.of("/proc", Long.toString(pid), "timens_offsets")).contains(Long.toString(BOOT_S))) {
                assertTrue(System.nanoTime() - deadline < 0, "the container process did not enter its namespace");
                DaemonProcess.sleepMillis(10);
            }
            final String conf = "[instance ns]\ntransport = fuse\nmount = " + dir.resolve("m") + "\nnode = alarm\nmode = 0666\n"
                    + "clocks-from-pid = " + pid + "\n"
                    + "[instance host]\ntransport = fuse\nmount = " + dir.resolve("m") + "\nnode = host\nmode = 0666\n";
            try (DaemonProcess d = DaemonProcess.start(dir, conf)) {
                @SuppressWarnings("unchecked")
                final List<Map<String, Object>> list = (List<Map<String, Object>>) d.ok(Map.of("cmd", "list")).get("instances");
                final Map<String, Object> ns = list.stream().filter(m -> m.get("name").equals("ns")).findFirst().orElseThrow();
                assertEquals("1d3h46m40s", ns.get("boottime_offset"), ns.toString());
                assertEquals("13h53m20s", ns.get("monotonic_offset"), ns.toString());
                final List<String> inside = List.of("nsenter", "--time", "--target", Long.toString(pid));
                final Path churn = CBinaries.binary(CBinaries.Client.CHURN);
                final String node = dir.resolve("m/alarm").toString();
                // ELAPSED (BOOTTIME) and SYSTEMTIME (MONOTONIC) alarms, by the container's own clocks.
                for (final int type : new int[] {3, 4}) {
                    final Clients.Run r = clients.start(inside, churn, "--node", node, "--duration-ms", "1500", "--type",
                            Integer.toString(type), "--lost-ms", "5000");
                    assertEquals(0, r.await(60), r.output());
                    final String line = r.line("churn node=");
                    assertEquals(0, Clients.longField(line, "early"), line);
                    assertTrue(Clients.longField(line, "max_late_us") < 500_000, "on time by the container's clock: " + line);
                }
                // The same client in the container against the host-clocked instance: its alarms come early or
                // are lost by its clock (the watchdog ends it), which is what the offsets are for.
                final Clients.Run wrong = clients.start(inside, churn, "--node", dir.resolve("m/host").toString(),
                        "--duration-ms", "500", "--type", "3", "--lost-ms", "2000");
                assertTrue(wrong.await(60) != 0, "an instance without the offsets does not match: " + wrong.output());
                // The conformance client in the namespace (its ELAPSED checks read CLOCK_BOOTTIME).
                final Clients.Run conf2 = clients.start(inside, CBinaries.binary(CBinaries.Client.CONFORMANCE), "--node", node,
                        "--transport", "fuse", "--only", "set_wait_every_type,coalesced");
                assertEquals(0, conf2.await(120), conf2.output());
                // The container's process goes away and the daemon crashes: the offsets come from the journal.
                container.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                final Process again = new ProcessBuilder("unshare", "--time", "--boottime", Long.toString(BOOT_S), "--monotonic",
                        Long.toString(MONO_S), "sleep", "600").start();
                try {
                    d.kill9(d.process().pid());
                    d.launch();
                    d.awaitReady(1, 90);
                    final Clients.Run after = clients.start(List.of("nsenter", "--time", "--target", Long.toString(again.pid())),
                            churn, "--node", node, "--duration-ms", "1000", "--type", "3", "--lost-ms", "5000");
                    assertEquals(0, after.await(60), after.output());
                    assertEquals(0, Clients.longField(after.line("churn node="), "early"), after.output());
                } finally {
                    again.destroyForcibly();
                }
            }
        } finally {
            container.destroyForcibly();
        }
    }
}
