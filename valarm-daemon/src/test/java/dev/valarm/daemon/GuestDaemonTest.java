package dev.valarm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Guest tier (inside qemu: Debian's Linux 6.1 with {@code fuse.ko} and {@code cuse.ko}; run by
 * {@link QemuDaemonTest}, skipped elsewhere). The daemon serves CUSE devices: the conformance client (GET_TIME
 * included) against three wall clocks; a SIGKILL while callers are blocked (6.1 refuses
 * {@code FUSE_NOTIFY_RESEND}: the successor re-parks the blocked WAITs from the journal); a graceful upgrade
 * with callers blocked in WAIT and others churning (the hand-over needs no kernel help).
 */
class GuestDaemonTest {
    private static final long DAY = 86_400_000_000_000L;
    /** JVM work is 10-30 times slower under TCG: bounds are generous. */
    private static final long LATE_BOUND_US = 5_000_000;

    @Test
    void theDaemonServesCuseDevicesAndSurvivesACrashAndAnUpgradeOn61() throws Exception {
        assumeTrue(Boolean.getBoolean("valarm.guest"), "guest-only (run by QemuDaemonTest inside qemu)");
        final Path conformance = Path.of(System.getProperty("valarm.daemon.conformance"));
        final Path churn = Path.of(System.getProperty("valarm.daemon.churn"));
        System.out.println("[guest] clocksource " + Files.readString(
                Path.of("/sys/devices/system/clocksource/clocksource0/current_clocksource")).trim());
        final Path base = Path.of(System.getProperty("java.io.tmpdir"), "daemon-guest");
        Files.createDirectories(base.resolve("state"));
        // The results share is 9p (no flock, no shared mappings): the state goes on a tmpfs (the daemon's log
        // stays on the share, for the host to read).
        final Process tmpfs = new ProcessBuilder("mount", "-t", "tmpfs", "tmpfs", base.resolve("state").toString())
                .inheritIO().start();
        assertTrue(tmpfs.waitFor(30, TimeUnit.SECONDS) && tmpfs.exitValue() == 0, "mount a tmpfs on " + base);
        final String tag = "g" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 16));
        final long[] offsets = {-DAY, 0, DAY, 0, 0, 0, 0, 0};
        final StringBuilder conf = new StringBuilder("resend = auto\n");
        for (int i = 0; i < offsets.length; i++) {
            conf.append("[instance i").append(i).append("]\ntransport = cuse\nnode = valarm-").append(tag).append('-').append(i)
                    .append("\nmode = 0666\nwall-clock-offset = ").append(offsets[i] == 0 ? "0" : offsets[i] < 0 ? "-1d" : "1d")
                    .append('\n');
        }
        // The first start in the emulated guest (a JVM, then the keeper's JVM) gets the restarts' 240 s: 90 s was
        // not enough once with the host's 2 cores loaded (load average 5-7), the log stopping after "device on".
        try (DaemonProcess d = DaemonProcess.prepare(base, conf.toString(), List.of("-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-XX:-UsePerfData")); Clients clients = new Clients()) {
            d.launch();
            d.awaitReady(1, 240);
            final Path[] nodes = new Path[offsets.length];
            for (int i = 0; i < nodes.length; i++) {
                nodes[i] = Path.of("/dev/valarm-" + tag + "-" + i);
                assertTrue(Files.exists(nodes[i]), nodes[i] + " exists");
                assertEquals(0020000, (int) Files.getAttribute(nodes[i], "unix:mode") & 0170000, "a character device");
            }
            final Map<String, Object> st0 = d.stats();
            assertEquals(false, st0.get("kernel_resend"), "6.1 has no FUSE_NOTIFY_RESEND: " + st0);

            // 1. The conformance client, GET_TIME included, against three wall clocks.
            final List<Clients.Run> runs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                runs.add(clients.start(conformance, "--node", nodes[i].toString(), "--transport", "cuse", "--wall-offset-ns",
                        Long.toString(offsets[i])));
            }
            for (final Clients.Run r : runs) {
                assertEquals(0, r.await(300), r.output());
                assertTrue(r.output().contains("# 16 ok, 0 not ok"), r.output());
            }

            // 2. SIGKILL with callers blocked: the successor finds no kernel re-send and re-parks them.
            final List<Clients.Run> blocked = new ArrayList<>();
            for (int i = 3; i < 5; i++) {
                blocked.add(clients.start(churn, "--node", nodes[i].toString(), "--block-ms", "60000", "--type", "3"));
            }
            for (final Clients.Run r : blocked) {
                r.awaitLine("block armed", 120);
            }
            UpgradeTest.awaitBlocked(d, 2, 120);
            d.kill9(d.process().pid());
            d.launch();
            d.awaitReady(1, 240);
            final Map<String, Object> st = d.stats();
            assertEquals(0L, st.get("resend_requested"), st.toString());
            assertEquals(2L, st.get("reparked_waits"), st.toString());
            assertTrue(d.output().contains("has no FUSE_NOTIFY_RESEND (7.40, Linux 6.9): recovering the predecessor's"),
                    "the log says why");

            // 3. A graceful upgrade with callers blocked and others churning.
            final List<Clients.Run> waiting = new ArrayList<>(blocked);
            waiting.add(clients.start(churn, "--node", nodes[5].toString(), "--block-ms", "70000", "--type", "4"));
            waiting.get(2).awaitLine("block armed", 120);
            final Path stop = base.resolve("state/stop");
            final List<Clients.Run> churners = new ArrayList<>();
            for (int i = 6; i < 8; i++) {
                churners.add(clients.start(churn, "--node", nodes[i].toString(), "--until-file", stop.toString(), "--seed",
                        Integer.toString(i), "--min-ms", "50", "--max-ms", "500", "--lost-ms", "120000"));
            }
            UpgradeTest.awaitBlocked(d, 3, 120);
            final long old = d.servingPid();
            final Map<String, Object> up = d.ok(Map.of("cmd", "upgrade"));
            assertEquals(old, ((Number) up.get("old_pid")).longValue());
            d.awaitReady(1, 240);
            assertTrue(d.servingPid() != old, "a new process serves");
            assertEquals("takeover", d.stats().get("started"));
            for (final Clients.Run r : waiting) {
                Clients.assertBlockedDelivered(r, 240, LATE_BOUND_US);
            }
            Files.writeString(stop, "stop");
            for (final Clients.Run r : churners) {
                System.out.println("[guest] " + Clients.assertChurnClean(r, 240));
            }
        }
        for (int i = 0; i < offsets.length; i++) {
            assertTrue(!Files.exists(Path.of("/dev/valarm-" + tag + "-" + i)), "a shutdown removes every node");
        }
    }
}
