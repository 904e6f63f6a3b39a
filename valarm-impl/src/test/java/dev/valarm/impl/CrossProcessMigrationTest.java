package dev.valarm.impl;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC;
import static dev.valarm.AlarmType.SYSTEMTIME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.InstanceConfig;
import dev.valarm.InstanceSnapshot;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.jdk.JdkBackendProvider;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A migration between two JVM processes on the real clock (portable JDK backend): this JVM arms an
 * instance, snapshots it to a file and closes its device; a child JVM ({@link MigrationChild}) restores
 * the snapshot and reports when each alarm fired on the instance's clocks.
 */
class CrossProcessMigrationTest {
    private static final long SEC = 1_000_000_000L;
    /** How late an alarm may fire on a loaded machine. */
    private static final long LATENESS = 2 * SEC;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void anInstanceMovesToAnotherJvmAndFiresThereOnTime(@TempDir final Path dir) throws Exception {
        final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        assumeTrue(Files.isExecutable(java), "no java launcher at " + java);
        final String cp = System.getProperty("java.class.path");
        assumeTrue(cp != null && cp.contains("test-classes"),
                "the test classpath is not visible in java.class.path: " + cp);

        final CountDownLatch firedOnce = new CountDownLatch(1);
        final JdkBackendProvider jdk = new JdkBackendProvider();
        final InstanceSnapshot s;
        try (ValarmDevice device = Valarm.builder().hostClocks(jdk.openHostClocks())
                .rtcBackend(jdk.openRtcBackend(null)).threadName("valarm-parent")
                .listener(new DeviceListener() {
                    @Override
                    public void alarmFired(final int minor, final AlarmType type, final long deadline,
                            final long now) {
                        firedOnce.countDown();
                    }
                }).build()) {
            final ValarmInstance inst = device.createInstance(InstanceConfig.builder().minor(5).name("mover")
                    .wallClockOffset(Duration.ofDays(1)).boottimeOffset(Duration.ofHours(3)).build());
            final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
            h.set(ELAPSED_REALTIME, Timespec.ofSeconds(0)); // fires at once and stays pending
            assertTrue(firedOnce.await(30, TimeUnit.SECONDS), "the past alarm fired");
            h.set(ELAPSED_REALTIME_WAKEUP, plus(h.getTime(ELAPSED_REALTIME_WAKEUP), 3));
            h.set(SYSTEMTIME, plus(h.getTime(SYSTEMTIME), 4));
            h.set(RTC, plus(h.getTime(RTC), 5));
            s = inst.snapshot();
        }
        assertEquals(ELAPSED_REALTIME.mask(), s.pendingEvents().mask());
        final Duration left = s.remaining(ELAPSED_REALTIME_WAKEUP).orElseThrow();
        assertTrue(!left.isNegative() && left.compareTo(Duration.ofSeconds(3)) <= 0, "remaining at snapshot " + left);
        final Path snap = dir.resolve("instance.vals");
        Files.write(snap, s.toBytes());

        final Path result = dir.resolve("result.properties");
        final Path log = dir.resolve("child.log");
        final List<String> cmd = new ArrayList<>(List.of(java.toString(), "-cp", cp,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", MigrationChild.class.getName(),
                snap.toString(), result.toString()));
        final Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        final boolean exited = child.waitFor(150, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly();
        }
        assertTrue(exited, "the child JVM did not finish; its log:\n" + read(log));
        assertEquals(0, child.exitValue(), "the child JVM failed; its log:\n" + read(log));
        final Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(result, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        final String ctx = "child saw " + p + "\nlog:\n" + read(log);

        assertEquals("0", p.getProperty("missing"), ctx);
        assertEquals("5", p.getProperty("restored.minor"), ctx);
        assertEquals("mover", p.getProperty("restored.name"), ctx);
        // ELAPSED and SYSTEMTIME continue from the snapshot: the child's start-up time does not count.
        for (final AlarmType t : new AlarmType[] {ELAPSED_REALTIME, SYSTEMTIME}) {
            final long restored = Long.parseLong(p.getProperty("restored." + t));
            final long at = s.now(t).toNanos();
            assertTrue(restored >= at && restored - at < LATENESS, t + " continued from " + at + ": " + restored + "\n" + ctx);
        }
        // The pending event and the time-change (the wall clock moved with real time) come first.
        final int first = Integer.parseInt(p.getProperty("wait.0"));
        assertEquals(ELAPSED_REALTIME.mask() | AlarmEvents.TIME_CHANGE_MASK,
                first & (ELAPSED_REALTIME.mask() | AlarmEvents.TIME_CHANGE_MASK), ctx);
        // Each alarm fired at its time on the instance's clock of its type, never early, bounded late.
        final long wallRestored = Long.parseLong(p.getProperty("restored." + RTC));
        for (final AlarmType t : new AlarmType[] {ELAPSED_REALTIME_WAKEUP, SYSTEMTIME, RTC}) {
            final long due = s.alarm(t).orElseThrow().toNanos();
            final long fired = Long.parseLong(p.getProperty("fired." + t));
            // A wall-clock alarm whose time passed while the instance was in transit fires at restore.
            final long expected = t == RTC ? Math.max(due, wallRestored) : due;
            assertTrue(fired >= due, t + " fired early: due " + due + ", fired " + fired + "\n" + ctx);
            assertTrue(fired - expected < LATENESS, t + " fired " + (fired - expected) / 1e9 + " s late\n" + ctx);
        }
    }

    private static Timespec plus(final Timespec t, final long seconds) {
        return Timespec.ofNanos(t.toNanos() + seconds * SEC);
    }

    private static String read(final Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "(none)";
        } catch (final IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
