package dev.valarm.bridge.benchguest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.valarm.ValarmDevice;
import dev.valarm.bridge.AlarmBridge;
import dev.valarm.bridge.CuseDevice;
import dev.valarm.bridge.NodeSpec;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.jdk.NoWakeRtcBackend;
import dev.valarm.rtc.linux.LinuxHostClocks;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Inside the qemu guest (run by {@code QemuCuseRoundTripTest}): GET_TIME round trips through CUSE from the C load
 * client against a valarm CUSE device and against the libfuse CUSE floor, 1 and 8 client threads, in one run.
 * After one unrecorded warm-up cell on the bridge, the cells alternate (bridge, floor) per thread count, in
 * several rounds ({@code -Dvalarm.bench.rounds}, default 3), so both servers see the same guest and host load. Each cell also records the server process's CPU time (the floor's, or this
 * JVM's for the bridge, which includes the load client's warm-up second). Writes {@code java.io.tmpdir/cuse-roundtrip.json}, which the host reads.
 */
class GuestCuseRoundTripTest {
    private static final int[] THREADS = {1, 8};

    @Test
    void getTimeRoundTrips() throws Exception {
        assumeTrue(Boolean.getBoolean("valarm.guest"), "guest-only (run by QemuCuseRoundTripTest inside qemu)");
        final Path load = Path.of(System.getProperty("valarm.bench.load"));
        final Path floorBin = Path.of(System.getProperty("valarm.bench.floor"));
        final String seconds = System.getProperty("valarm.bench.seconds", "3");
        final int rounds = Integer.getInteger("valarm.bench.rounds", 3);
        final String suffix = Long.toString(ProcessHandle.current().pid());
        final LinuxHostClocks clocks = LinuxHostClocks.open();
        final Process floor = new ProcessBuilder(floorBin.toString(), "alarm-floor-" + suffix).redirectErrorStream(true)
                .start();
        try (ValarmDevice device = Valarm.builder().hostClocks(clocks).rtcBackend(new NoWakeRtcBackend(clocks)).build();
             AlarmBridge bridge = AlarmBridge.builder().shutdownHook(false).build()) {
            final BufferedReader floorOut = new BufferedReader(new InputStreamReader(floor.getInputStream(),
                    StandardCharsets.UTF_8));
            final String first = floorOut.readLine();
            assertEquals("SERVING", first, "the libfuse CUSE floor started");
            final Path floorNode = Path.of("/dev/alarm-floor-" + suffix);
            assertTrue(Files.exists(floorNode), floorNode + " exists");
            final CuseDevice dev = bridge.serveCuse(device.createInstance(), NodeSpec.of("alarm-bench-" + suffix).mode(0666));
            run(load, dev.node(), 1, "2"); // warm-up: the bridge's serving path through the JIT
            final List<String> cells = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                for (final int t : THREADS) {
                    cells.add(cell(round, "bridge", ProcessHandle.current(), load, dev.node(), t, seconds));
                    cells.add(cell(round, "libfuse", floor.toHandle(), load, floorNode, t, seconds));
                }
            }
            final String json = "{\"kernel\":\"" + Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim()
                    + "\",\"cpus\":" + Runtime.getRuntime().availableProcessors() + ",\"java\":\""
                    + System.getProperty("java.vm.version") + "\",\"cells\":[\n  " + String.join(",\n  ", cells) + "\n]}";
            Files.writeString(Path.of(System.getProperty("java.io.tmpdir"), "cuse-roundtrip.json"), json + "\n");
            System.out.println(json);
        } finally {
            floor.destroy();
            if (!floor.waitFor(10, TimeUnit.SECONDS)) {
                floor.destroyForcibly();
            }
        }
    }

    /**
     * One cell, with the server process's CPU time over it (the bridge's is this whole JVM's: the serving thread,
     * and also the JIT and GC threads while they work).
     */
    private static String cell(final int round, final String server, final ProcessHandle serverProcess, final Path load,
            final Path node, final int threads, final String seconds) throws IOException, InterruptedException {
        final long before = cpuNanos(serverProcess);
        final String client = run(load, node, threads, seconds);
        final long after = cpuNanos(serverProcess);
        return "{\"round\":" + round + ",\"server\":\"" + server + "\",\"serverCpuS\":" + String.format(java.util.Locale.ROOT, "%.3f",
                (after - before) / 1e9) + "," + client.substring(1);
    }

    private static long cpuNanos(final ProcessHandle p) {
        return p.info().totalCpuDuration().orElseThrow(() -> new AssertionError("no CPU time for " + p.pid())).toNanos();
    }

    /** One cell: the load client's JSON line; fails unless every call succeeded with a valid time. */
    private static String run(final Path load, final Path node, final int threads, final String seconds)
            throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(load.toString(), "--node", node.toString(), "--threads",
                Integer.toString(threads), "--seconds", seconds, "--warmup-seconds", "1").redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the load client finished");
        System.out.println("[load " + node + " x" + threads + "] " + out);
        assertEquals(0, p.exitValue(), "load client on " + node + " with " + threads + " threads: " + out);
        return out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow();
    }
}
