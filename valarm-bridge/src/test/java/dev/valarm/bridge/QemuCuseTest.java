package dev.valarm.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
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
 * Guest tier: boots Debian's kernel under qemu with {@code fuse.ko} and {@code cuse.ko} (this host has no
 * CUSE) through valarm-rtc-linux's {@code run-guest-tests.sh}, and runs {@code dev.valarm.bridge.guest}
 * there against real CUSE devices. The C clients are built here, statically, before the boot.
 */
class QemuCuseTest {
    private static final Pattern SUITE = Pattern.compile("<testsuite [^>]*?tests=\"(\\d+)\"[^>]*? skipped=\"(\\d+)\"");
    private static final List<String> LAUNCHER_OWN = List.of("junit-jupiter", "junit-platform-", "opentest4j-",
            "apiguardian-api-", "surefire", "common-java5-", "common-junit");

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void cuseInTheGuest() throws Exception {
        assumeTrue(!Boolean.getBoolean("valarm.qemu.skip"), "skipped on request (-Dvalarm.qemu.skip=true)");
        requireGuestTier();
        Tier.require(CClient.multilibAvailable(), "gcc -m32 -static does not work (apt-get install gcc-multilib)");
        final Path c64 = CClient.binary(CClient.Build.LP64_STATIC);
        final Path c32 = CClient.binary(CClient.Build.COMPAT32_STATIC);
        runInGuest("target/qemu/results", 330, List.of("-Dvalarm.bridge.client64=" + c64,
                "-Dvalarm.bridge.client32=" + c32), List.of("--select-package", "dev.valarm.bridge.guest"));
    }

    /** x86-64 Linux, gcc and the qemu tier's tools (skips, or fails on CI, without them). */
    static void requireGuestTier() throws IOException, InterruptedException {
        Tier.require(System.getProperty("os.name", "").startsWith("Linux") && "amd64".equals(System.getProperty("os.arch")),
                "the qemu tier needs an x86-64 Linux host");
        Tier.require(CClient.gccAvailable(), "no gcc");
        final Process check = new ProcessBuilder("bash", script().toString(), "--check").inheritIO().start();
        assertTrue(check.waitFor(30, TimeUnit.SECONDS));
        Tier.require(check.exitValue() == 0, "qemu tier tools missing (apt-get install qemu-system-x86 busybox-static xz-utils)");
    }

    private static Path script() {
        final Path script = CClient.basedir().resolve("../valarm-rtc-linux/src/test/qemu/run-guest-tests.sh").normalize();
        assertTrue(Files.isRegularFile(script), "missing " + script);
        return script;
    }

    /**
     * Boots the guest with {@code fuse.ko} and {@code cuse.ko} and runs the selected guest tests there on this
     * test class path; fails unless they ran (at least one, none skipped) and passed.
     *
     * @param resultsDir the results directory, relative to the module
     * @param guestTimeout the guest's limit in seconds
     * @param jvmArgs the guest JVM's extra arguments
     * @param select the console launcher's selectors
     * @return the results directory
     */
    static Path runInGuest(final String resultsDir, final int guestTimeout, final List<String> jvmArgs,
            final List<String> select) throws IOException, InterruptedException {
        final Path base = CClient.basedir();
        final Path results = base.resolve(resultsDir);
        final List<String> cmd = new ArrayList<>(List.of("bash", script().toString(),
                "--classpath", guestClassPath(),
                "--launcher", base.resolve("target/qemu/lib/junit-platform-console-standalone.jar").toString(),
                "--results", results.toString(),
                "--java", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--timeout", Integer.toString(guestTimeout),
                "--insmod", "kernel/fs/fuse/cuse"));
        for (final String a : jvmArgs) {
            cmd.addAll(List.of("--jvm-arg", a));
        }
        cmd.add("--");
        cmd.addAll(select);
        cmd.add("--include-engine=junit-jupiter");
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).inheritIO().start();
        if (!p.waitFor(guestTimeout + 70L, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("the qemu script did not finish in " + (guestTimeout + 70) + " s");
        }
        assertEquals(0, p.exitValue(), "guest CUSE tests failed (script exit " + p.exitValue() + "; console "
                + results.resolve("console.log") + ", reports " + results.resolve("reports") + ")");
        final Path report = results.resolve("reports/TEST-junit-jupiter.xml");
        final Matcher m = SUITE.matcher(Files.readString(report, StandardCharsets.UTF_8));
        assertTrue(m.find(), "no <testsuite> in " + report);
        assertTrue(Integer.parseInt(m.group(1)) > 0, "the guest ran no tests");
        assertEquals(0, Integer.parseInt(m.group(2)), "guest tests were skipped in the guest");
        return results;
    }

    private static String guestClassPath() {
        final String raw = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return Arrays.stream(raw.split(File.pathSeparator)).filter(e -> !e.isEmpty())
                .filter(e -> LAUNCHER_OWN.stream().noneMatch(Path.of(e).getFileName().toString()::startsWith))
                .map(e -> Path.of(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
    }
}
