package dev.valarm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Guest tier: Debian's 6.1 kernel under qemu with {@code fuse.ko} and {@code cuse.ko} (this host has no CUSE,
 * and its kernel re-sends requests, 6.1's does not), through valarm-rtc-linux's {@code run-guest-tests.sh},
 * running {@code GuestDaemonTest} there: the daemon serving CUSE devices, crashed and upgraded under
 * blocked callers. The C clients are built here, statically, before the boot.
 */
class QemuDaemonTest {
    private static final Pattern SUITE = Pattern.compile("<testsuite [^>]*?tests=\"(\\d+)\"[^>]*? skipped=\"(\\d+)\"");
    private static final List<String> LAUNCHER_OWN = List.of("junit-jupiter", "junit-platform-", "opentest4j-",
            "apiguardian-api-", "surefire", "common-java5-", "common-junit");

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void theDaemonOnCuseInTheGuest() throws Exception {
        assumeTrue(!Boolean.getBoolean("valarm.qemu.skip"), "skipped on request (-Dvalarm.qemu.skip=true)");
        Host.require(System.getProperty("os.name", "").startsWith("Linux") && "amd64".equals(System.getProperty("os.arch")),
                "the qemu tier needs an x86-64 Linux host");
        Host.require(CBinaries.gccAvailable(), "no gcc");
        final Path base = Host.basedir();
        final Path script = base.resolve("../valarm-rtc-linux/src/test/qemu/run-guest-tests.sh").normalize();
        assertTrue(Files.isRegularFile(script), "missing " + script);
        final Process check = new ProcessBuilder("bash", script.toString(), "--check").inheritIO().start();
        assertTrue(check.waitFor(30, TimeUnit.SECONDS));
        Host.require(check.exitValue() == 0, "qemu tier tools missing (apt-get install qemu-system-x86 busybox-static xz-utils)");
        final Path conformance = CBinaries.binary(CBinaries.Client.CONFORMANCE, true);
        final Path churn = CBinaries.binary(CBinaries.Client.CHURN, true);
        final Path results = base.resolve("target/qemu/results");
        final List<String> cmd = new ArrayList<>(List.of("bash", script.toString(),
                "--classpath", guestClassPath(),
                "--launcher", base.resolve("target/qemu/lib/junit-platform-console-standalone.jar").toString(),
                "--results", results.toString(),
                "--java", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--timeout", "500",
                "--insmod", "kernel/fs/fuse/cuse",
                "--jvm-arg", "-Dvalarm.daemon.conformance=" + conformance,
                "--jvm-arg", "-Dvalarm.daemon.churn=" + churn,
                "--jvm-arg", "-Dvalarm.daemon.classpath=" + guestClassPath(),
                "--", "--select-class", "dev.valarm.daemon.GuestDaemonTest", "--include-engine=junit-jupiter"));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).inheritIO().start();
        if (!p.waitFor(560, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("the qemu script did not finish in 560 s");
        }
        assertEquals(0, p.exitValue(), "guest daemon tests failed (script exit " + p.exitValue() + "; console "
                + results.resolve("console.log") + ", reports " + results.resolve("reports") + ")");
        final Path report = results.resolve("reports/TEST-junit-jupiter.xml");
        final Matcher m = SUITE.matcher(Files.readString(report, StandardCharsets.UTF_8));
        assertTrue(m.find(), "no <testsuite> in " + report);
        assertTrue(Integer.parseInt(m.group(1)) > 0, "the guest ran no tests");
        assertEquals(0, Integer.parseInt(m.group(2)), "guest tests were skipped in the guest");
    }

    private static String guestClassPath() {
        final String raw = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return Arrays.stream(raw.split(File.pathSeparator)).filter(e -> !e.isEmpty())
                .filter(e -> LAUNCHER_OWN.stream().noneMatch(Path.of(e).getFileName().toString()::startsWith))
                .map(e -> Path.of(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
    }
}
