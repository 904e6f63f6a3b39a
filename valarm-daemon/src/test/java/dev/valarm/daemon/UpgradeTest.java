package dev.valarm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Graceful upgrade ({@code ctl upgrade}) on the host: 20 callers blocked in WAIT and others churning SET and
 * CLEAR see no error, every alarm is delivered once and on time, across two upgrades in a row; a successor
 * that fails (a bad config, or a crash after the predecessor parked) leaves the old daemon serving.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class UpgradeTest {
    private static final int BLOCKED = 20;
    private static final int CHURN = 8;
    /** The bound on lateness across an upgrade (the hand-over gap is milliseconds; the machine is loaded). */
    static final long LATE_BOUND_US = 1_000_000;

    static String conf(final Path dir, final int n) throws Exception {
        Files.createDirectories(dir.resolve("m0"));
        Files.createDirectories(dir.resolve("m1"));
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("[instance i").append(i).append("]\ntransport = fuse\nmount = ").append(dir.resolve("m" + i % 2))
                    .append("\nnode = alarm").append(i).append('\n');
        }
        return b.toString();
    }

    static Path node(final Path dir, final int i) {
        return dir.resolve("m" + i % 2).resolve("alarm" + i);
    }

    @Test
    void blockedWaitsAndChurnSeeNothingButTheirEventsAcrossTwoUpgrades() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("upgrade");
        final Path stop = dir.resolve("stop");
        try (DaemonProcess d = DaemonProcess.start(dir, conf(dir, BLOCKED + CHURN)); Clients clients = new Clients()) {
            final Path churn = CBinaries.binary(CBinaries.Client.CHURN);
            final List<Clients.Run> blocked = new ArrayList<>();
            for (int i = 0; i < BLOCKED; i++) {
                blocked.add(clients.start(churn, "--node", node(dir, i).toString(), "--block-ms",
                        Integer.toString(12_000 + 200 * i), "--type", Integer.toString(i % 5)));
            }
            final List<Clients.Run> churners = new ArrayList<>();
            for (int i = BLOCKED; i < BLOCKED + CHURN; i++) {
                churners.add(clients.start(churn, "--node", node(dir, i).toString(), "--until-file", stop.toString(),
                        "--seed", Integer.toString(i), "--type", Integer.toString(i % 5), "--min-ms", "20", "--max-ms", "300"));
            }
            for (final Clients.Run r : blocked) {
                r.awaitLine("block armed", 30);
            }
            awaitBlocked(d, BLOCKED, 30);
            long pid = d.servingPid();
            for (int round = 1; round <= 2; round++) {
                final long t0 = System.nanoTime();
                final Map<String, Object> r = d.ok(Map.of("cmd", "upgrade"));
                assertEquals(pid, ((Number) r.get("old_pid")).longValue(), r.toString());
                final long next = ((Number) r.get("new_pid")).longValue();
                assertNotEquals(pid, next);
                d.awaitReady(1, 90);
                final long old = pid;
                ProcessHandle.of(old).ifPresent(h -> h.onExit().join());
                assertEquals(next, d.servingPid());
                final Map<String, Object> st = d.stats();
                assertEquals("takeover", st.get("started"));
                assertEquals(old, ((Number) st.get("predecessor_pid")).longValue());
                assertEquals((long) BLOCKED, ((Number) st.get("reparked_waits")).longValue() >= BLOCKED ? (long) BLOCKED
                        : st.get("reparked_waits"), "every blocked WAIT re-parked under its id: " + st);
                System.out.println("[upgrade] round " + round + ": pid " + old + " -> " + next + " in "
                        + (System.nanoTime() - t0) / 1_000_000 + " ms (successor start " + st.get("start_ms") + " ms)");
                pid = next;
            }
            long blockedLate = 0;
            for (final Clients.Run r : blocked) {
                blockedLate = Math.max(blockedLate, Clients.longField(Clients.assertBlockedDelivered(r, 90, LATE_BOUND_US),
                        "late_us"));
            }
            Files.writeString(stop, "stop");
            long maxLate = 0;
            for (final Clients.Run r : churners) {
                final String line = Clients.assertChurnClean(r, 60);
                System.out.println("[upgrade] " + line);
                assertTrue(Clients.longField(line, "sets") > 5, "the churn ran: " + line);
                maxLate = Math.max(maxLate, Clients.longField(line, "max_late_us"));
            }
            assertTrue(maxLate < LATE_BOUND_US, "churn alarms on time across the upgrades: " + maxLate + " us");
            final java.util.Map<String, Object> figures = new java.util.LinkedHashMap<>();
            figures.put("upgrades", 2);
            figures.put("blocked_waits", BLOCKED);
            figures.put("blocked_max_late_ms", blockedLate / 1000);
            figures.put("churn_clients", CHURN);
            figures.put("churn_max_late_ms", maxLate / 1000);
            figures.put("bound_ms", LATE_BOUND_US / 1000);
            figures.put("load_average", Files.readString(Path.of("/proc/loadavg")).trim());
            Clients.report("daemon-upgrade", figures);
        }
    }

    @Test
    void aSuccessorThatFailsLeavesTheOldDaemonServing() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("upgrade-fail");
        final Path stop = dir.resolve("stop");
        final DaemonProcess d = DaemonProcess.prepare(dir, conf(dir, 6), List.of("-Dvalarm.daemon.failpoint=takeover-prepared:1"));
        try (d; Clients clients = new Clients()) {
            d.launch();
            d.awaitReady(1, 90);
            final Path churn = CBinaries.binary(CBinaries.Client.CHURN);
            final List<Clients.Run> blocked = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                blocked.add(clients.start(churn, "--node", node(dir, i).toString(), "--block-ms", Integer.toString(9000 + 300 * i)));
            }
            final Clients.Run churner = clients.start(churn, "--node", node(dir, 5).toString(), "--until-file", stop.toString());
            for (final Clients.Run r : blocked) {
                r.awaitLine("block armed", 30);
            }
            final long pid = d.servingPid();
            // 1. The successor crashes after the old daemon parked and froze its journal: the old one takes back.
            Map<String, Object> r = d.ctl(Map.of("cmd", "upgrade"));
            assertEquals(false, r.get("ok"), r.toString());
            assertTrue(String.valueOf(r.get("error")).contains("exited with status 137 before taking over"), r.toString());
            assertEquals(pid, d.servingPid());
            assertTrue(d.output().contains("did not happen"), d.output());
            // 2. The successor refuses the config: nothing was parked at all.
            Files.writeString(d.config, "bogus = 1\n", StandardOpenOption.APPEND);
            r = d.ctl(Map.of("cmd", "upgrade"));
            assertEquals(false, r.get("ok"), r.toString());
            assertTrue(String.valueOf(r.get("error")).contains("exited with status 2"), r.toString());
            assertEquals(pid, d.servingPid());
            // It still accepts commands and serves.
            d.ok(Map.of("cmd", "set-node", "name", "i4", "mode", "0640"));
            for (final Clients.Run b : blocked) {
                Clients.assertBlockedDelivered(b, 60, LATE_BOUND_US);
            }
            Files.writeString(stop, "stop");
            Clients.assertChurnClean(churner, 60);
        }
    }

    static void awaitBlocked(final DaemonProcess d, final int atLeast, final long seconds) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (((Number) d.stats().get("blocked_waits")).longValue() < atLeast) {
            assertTrue(System.nanoTime() - deadline < 0, "blocked WAITs did not reach " + atLeast + ": " + d.stats());
            DaemonProcess.sleepMillis(20);
        }
    }
}
