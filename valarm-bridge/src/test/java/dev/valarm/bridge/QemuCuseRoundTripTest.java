package dev.valarm.bridge;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CUSE half of the bridge's round-trip measurement (issue 10), opt-in: {@code -Dvalarm.bench.cuse.out=FILE}
 * (benchmarks/run.sh bridge sets it). Boots the qemu guest with {@code cuse.ko} and runs
 * {@code benchguest.GuestCuseRoundTripTest} there: GET_TIME round trips from the C load client
 * ({@code src/test/c/bench/gettime_load.c}, 1 and 8 threads) against a valarm CUSE node and against the libfuse
 * CUSE floor ({@code cuse_floor.c}), side by side and alternating in one guest run, in rounds
 * ({@code -Dvalarm.bench.cuse.rounds}, default 3; {@code -Dvalarm.bench.cuse.seconds} per cell, default 5). Writes FILE: the guest's cells plus the
 * host's load average before and after. Indicative only: TCG, on a shared machine. Not in the default
 * {@code mvn verify} (about two minutes with the boot).
 */
class QemuCuseRoundTripTest {
    @Test
    @Timeout(value = 540, unit = TimeUnit.SECONDS)
    void getTimeRoundTripsInTheGuest() throws Exception {
        final String outProp = System.getProperty("valarm.bench.cuse.out", "");
        assumeTrue(!outProp.isEmpty(), "opt-in: -Dvalarm.bench.cuse.out=FILE (benchmarks/run.sh bridge)");
        QemuCuseTest.requireGuestTier();
        final List<String> fuse3 = pkgConfigFuse3();
        final Path load = CClient.compile("gettime_load", List.of("bench/gettime_load.c"), List.of("-O2"),
                List.of("-pthread"));
        final Path floor = CClient.compile("cuse_floor", List.of("bench/cuse_floor.c"), List.of("-O2"), fuse3);
        final String seconds = System.getProperty("valarm.bench.cuse.seconds", "5");
        final String loadBefore = loadAverage();
        final String started = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        final Path results = QemuCuseTest.runInGuest("target/qemu/bench-results", 400, List.of(
                // the bridge's JIT as in production (the guest runner's default is C1 only, for start-up)
                "-XX:TieredStopAtLevel=4", "-Dvalarm.bench.load=" + load, "-Dvalarm.bench.floor=" + floor,
                "-Dvalarm.bench.seconds=" + seconds,
                "-Dvalarm.bench.rounds=" + System.getProperty("valarm.bench.cuse.rounds", "3")),
                List.of("--select-class", "dev.valarm.bridge.benchguest.GuestCuseRoundTripTest"));
        final Path cells = results.resolve("tmp/cuse-roundtrip.json");
        assertTrue(Files.isRegularFile(cells), "the guest wrote no " + cells);
        final String json = "{\"started\":\"" + started + "\",\"finished\":\""
                + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\",\"host\":{\"nproc\":"
                + Runtime.getRuntime().availableProcessors() + ",\"loadavgBefore\":\"" + loadBefore
                + "\",\"loadavgAfter\":\"" + loadAverage() + "\"},\"guest\":"
                + Files.readString(cells, StandardCharsets.UTF_8).trim() + "}\n";
        final Path out = Path.of(outProp).toAbsolutePath();
        Files.createDirectories(out.getParent());
        Files.writeString(out, json, StandardCharsets.UTF_8);
        System.out.println("[cuse round trip] " + out + "\n" + json);
    }

    private static String loadAverage() throws IOException {
        final String[] f = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }

    /** libfuse 3's compiler flags; asked for explicitly, so its absence fails with the package to install. */
    private static List<String> pkgConfigFuse3() throws IOException, InterruptedException {
        final Process p;
        try {
            p = new ProcessBuilder("pkg-config", "--cflags", "--libs", "fuse3").redirectErrorStream(true).start();
        } catch (final IOException e) {
            throw new AssertionError("the CUSE floor needs pkg-config and libfuse3-dev (apt-get install pkg-config "
                    + "libfuse3-dev): " + e, e);
        }
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0,
                "the CUSE floor needs libfuse3-dev (apt-get install libfuse3-dev): pkg-config fuse3 said: " + out);
        return new ArrayList<>(Arrays.asList(out.split("\\s+")));
    }
}
