package dev.valarm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The daemon as a real process on the host's FUSE: the config's instances (two mounts, three wall clocks)
 * serve the conformance client in separate processes; the control socket lists them; a config error exits 2
 * naming the file, line and field, with nothing served; a second daemon on the same state is refused.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ServeProcessTest {
    private static final long DAY = 86_400_000_000_000L;

    @Test
    void theConfigsInstancesServeTheConformanceClientAndTheControlSocketListsThem() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("serve");
        Files.createDirectories(dir.resolve("m1"));
        Files.createDirectories(dir.resolve("m2"));
        final String conf = "[instance behind]\ntransport = fuse\nmount = " + dir.resolve("m1") + "\nnode = alarm\nmode = 0666\n"
                + "wall-clock-offset = -1d\n"
                + "[instance same]\ntransport = fuse\nmount = " + dir.resolve("m1") + "\nnode = alarm-same\nmode = 0666\n"
                + "[instance ahead]\ntransport = fuse\nmount = " + dir.resolve("m2") + "\nnode = alarm\nowner = 1000\ngroup = 1001\n"
                + "mode = 0664\nwall-clock-offset = 1d\n";
        try (DaemonProcess d = DaemonProcess.start(dir, conf); Clients clients = new Clients()) {
            @SuppressWarnings("unchecked")
            final List<Map<String, Object>> list = (List<Map<String, Object>>) d.ok(Map.of("cmd", "list")).get("instances");
            assertEquals(3, list.size(), list.toString());
            final Map<String, Object> ahead = list.stream().filter(m -> m.get("name").equals("ahead")).findFirst().orElseThrow();
            assertEquals(dir.resolve("m2/alarm").toString(), ahead.get("node"));
            assertEquals("fuse", ahead.get("transport"));
            assertEquals(1000L, ahead.get("owner"));
            assertEquals(1001L, ahead.get("group"));
            assertEquals("0664", ahead.get("mode"));
            assertEquals("1d", ahead.get("wall_clock_offset"));
            assertEquals(1000, (int) Files.getAttribute(dir.resolve("m2/alarm"), "unix:uid"));
            assertEquals(0664, (int) Files.getAttribute(dir.resolve("m2/alarm"), "unix:mode") & 0777);
            final List<Clients.Run> runs = new ArrayList<>();
            final String[][] nodes = {{dir.resolve("m1/alarm").toString(), Long.toString(-DAY)},
                {dir.resolve("m1/alarm-same").toString(), "0"}, {dir.resolve("m2/alarm").toString(), Long.toString(DAY)}};
            for (final String[] n : nodes) {
                runs.add(clients.start(CBinaries.binary(CBinaries.Client.CONFORMANCE), "--node", n[0], "--transport", "fuse",
                        "--wall-offset-ns", n[1]));
            }
            for (int i = 0; i < runs.size(); i++) {
                final Clients.Run r = runs.get(i);
                final int status = r.await(180);
                System.out.println("[conformance " + nodes[i][0] + "]\n" + r.output());
                assertEquals(0, status, "the conformance client against " + nodes[i][0] + ":\n" + r.output());
                assertTrue(r.output().contains("# 16 ok, 0 not ok"), r.output());
            }
            @SuppressWarnings("unchecked")
            final Map<String, Object> stats = (Map<String, Object>) d.ok(Map.of("cmd", "stats")).get("stats");
            @SuppressWarnings("unchecked")
            final Map<String, Object> dev = (Map<String, Object>) stats.get("device");
            assertEquals(3L, dev.get("instances"));
            assertEquals("fresh", stats.get("started"));
            assertTrue(((Number) stats.get("requests_served")).longValue() > 100, stats.toString());

            // A second daemon on the same state directory is refused (exit 1), the first serves on.
            final String out = serveToExit(List.of(), d.config, 1);
            assertTrue(out.contains("another valarm daemon (pid " + d.process().pid() + ")"), out);
            assertEquals(d.process().pid(), d.servingPid());
        }
        assertTrue(mountsUnder(dir).isEmpty(), "a shutdown unmounts everything: " + mountsUnder(dir));
    }

    @Test
    void aConfigErrorExitsTwoNamingFileLineAndFieldAndServesNothing() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("badconf");
        Files.createDirectories(dir.resolve("m"));
        final DaemonProcess d = DaemonProcess.prepare(dir, "[instance ok]\ntransport = fuse\nmount = " + dir.resolve("m")
                + "\n[instance bad]\ntransport = fuse\nmount = " + dir.resolve("m") + "\nnode = other\nmode = 0999\n", List.of());
        final String out = serveToExit(List.of(), d.config, 2);
        // line 1 is the state-dir the test prepends: the bad mode is on line 9
        assertTrue(out.contains(d.config + ":9: mode: must be octal"), out);
        assertTrue(out.contains("0999"), out);
        assertTrue(mountsUnder(dir).isEmpty(), "nothing mounted: " + mountsUnder(dir));
        assertFalse(Files.exists(d.state.resolve("keeper.sock")), "no keeper started");

        final DaemonProcess cuse = DaemonProcess.prepare(Host.dir("badconf-cuse"), "[instance c]\ntransport = cuse\n", List.of());
        final Process q = new ProcessBuilder(DaemonProcess.command(List.of(), "serve", "--config", cuse.config.toString()))
                .redirectErrorStream(true).start();
        final String qout = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(q.waitFor(60, TimeUnit.SECONDS));
        if (!Files.exists(Path.of("/dev/cuse"))) {
            assertEquals(2, q.exitValue(), qout);
            assertTrue(qout.contains(cuse.config + ":3: transport: cuse was asked for, but this kernel has no CUSE"), qout);
        }
        cuse.close();
    }

    @Test
    void anExplicitBackendThatCannotBeHonouredFailsTheStartInsteadOfFallingBack() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("backend");
        Files.createDirectories(dir.resolve("m"));
        final String instance = "[instance a]\ntransport = fuse\nmount = " + dir.resolve("m") + "\n";
        // A provider that does not exist, and the Linux provider's RTC backend on a device that does not exist.
        final List<List<String>> cases = List.of(List.of("backend = nope\n", "", "nope"),
                List.of("backend = linux\n", "-Dvalarm.rtc.backend=rtc-device:/dev/rtc-none-" + ProcessHandle.current().pid(),
                        "/dev/rtc-none-"));
        for (final List<String> c : cases) {
            final DaemonProcess d = DaemonProcess.prepare(dir, c.get(0) + instance, List.of());
            final String out = serveToExit(c.get(1).isEmpty() ? List.of() : List.of(c.get(1)), d.config, 1);
            assertTrue(out.contains(c.get(2)), "the refusal names the choice: " + out);
            assertTrue(mountsUnder(dir).isEmpty(), "nothing served: " + mountsUnder(dir));
            d.close();
        }
    }

    @Test
    void aStartThatFailsHalfWayServesNothingHalf() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("half");
        Files.createDirectories(dir.resolve("ok"));
        Files.createDirectories(dir.resolve("busy"));
        final Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "tmpfs", dir.resolve("busy").toString())
                .redirectErrorStream(true).start();
        assertTrue(mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0, "mount tmpfs");
        try {
            final DaemonProcess d = DaemonProcess.prepare(dir, "[instance first]\ntransport = fuse\nmount = "
                    + dir.resolve("ok") + "\n[instance second]\ntransport = fuse\nmount = " + dir.resolve("busy") + "\n",
                    List.of());
            try (d) {
                final String out = serveToExit(List.of(), d.config, 1);
                assertTrue(out.contains("mount point busy"), out);
                assertEquals(List.of(dir.resolve("busy").toString()), mountsUnder(dir), "the first instance's mount is gone");
                final long keeper = d.keeperPid();
                assertTrue(keeper > 0, "the keeper runs");
                assertEquals(0, keptFds(d), "the keeper holds nothing");
            }
        } finally {
            new ProcessBuilder("umount", "-l", dir.resolve("busy").toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static long keptFds(final DaemonProcess d) {
        return new dev.valarm.daemon.internal.keeper.KeeperClient(d.state.resolve("keeper.sock")).list().size();
    }

    static List<String> mountsUnder(final Path dir) throws IOException {
        final List<String> out = new ArrayList<>();
        for (final String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            final String[] f = line.split(" ");
            if (f.length > 4 && f[4].startsWith(dir.toString())) {
                out.add(f[4]);
            }
        }
        return out;
    }

    /** Runs {@code serve --config config} as a process to its end (at most 60 s) and checks its exit status. */
    private static String serveToExit(final List<String> jvmOptions, final Path config, final int status) throws Exception {
        final Process p = new ProcessBuilder(DaemonProcess.command(jvmOptions, "serve", "--config", config.toString()))
                .redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(status, p.exitValue(), out);
        return out;
    }
}
