package dev.valarm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The crash loop on the host: 20 client processes churn SET/CLEAR/WAIT while the daemon is killed with
 * SIGKILL at random moments, 50 times, each time restarted at once. Every alarm a client was told was armed
 * must be delivered exactly once and never early; no client may see an errno; nothing may be left in D state.
 * What the clients saw (the longest an alarm was late, the longest one ioctl took: the restart gap) is
 * reported in {@code target/reliability/daemon-crash-loop.json}.
 *
 * <p>{@code -Dvalarm.crashloop.kills=N} and {@code -Dvalarm.crashloop.seed=S} change the run.
 */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class CrashLoopTest {
    private static final int CLIENTS = 20;
    private static final int KILLS = Integer.getInteger("valarm.crashloop.kills", 50);
    /** The kills of the run that takes the older kernels' path (no kernel re-send). */
    private static final int KILLS_WITHOUT_RESEND = Integer.getInteger("valarm.crashloop.kills.noresend", 15);
    /** The longest random pause between a restart and the next kill. */
    private static final int MAX_PAUSE_MS = 1500;

    @Test
    void fiftySigkillsUnderChurnLoseNothingDeliverNothingTwiceAndLeaveNoCallerStuck() throws Exception {
        loop("auto", KILLS);
    }

    /** The same with {@code resend = off}: the path of kernels before 6.9 (the journal and the in-flight record). */
    @Test
    void withoutTheKernelsResendTheJournalAndTheInFlightRecordLoseNothingEither() throws Exception {
        loop("off", KILLS_WITHOUT_RESEND);
    }

    private static void loop(final String resend, final int kills) throws Exception {
        Host.requireFuse();
        final long seed = Long.getLong("valarm.crashloop.seed", System.nanoTime());
        final Path dir = Host.dir("crash-loop-" + resend);
        final Path stop = dir.resolve("stop");
        final StringBuilder conf = new StringBuilder("resend = " + resend + "\n");
        for (int m = 0; m < 4; m++) {
            Files.createDirectories(dir.resolve("m" + m));
        }
        for (int i = 0; i < CLIENTS; i++) {
            conf.append("[instance i").append(i).append("]\ntransport = fuse\nmount = ").append(dir.resolve("m" + i % 4))
                    .append("\nnode = alarm").append(i).append('\n');
        }
        final Random rnd = new Random(seed);
        final List<Long> gaps = new ArrayList<>();
        final Map<String, Long> restartTotals = new TreeMap<>();
        int stuckSeen = 0;
        try (DaemonProcess d = DaemonProcess.start(dir, conf.toString(), DaemonProcess.FAST_START);
             Clients clients = new Clients()) {
            final Path churn = CBinaries.binary(CBinaries.Client.CHURN);
            final List<Clients.Run> runs = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                runs.add(clients.start(churn, "--node", dir.resolve("m" + i % 4).resolve("alarm" + i).toString(),
                        "--until-file", stop.toString(), "--seed", Long.toString(seed + i), "--type", Integer.toString(i % 5),
                        "--min-ms", "20", "--max-ms", "500", "--lost-ms", "120000"));
            }
            UpgradeTest.awaitBlocked(d, 5, 60);
            for (int k = 1; k <= kills; k++) {
                Thread.sleep(rnd.nextInt(MAX_PAUSE_MS + 1)); // a random moment: that is the scenario
                final long t0 = System.nanoTime();
                d.kill9(d.process().pid());
                d.launch();
                d.awaitReady(1, 120);
                gaps.add(System.nanoTime() - t0);
                for (final Map.Entry<String, Object> e : d.stats().entrySet()) {
                    if (e.getKey().equals("reanswered") || e.getKey().equals("resend_requested")
                            || e.getKey().equals("served_in_flight") || e.getKey().equals("reparked_waits")) {
                        restartTotals.merge(e.getKey(), ((Number) e.getValue()).longValue(), Long::sum);
                    }
                }
                final List<String> stuck = stuckInD(clients);
                if (!stuck.isEmpty()) {
                    stuckSeen++;
                    Thread.sleep(2000);
                    final List<String> still = stuckInD(clients);
                    assertTrue(still.isEmpty(), "after restart " + k + " these stay in D state: " + still);
                }
                for (final Clients.Run r : runs) {
                    assertTrue(r.process.isAlive(), "a client ended during the loop (restart " + k + "): " + r.output());
                }
            }
            Files.writeString(stop, "stop");
            final Map<String, Long> errnos = new TreeMap<>();
            long sets = 0;
            long delivered = 0;
            long clears = 0;
            long replacedFired = 0;
            long maxLate = 0;
            long maxIoctl = 0;
            for (final Clients.Run r : runs) {
                final String line = Clients.assertChurnClean(r, 180);
                System.out.println("[crash-loop] " + line);
                sets += Clients.longField(line, "sets");
                delivered += Clients.longField(line, "delivered");
                clears += Clients.longField(line, "clears");
                replacedFired += Clients.longField(line, "replaced_fired");
                maxLate = Math.max(maxLate, Clients.longField(line, "max_late_us"));
                maxIoctl = Math.max(maxIoctl, Clients.longField(line, "max_ioctl_us"));
                final String e = Clients.field(line, "errnos");
                if (!e.equals("-")) {
                    for (final String kv : e.split(",")) {
                        final String[] p = kv.split(":");
                        errnos.merge(p[0], Long.parseLong(p[1]), Long::sum);
                    }
                }
            }
            assertTrue(stuckInD(clients).isEmpty());
            gaps.sort(Long::compare);
            final Map<String, Object> report = new LinkedHashMap<>();
            report.put("kills", kills);
            report.put("resend", resend);
            report.put("seed", seed);
            report.put("clients", CLIENTS);
            report.put("alarms_set_acknowledged", sets);
            report.put("alarms_delivered", delivered);
            report.put("alarms_cleared", clears);
            report.put("lost", sets - delivered);
            report.put("replaced_alarm_fired_before_its_delayed_replacement", replacedFired);
            report.put("early_or_twice", 0);
            report.put("client_errnos", errnos);
            report.put("restart_gap_ms_min", gaps.get(0) / 1_000_000);
            report.put("restart_gap_ms_median", gaps.get(gaps.size() / 2) / 1_000_000);
            report.put("restart_gap_ms_max", gaps.get(gaps.size() - 1) / 1_000_000);
            report.put("client_max_late_ms", maxLate / 1000);
            report.put("client_max_ioctl_ms", maxIoctl / 1000);
            report.put("d_state_samples_with_a_stuck_thread", stuckSeen);
            report.put("restarts", restartTotals);
            report.put("load_average", Files.readString(Path.of("/proc/loadavg")).trim());
            Clients.report("daemon-crash-loop-" + resend, report);
            assertTrue(errnos.isEmpty(), "no client saw an errno: " + errnos);
        }
    }

    /** Threads of the clients in uninterruptible sleep ('D' in {@code /proc/PID/task/TID/stat}). */
    static List<String> stuckInD(final Clients clients) {
        final List<String> out = new ArrayList<>();
        for (final Clients.Run r : clients.runs()) {
            final Path tasks = Path.of("/proc", Long.toString(r.process.pid()), "task");
            try (var s = Files.list(tasks)) {
                for (final Path t : (Iterable<Path>) s::iterator) {
                    final String stat = Files.readString(t.resolve("stat"));
                    final char state = stat.charAt(stat.lastIndexOf(')') + 2);
                    if (state == 'D') {
                        out.add(r.process.pid() + "/" + t.getFileName() + " " + r.command.get(r.command.size() - 1));
                    }
                }
            } catch (final IOException e) {
                // the process is gone
            }
        }
        return out;
    }
}
