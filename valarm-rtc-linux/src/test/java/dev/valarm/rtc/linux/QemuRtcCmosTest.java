package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tier 3: runs the guest tests ({@code dev.valarm.rtc.linux.guest}) inside a qemu guest that boots
 * Debian's stock kernel, so that the backends meet the real {@code rtc_cmos} driver.
 *
 * <p>The work is done by {@code src/test/qemu/run-guest-tests.sh}; this test hands it the class path
 * surefire runs with (the host root is shared read-only with the guest, so the same paths work there)
 * and fails when the guest tests fail. When the tools are missing it skips, except on CI
 * ({@code CI=true}), where they are installed and a missing tool is a failure. Set
 * {@code -Dvalarm.qemu.skip=true} to skip it on purpose.
 */
final class QemuRtcCmosTest {

    /** The package of the guest-only tests. */
    private static final String GUEST_PACKAGE = "dev.valarm.rtc.linux.guest";
    /** Hard limit for the guest run inside the script (boot, tests, power-off). */
    private static final int GUEST_TIMEOUT_SECONDS = 270;
    /** Hard limit for the whole script (kernel download and unpacking included). */
    private static final long SCRIPT_TIMEOUT_SECONDS = 330;
    /** Script exit codes (see the script's header). */
    private static final int EXIT_FAILED = 1;
    private static final int EXIT_MISSING = 3;
    /** The counters of the launcher's XML report. */
    private static final Pattern SUITE = Pattern.compile("<testsuite [^>]*?tests=\"(\\d+)\"[^>]*? skipped=\"(\\d+)\"");
    /** Lines of script output kept for the failure message. */
    private static final int TAIL_LINES = 150;
    /** Class path entries the standalone console launcher brings itself (it must not see them twice). */
    private static final List<String> LAUNCHER_OWN = List.of(
            "junit-jupiter", "junit-platform-", "junit-vintage", "opentest4j-", "apiguardian-api-",
            "surefire", "common-java5-", "common-junit");

    @Test
    @Timeout(value = SCRIPT_TIMEOUT_SECONDS + 30, unit = TimeUnit.SECONDS)
    void guestTestsPassAgainstTheRealRtcCmosDriver() throws IOException, InterruptedException {
        assumeTrue(!Boolean.getBoolean("valarm.qemu.skip"), "skipped on request (-Dvalarm.qemu.skip=true)");
        final boolean ci = "true".equals(System.getenv("CI"));
        final String os = System.getProperty("os.name", "");
        final String arch = System.getProperty("os.arch", "");
        requireOrSkip(ci, os.toLowerCase(Locale.ROOT).startsWith("linux") && "amd64".equals(arch),
                "the qemu tier needs an x86-64 Linux host (the guest runs the host's own java), this is "
                        + os + "/" + arch);

        final Path basedir = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
                .toAbsolutePath();
        final Path script = basedir.resolve("src/test/qemu/run-guest-tests.sh");
        assertTrue(Files.isRegularFile(script), "missing " + script);
        final Path target = basedir.resolve("target");
        final Path launcher = target.resolve("qemu/lib/junit-platform-console-standalone.jar");
        final Path results = target.resolve("qemu/results");

        final ScriptRun check = run(List.of("bash", script.toString(), "--check"), 30);
        if (check.exitCode == EXIT_MISSING) {
            requireOrSkip(ci, false, "qemu tier tools missing (install them, e.g. on Debian: apt-get install"
                    + " qemu-system-x86 busybox-static xz-utils):\n" + check.tail());
        }
        assertEquals(0, check.exitCode, "tool check failed:\n" + check.tail());
        assertTrue(Files.isRegularFile(launcher), "missing " + launcher
                + " (the maven-dependency-plugin copies it in process-test-classes)");

        final List<String> command = new ArrayList<>(List.of("bash", script.toString(),
                "--classpath", guestClassPath(),
                "--launcher", launcher.toString(),
                "--results", results.toString(),
                "--java", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--timeout", Integer.toString(GUEST_TIMEOUT_SECONDS),
                "--", "--select-package", GUEST_PACKAGE, "--include-engine=junit-jupiter"));
        final ScriptRun run = run(command, SCRIPT_TIMEOUT_SECONDS);
        if (run.exitCode == EXIT_FAILED) {
            fail("guest tests failed against the real rtc_cmos driver (reports in " + results.resolve("reports")
                    + "):\n" + run.tail());
        }
        assertEquals(0, run.exitCode, "the qemu run did not complete (script exit code " + run.exitCode
                + ", console log " + results.resolve("console.log") + "):\n" + run.tail());
        // Guard against a vacuous pass: the guest tests must really have run there, none skipped.
        final Path report = results.resolve("reports/TEST-junit-jupiter.xml");
        assertTrue(Files.isRegularFile(report), "no JUnit report from the guest: " + report);
        final Matcher suite = SUITE.matcher(Files.readString(report, StandardCharsets.UTF_8));
        assertTrue(suite.find(), "no <testsuite> in " + report);
        final int tests = Integer.parseInt(suite.group(1));
        final int skipped = Integer.parseInt(suite.group(2));
        assertTrue(tests > 0, "the guest ran no tests");
        assertEquals(0, skipped, "guest tests were skipped inside the guest (see " + report + ")");
    }

    /** Skips with {@code reason} unless {@code ok}; on CI the same condition fails instead. */
    private static void requireOrSkip(final boolean ci, final boolean ok, final String reason) {
        if (ci) {
            assertTrue(ok, "CI=true, so this tier must run: " + reason);
        } else {
            assumeTrue(ok, reason);
        }
    }

    /**
     * The test class path surefire runs this JVM with, minus what the standalone console launcher
     * bundles itself (JUnit, surefire's own jars).
     */
    private static String guestClassPath() {
        final String raw = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final String cp = Arrays.stream(raw.split(File.pathSeparator))
                .filter(e -> !e.isEmpty())
                .filter(e -> {
                    final String name = Path.of(e).getFileName().toString();
                    return LAUNCHER_OWN.stream().noneMatch(name::startsWith);
                })
                .map(e -> Path.of(e).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
        assertTrue(cp.contains("test-classes"), "no test-classes directory on the class path: " + raw);
        return cp;
    }

    /** Runs {@code command}, echoing its output, and waits at most {@code timeoutSeconds}. */
    private static ScriptRun run(final List<String> command, final long timeoutSeconds)
            throws IOException, InterruptedException {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final Deque<String> tail = new ArrayDeque<>();
        final Thread pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    System.out.println(line);
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > TAIL_LINES) {
                            tail.removeFirst();
                        }
                    }
                }
            } catch (final IOException e) {
                System.out.println("[QemuRtcCmosTest] output pump: " + e);
            }
        }, "qemu-script-output");
        pump.setDaemon(true);
        pump.start();
        boolean finished = false;
        try {
            finished = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        } finally {
            if (!finished) {
                // Timed out or interrupted (@Timeout): never leave qemu running behind the build.
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (!finished) {
            pump.join(TimeUnit.SECONDS.toMillis(5));
            synchronized (tail) {
                fail("the qemu script did not finish within " + timeoutSeconds + " s:\n" + String.join("\n", tail));
            }
        }
        pump.join(TimeUnit.SECONDS.toMillis(10));
        synchronized (tail) {
            return new ScriptRun(process.exitValue(), List.copyOf(tail));
        }
    }

    /** Exit code and the last lines of output of one script run. */
    private static final class ScriptRun {
        final int exitCode;
        final List<String> lastLines;

        ScriptRun(final int exitCode, final List<String> lastLines) {
            this.exitCode = exitCode;
            this.lastLines = lastLines;
        }

        String tail() {
            return String.join("\n", lastLines);
        }
    }
}
