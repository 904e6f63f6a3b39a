package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test helper: runs a main class of these tests in a child JVM on the test class path (optionally under
 * a wrapper such as {@code setpriv}) and collects what it printed, stdout by line and stderr (the slf4j
 * lines) as text.
 *
 * @param exitCode the child's exit status
 * @param out its stdout, by line
 * @param err its stderr
 */
record ChildJvm(int exitCode, List<String> out, String err) {

    /**
     * Runs the child and waits up to 60 s for it.
     *
     * @param wrapper the command to run java under, or empty
     * @param jvmArgs JVM options, such as {@code -Dname=value}
     * @param main the main class
     * @param args its arguments
     * @return what it printed
     */
    static ChildJvm run(final List<String> wrapper, final List<String> jvmArgs, final Class<?> main,
            final String... args) throws IOException, InterruptedException {
        final String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(java);
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        final Path stdout = Files.createTempFile("valarm-child-" + ProcessHandle.current().pid(), ".out");
        final Path stderr = Files.createTempFile("valarm-child-" + ProcessHandle.current().pid(), ".err");
        try {
            final Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                    .start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not finish in 60 s: " + cmd);
            final ChildJvm r = new ChildJvm(p.exitValue(), Files.readAllLines(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
            r.out.forEach(l -> System.out.println("[child] " + l));
            r.err.lines().forEach(l -> System.out.println("[child err] " + l));
            return r;
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    /**
     * The last line of stdout.
     *
     * @return the line
     */
    String last() {
        assertTrue(!out.isEmpty(), "child printed nothing; stderr:\n" + err);
        return out.get(out.size() - 1);
    }
}
