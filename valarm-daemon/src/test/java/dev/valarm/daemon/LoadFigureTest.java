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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The load figure of RELIABILITY.md: the daemon (default JVM options, the journal on) serving 200 instances
 * while 20 client processes each drive one of them with SET+CLEAR round trips as fast as they can, for
 * {@code -Dvalarm.load.seconds} (default 10 in the test run; the figure is a 60 s run). Reports the ioctls
 * per second held, the clients' latency percentiles, the daemon's resident set and the load average, to
 * {@code target/reliability/daemon-load.json}.
 *
 * <pre>mvn -B -pl valarm-daemon -am verify -Dtest=LoadFigureTest -Dsurefire.failIfNoSpecifiedTests=false -Dvalarm.load.seconds=60</pre>
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class LoadFigureTest {
    private static final int INSTANCES = 200;
    private static final int CLIENTS = 20;
    private static final int SECONDS = Integer.getInteger("valarm.load.seconds", 10);
    /** What the run must hold at least (a floor for a loaded 2-core machine; the figure is far above). */
    private static final double FLOOR_PER_SECOND = 2_000;

    @Test
    void twentyClientsOnTwoHundredInstances() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("load");
        final StringBuilder conf = new StringBuilder();
        for (int m = 0; m < 4; m++) {
            Files.createDirectories(dir.resolve("m" + m));
        }
        for (int i = 0; i < INSTANCES; i++) {
            conf.append("[instance i").append(i).append("]\ntransport = fuse\nmount = ").append(dir.resolve("m" + i % 4))
                    .append("\nnode = alarm").append(i).append('\n');
        }
        final String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
        try (DaemonProcess d = DaemonProcess.start(dir, conf.toString()); Clients clients = new Clients()) {
            final long pid = d.servingPid();
            final AtomicLong maxRss = new AtomicLong();
            final Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    maxRss.accumulateAndGet(rssKib(pid), Math::max);
                    try {
                        Thread.sleep(500);
                    } catch (final InterruptedException e) {
                        return;
                    }
                }
            }, "rss-sampler");
            sampler.setDaemon(true);
            sampler.start();
            final long served0 = ((Number) d.stats().get("requests_served")).longValue();
            final List<Clients.Run> runs = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                runs.add(clients.start(CBinaries.binary(CBinaries.Client.CHURN), "--node",
                        dir.resolve("m" + (c * 10) % 4).resolve("alarm" + c * 10).toString(), "--duration-ms",
                        Integer.toString(SECONDS * 1000), "--load", "--type", Integer.toString(c % 5)));
            }
            double perSecond = 0;
            long ioctls = 0;
            final List<Double> p99 = new ArrayList<>();
            final List<Double> p50 = new ArrayList<>();
            for (final Clients.Run r : runs) {
                assertEquals(0, r.await(SECONDS + 120L), r.output());
                final String line = r.line("load node=");
                assertEquals(0, Clients.longField(line, "failures"), line);
                perSecond += Double.parseDouble(Clients.field(line, "per_second"));
                ioctls += Clients.longField(line, "ioctls");
                p99.add(Double.parseDouble(Clients.field(line, "p99_us")));
                p50.add(Double.parseDouble(Clients.field(line, "p50_us")));
            }
            sampler.interrupt();
            final long rssEnd = rssKib(pid);
            final Map<String, Object> st = d.stats();
            p99.sort(Double::compare);
            p50.sort(Double::compare);
            final Map<String, Object> report = new LinkedHashMap<>();
            report.put("instances_served", INSTANCES);
            report.put("client_processes", CLIENTS);
            report.put("seconds", SECONDS);
            report.put("ioctls", ioctls);
            report.put("ioctls_per_second", Math.round(perSecond));
            report.put("p50_us_median_client", p50.get(p50.size() / 2));
            report.put("p99_us_median_client", p99.get(p99.size() / 2));
            report.put("p99_us_worst_client", p99.get(p99.size() - 1));
            report.put("daemon_rss_kib_max", maxRss.get());
            report.put("daemon_rss_kib_end", rssEnd);
            report.put("requests_served", ((Number) st.get("requests_served")).longValue() - served0);
            report.put("journal", st.get("journal"));
            report.put("load_average_before", loadBefore);
            report.put("load_average_after", Files.readString(Path.of("/proc/loadavg")).trim());
            report.put("cpus", Runtime.getRuntime().availableProcessors());
            Clients.report("daemon-load", report);
            assertTrue(perSecond > FLOOR_PER_SECOND, "held " + Math.round(perSecond) + " ioctls/s");
        }
    }

    static long rssKib(final long pid) {
        try {
            for (final String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (final IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
