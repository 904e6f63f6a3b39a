package dev.valarm.rtc.linux.qemu;

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

/**
 * The host side of Tier 3: runs {@code src/test/qemu/run-guest-tests.sh} (which boots Debian's stock kernel
 * under qemu and runs a selection of JUnit tests inside the guest) for a host-side JUnit test, and checks
 * that the guest's tests really ran and passed.
 *
 * <p>When the tools are missing the calling test skips, except on CI ({@code CI=true}), where they are
 * installed and a missing tool is a failure. {@code -Dvalarm.qemu.skip=true} skips on purpose. The script
 * and the console launcher jar are found through the system properties {@value #SCRIPT_PROPERTY} and
 * {@value #LAUNCHER_PROPERTY}, else in this module ({@code basedir}).
 *
 * <p>Not thread-safe: one per test.
 */
public final class GuestTier {

    /** Script exit code: the guest's tests failed. */
    public static final int EXIT_FAILED = 1;
    /** Script exit code: tools are missing. */
    public static final int EXIT_MISSING = 3;
    /** System property with the script's path. */
    public static final String SCRIPT_PROPERTY = "valarm.qemu.script";
    /** System property with the JUnit console launcher jar's path. */
    public static final String LAUNCHER_PROPERTY = "valarm.qemu.launcher";

    /** The counters of the launcher's XML report. */
    private static final Pattern SUITE = Pattern.compile("<testsuite [^>]*?tests=\"(\\d+)\"[^>]*? skipped=\"(\\d+)\"");
    /** Lines of script output kept for failure messages. */
    private static final int TAIL_LINES = 150;
    /** Class path entries the standalone console launcher brings itself (it must not see them twice). */
    private static final List<String> LAUNCHER_OWN = List.of(
            "junit-jupiter", "junit-platform-", "junit-vintage", "opentest4j-", "apiguardian-api-",
            "surefire", "common-java5-", "common-junit");

    private final boolean ci;
    private final Path target;
    private final Path script;
    private final Path launcher;

    private GuestTier(final boolean ci, final Path target, final Path script, final Path launcher) {
        this.ci = ci;
        this.target = target;
        this.script = script;
        this.launcher = launcher;
    }

    /**
     * Checks that this tier can run here (skipping or, on CI, failing otherwise) and that the tools of
     * {@code bootMode} are present.
     *
     * @param bootMode the script's {@code --boot} mode, {@code fast} or {@code suspend}
     * @return the tier
     * @throws IOException if the tool check cannot be run
     * @throws InterruptedException if interrupted
     */
    public static GuestTier open(final String bootMode) throws IOException, InterruptedException {
        assumeTrue(!Boolean.getBoolean("valarm.qemu.skip"), "skipped on request (-Dvalarm.qemu.skip=true)");
        final boolean ci = "true".equals(System.getenv("CI"));
        final String os = System.getProperty("os.name", "");
        final String arch = System.getProperty("os.arch", "");
        requireOrSkip(ci, os.toLowerCase(Locale.ROOT).startsWith("linux") && "amd64".equals(arch),
                "the qemu tier needs an x86-64 Linux host (the guest runs the host's own java), this is "
                        + os + "/" + arch);
        final Path basedir = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        final Path target = basedir.resolve("target");
        final Path script = Path.of(System.getProperty(SCRIPT_PROPERTY,
                basedir.resolve("src/test/qemu/run-guest-tests.sh").toString())).toAbsolutePath();
        final Path launcher = Path.of(System.getProperty(LAUNCHER_PROPERTY,
                target.resolve("qemu/lib/junit-platform-console-standalone.jar").toString())).toAbsolutePath();
        assertTrue(Files.isRegularFile(script), "missing " + script);
        final GuestTier tier = new GuestTier(ci, target, script, launcher);
        final ScriptRun check = tier.runScript(List.of("--boot", bootMode, "--check"), 30);
        if (check.exitCode() == EXIT_MISSING) {
            requireOrSkip(ci, false, "qemu tier tools missing (install them, e.g. on Debian: apt-get install"
                    + " qemu-system-x86 busybox-static xz-utils):\n" + check.tail());
        }
        assertEquals(0, check.exitCode(), "tool check failed:\n" + check.tail());
        assertTrue(Files.isRegularFile(launcher), "missing " + launcher
                + " (the maven-dependency-plugin copies it in process-test-classes)");
        return tier;
    }

    /**
     * The module's {@code target} directory.
     *
     * @return the directory
     */
    public Path target() {
        return target;
    }

    /**
     * Runs the guest tests: the script with the surefire class path, {@code scriptOptions} (such as
     * {@code --boot suspend}) and, after {@code --}, {@code launcherArgs} (the test selection).
     *
     * @param results the results directory (emptied by the script; the guest's writable share)
     * @param scriptOptions more script options
     * @param launcherArgs the console launcher's selection arguments
     * @param timeoutSeconds the limit for the whole script
     * @return the run
     * @throws IOException if the script cannot be started
     * @throws InterruptedException if interrupted (the script and qemu are killed)
     */
    public ScriptRun runGuestTests(final Path results, final List<String> scriptOptions,
            final List<String> launcherArgs, final long timeoutSeconds) throws IOException, InterruptedException {
        final List<String> args = new ArrayList<>(List.of(
                "--classpath", guestClassPath(),
                "--launcher", launcher.toString(),
                "--results", results.toString(),
                "--java", Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        args.addAll(scriptOptions);
        args.add("--");
        args.addAll(launcherArgs);
        return runScript(args, timeoutSeconds);
    }

    /**
     * Fails unless the guest's tests ran there and passed, none skipped.
     *
     * @param run the script run
     * @param results its results directory
     * @param what what the guest tests prove, for the messages
     * @throws IOException if the report cannot be read
     */
    public static void assertGuestTestsPassed(final ScriptRun run, final Path results, final String what)
            throws IOException {
        if (run.exitCode() == EXIT_FAILED) {
            fail("guest tests failed " + what + " (reports in " + results.resolve("reports") + "):\n" + run.tail());
        }
        assertEquals(0, run.exitCode(), "the qemu run did not complete (script exit code " + run.exitCode()
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

    /** Runs the script with {@code args}, echoing its output, and waits at most {@code timeoutSeconds}. */
    private ScriptRun runScript(final List<String> args, final long timeoutSeconds)
            throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(args);
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
                System.out.println("[GuestTier] output pump: " + e);
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

    /**
     * Exit code and the last lines of output of one script run.
     *
     * @param exitCode the script's exit code
     * @param lastLines its last lines of output
     */
    public record ScriptRun(int exitCode, List<String> lastLines) {

        /**
         * The last lines as one string.
         *
         * @return the lines joined by newlines
         */
        public String tail() {
            return String.join("\n", lastLines);
        }
    }
}
