package dev.valarm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SIGKILL to the daemon while callers are blocked or in the middle of a request; a new daemon takes the
 * connections back from the keeper. On this host (Linux 6.9+) the kernel re-sends the requests the dead one
 * had read ({@code resend = auto}); {@code resend = off} takes the path of older kernels (the guest's 6.1):
 * blocked WAITs re-parked from the journal, the one request in flight served from the in-flight record.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CrashTakeoverTest {
    private static final int INSTANCES = 6;
    /**
     * How late a blocked WAIT may return beyond the time no daemon served (its alarm is 3 s or more ahead, past a
     * restart on a quiet machine; on a loaded one the restart can take longer, and an alarm due meanwhile fires
     * at once when the successor serves).
     */
    private static final long LATE_BOUND_US = 2_000_000;

    private static String conf(final Path dir, final String settings) throws Exception {
        Files.createDirectories(dir.resolve("m"));
        final StringBuilder b = new StringBuilder(settings);
        for (int i = 0; i < INSTANCES; i++) {
            b.append("[instance i").append(i).append("]\ntransport = fuse\nmount = ").append(dir.resolve("m"))
                    .append("\nnode = alarm").append(i).append('\n');
        }
        return b.toString();
    }

    @ParameterizedTest(name = "resend = {0}")
    @ValueSource(strings = {"auto", "off"})
    void waitsBlockedAcrossASigkillReturnTheirEventsOnTime(final String resend) throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("crash-wait-" + resend);
        try (DaemonProcess d = DaemonProcess.start(dir, conf(dir, "resend = " + resend + "\n")); Clients clients = new Clients()) {
            final List<Clients.Run> blocked = new ArrayList<>();
            for (int i = 0; i < INSTANCES; i++) {
                blocked.add(clients.start(CBinaries.binary(CBinaries.Client.CHURN), "--node", dir.resolve("m/alarm" + i).toString(),
                        "--block-ms", Integer.toString(3000 + 300 * i), "--type", Integer.toString(i % 5)));
            }
            for (final Clients.Run r : blocked) {
                r.awaitLine("block armed", 30);
            }
            d.awaitStat("blocked_waits", INSTANCES, 30);
            final long down = System.nanoTime();
            d.kill9(d.servingPid());
            d.launch();
            d.awaitReady(1, 90);
            final long bound = lateBound(down);
            final Map<String, Object> st = d.stats();
            assertEquals("restart", st.get("started"));
            if (resend.equals("auto")) {
                assertEquals(true, st.get("kernel_resend"), "this host's kernel re-sends (6.9+): " + st);
                assertEquals(1L, st.get("resend_requested"), st.toString());
            } else {
                assertEquals((long) INSTANCES, st.get("reparked_waits"), st.toString());
                assertEquals(0L, st.get("resend_requested"), st.toString());
            }
            for (final Clients.Run r : blocked) {
                Clients.assertBlockedDelivered(r, 60, bound);
            }
        }
    }

    @Test
    void anAlarmThatCameDueWhileNoDaemonRanFiresAtOnceAfterTheRestart() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("crash-due");
        try (DaemonProcess d = DaemonProcess.start(dir, conf(dir, "")); Clients clients = new Clients()) {
            final Clients.Run r = clients.start(CBinaries.binary(CBinaries.Client.CHURN), "--node",
                    dir.resolve("m/alarm0").toString(), "--block-ms", "700");
            r.awaitLine("block armed", 30);
            d.awaitStat("blocked_waits", 1, 30);
            d.kill9(d.servingPid());
            // The scenario: no daemon runs while the alarm comes due.
            Thread.sleep(1500);
            assertTrue(r.process.isAlive(), "the caller waits for a daemon: " + r.output());
            d.launch();
            d.awaitReady(1, 90);
            final long ready = System.nanoTime();
            assertEquals(0, r.await(30), r.output());
            final long returned = System.nanoTime();
            final String line = r.line("block node=");
            assertEquals("-", Clients.field(line, "errno"), line);
            assertTrue(Clients.longField(line, "late_us") >= 800_000, "it came due while no daemon ran: " + line);
            assertTrue(returned - ready < TimeUnit.SECONDS.toNanos(2), "fired at once after the restart ("
                    + (returned - ready) / 1_000_000 + " ms after ready)");
        }
    }

    @Test
    void openFilesAndTheOwnerSurviveACrash() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("crash-owner");
        final Path node = dir.resolve("m/alarm0");
        try (DaemonProcess d = DaemonProcess.start(dir, conf(dir, "")); Clients clients = new Clients()) {
            final Path churn = CBinaries.binary(CBinaries.Client.CHURN);
            final Clients.Run owner = clients.start(churn, "--node", node.toString(), "--own");
            owner.awaitLine("owned errno=-", 30);
            final Clients.Run other = clients.start(churn, "--node", node.toString(), "--try-set");
            assertEquals(0, other.await(30));
            assertTrue(other.output().contains("try-set errno=EBUSY"), other.output());
            d.kill9(d.servingPid());
            d.launch();
            d.awaitReady(1, 90);
            owner.send("again");
            owner.awaitLine("set errno=", 30);
            assertTrue(owner.output().contains("set errno=-"), "still the owner through the same open file: " + owner.output());
            final Clients.Run again = clients.start(churn, "--node", node.toString(), "--try-set");
            assertEquals(0, again.await(30));
            assertTrue(again.output().contains("try-set errno=EBUSY"), "ownership was restored: " + again.output());
            owner.process.getOutputStream().close(); // the owner exits: its release frees the instance
            assertEquals(0, owner.await(30));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String last;
            do {
                final Clients.Run free = clients.start(churn, "--node", node.toString(), "--try-set");
                free.await(30);
                last = free.output();
            } while (!last.contains("try-set errno=-") && System.nanoTime() - deadline < 0);
            assertTrue(last.contains("try-set errno=-"), "after the owner's release anyone may own it: " + last);
        }
    }

    @ParameterizedTest(name = "{0}, resend = {1}")
    @CsvSource({"before-record, auto", "before-record, off", "after-record, auto", "after-record, off"})
    void aRequestCaughtInTheCrashIsAnsweredOnceAndApplied(final String point, final String resend) throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("crash-" + point + "-" + resend);
        final DaemonProcess d = DaemonProcess.prepare(dir, conf(dir, "resend = " + resend + "\n"), List.of());
        try (d; Clients clients = new Clients()) {
            d.launch(List.of("-Dvalarm.daemon.failpoint=" + point + ":1"));
            d.awaitReady(1, 90);
            final long down = System.nanoTime(); // from the SET on, at the latest: the crash point ends the daemon in it
            final Clients.Run r = clients.start(CBinaries.binary(CBinaries.Client.CHURN), "--node",
                    dir.resolve("m/alarm0").toString(), "--block-ms", "2500");
            assertEquals(137, d.awaitExit(60), "the crash point ended the daemon while it served the SET: " + d.output());
            assertTrue(r.process.isAlive(), "the caller's SET waits for a daemon: " + r.output());
            d.launch(List.of());
            d.awaitReady(1, 90);
            Clients.assertBlockedDelivered(r, 60, lateBound(down));
            final Map<String, Object> st = d.stats();
            if (point.equals("after-record")) {
                assertEquals(1L, st.get("reanswered"), "the recorded reply was written again: " + st);
            } else if (resend.equals("auto")) {
                assertEquals(1L, st.get("resend_requested"), st.toString());
            } else {
                assertEquals(1L, st.get("served_in_flight"), "the SET was served from the in-flight record: " + st);
            }
        }
    }

    /** {@link #LATE_BOUND_US} plus the time since {@code downSince} (no daemon served for at most that long). */
    private static long lateBound(final long downSince) {
        return LATE_BOUND_US + (System.nanoTime() - downSince) / 1000;
    }
}
