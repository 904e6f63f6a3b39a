package dev.valarm.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stop under load: 50 processes blocked in WAIT (10 instances in one mount, 5 processes sharing each
 * owner's open file); stopping the bridge answers every one with an errno within a second, and a new
 * bridge on the same mount point serves again.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StopUnderLoadTest {
    private static final int INSTANCES = 10;
    private static final int PER_INSTANCE = 5;
    /** The bound: every blocked caller returns within this long after stop() begins. */
    private static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Pattern RETURNED = Pattern.compile(
            "returned pid=(\\d+) result=(-?\\d+) errno_name=(\\S+) at_ns=(\\d+) rewaited_at_ns=(-?\\d+)");

    private ValarmDevice device;
    private final List<Process> processes = new ArrayList<>();
    private final List<Thread> pumps = new ArrayList<>();

    @BeforeEach
    void start() {
        Tier.requireHostFuse();
        device = Devices.linux();
    }

    @AfterEach
    void stop() {
        for (final Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        if (device != null) {
            device.close();
        }
    }

    @Test
    void fiftyBlockedWaitsAllReturnWithinASecondOfStopAndARestartServesAgain() throws Exception {
        final Path dir = Devices.mountPoint("stop");
        final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
        final List<ValarmInstance> instances = new ArrayList<>();
        final AlarmBridge bridge = AlarmBridge.builder().threadName("bridge-stop").build();
        final long stopAt;
        try {
            final FuseMount m = bridge.mountFuse(dir);
            for (int i = 0; i < INSTANCES; i++) {
                final ValarmInstance in = device.createInstance();
                instances.add(in);
                m.add(in, NodeSpec.of("alarm" + i).mode(0600));
                final Process p = new ProcessBuilder(CClient.binary(CClient.Build.LP64).toString(), "--node",
                        dir.resolve("alarm" + i).toString(), "--hold-wait", Integer.toString(PER_INSTANCE))
                        .redirectErrorStream(true).start();
                processes.add(p);
                pumps.add(pump(p, lines));
            }
            // An event, not a sleep: the bridge's request table holds all 50 WAITs.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (bridge.blockedWaits() < INSTANCES * PER_INSTANCE && System.nanoTime() - deadline < 0) {
                Thread.sleep(10);
            }
            assertEquals(INSTANCES * PER_INSTANCE, bridge.blockedWaits(), "blocked WAITs; output: " + lines);
            stopAt = System.nanoTime(); // CLOCK_MONOTONIC, the clock the clients print
        } finally {
            bridge.close();
        }
        // Each client's parent exits only after its forked children (when the process Java started exits, Java
        // closes the pipe, and a child printing later would lose its line); its status says every WAIT failed.
        for (final Process p : processes) {
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "a blocked client never returned: " + lines);
            assertEquals(0, p.exitValue(), "a client's WAITs did not all fail as a stop must make them: " + lines);
        }
        // The processes have exited: wait for the output pumps to reach the end of their pipes (a loaded machine
        // can take far longer than any fixed pause).
        for (final Thread t : pumps) {
            t.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(t.isAlive(), "an output pump did not reach the end of its pipe: " + lines);
        }
        final List<Long> latencies = new ArrayList<>();
        for (final String line : lines) {
            final Matcher mt = RETURNED.matcher(line);
            if (mt.find()) {
                // A host clock step's TIME_CHANGE (some hosts step theirs several times a second) makes the client
                // WAIT again; a WAIT sent while the bridge stops, after its sweep of the blocked ones, is ended by
                // the kernel's abort of the connection instead (ECONNABORTED; ENOTCONN once it is gone).
                final boolean rewaitedAtStop = Long.parseLong(mt.group(5)) >= stopAt - BOUND_NANOS;
                if (!(rewaitedAtStop && (mt.group(3).equals("ECONNABORTED") || mt.group(3).equals("ENOTCONN")))) {
                    assertEquals("ENODEV", mt.group(3), "the errno a stop answers with: " + line);
                }
                latencies.add(Long.parseLong(mt.group(4)) - stopAt);
            }
        }
        assertEquals(INSTANCES * PER_INSTANCE, latencies.size(), "every blocked caller reported: " + lines);
        final long worst = latencies.stream().mapToLong(Long::longValue).max().orElseThrow();
        System.out.println("[stop] 50 blocked WAITs answered; slowest " + worst / 1_000 + " us after stop() began");
        assertTrue(worst <= BOUND_NANOS, "slowest blocked caller returned " + worst / 1_000_000 + " ms after stop()");

        // A restart on the same mount point serves again (the old mount is gone, not stale).
        try (AlarmBridge again = AlarmBridge.builder().threadName("bridge-restart").build()) {
            again.mountFuse(dir, instances.get(0), NodeSpec.of("alarm0").mode(0600));
            CClient.run(List.of(), CClient.Build.LP64, List.of("--node", dir.resolve("alarm0").toString(),
                    "--transport", "fuse", "--only", "read_only,set_wait_every_type"), 60)
                    .assertAllPassed("after a restart on the same mount point");
        }
    }

    private static Thread pump(final Process p, final ConcurrentLinkedQueue<String> lines) {
        final Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (final IOException e) {
                lines.add("(pump: " + e + ")");
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
