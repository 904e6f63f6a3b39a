package dev.valarm.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The C conformance client ({@code src/test/c/alarm_conformance.c}), compiled by the test with gcc into
 * {@code target/c/} (once per source version) and run as separate processes.
 */
final class CClient {
    /** How the client is built. */
    enum Build {
        /** 64-bit, dynamically linked. */
        LP64("-O2"),
        /** 64-bit, static (for the guest). */
        LP64_STATIC("-O2", "-static"),
        /** 32-bit (compat callers), static; needs gcc-multilib. */
        COMPAT32_STATIC("-m32", "-O2", "-static");

        final List<String> flags;

        Build(final String... flags) {
            this.flags = List.of(flags);
        }
    }

    private CClient() {
    }

    static Path basedir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    }

    static boolean gccAvailable() {
        try {
            final Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (final IOException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Whether gcc can build 32-bit static binaries here (gcc-multilib). */
    static boolean multilibAvailable() {
        try {
            binary(Build.COMPAT32_STATIC);
            return true;
        } catch (final AssertionError e) {
            return false;
        }
    }

    /**
     * The binary for {@code build}, compiled if needed.
     *
     * @return its path
     */
    static Path binary(final Build build) {
        return compile("alarm_conformance-" + build.name().toLowerCase(), List.of("alarm_conformance.c"), build.flags,
                List.of("-pthread"));
    }

    /**
     * Compiles C sources of {@code src/test/c} with gcc into {@code target/c/NAME-HASH} (once per version of the
     * sources, {@code alarm_dev.h} and the flags).
     *
     * @param name the binary's name
     * @param sources the sources, relative to {@code src/test/c}
     * @param flags gcc's flags before the sources
     * @param libs gcc's arguments after the sources (libraries)
     * @return its path
     */
    static synchronized Path compile(final String name, final List<String> sources, final List<String> flags,
            final List<String> libs) {
        final Path src = basedir().resolve("src/test/c");
        try {
            final MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (final String s : sources) {
                md.update(Files.readAllBytes(src.resolve(s)));
            }
            md.update(Files.readAllBytes(src.resolve("alarm_dev.h")));
            md.update((flags + " " + libs).getBytes(StandardCharsets.UTF_8));
            final String tag = HexFormat.of().formatHex(md.digest()).substring(0, 12);
            final Path out = basedir().resolve("target/c/" + name + "-" + tag);
            if (Files.isExecutable(out)) {
                return out;
            }
            Files.createDirectories(out.getParent());
            final Path tmp = out.resolveSibling(out.getFileName() + ".tmp" + ProcessHandle.current().pid());
            final List<String> cmd = new ArrayList<>(List.of("gcc"));
            cmd.addAll(flags);
            cmd.addAll(List.of("-Wall", "-Wextra", "-Werror", "-o", tmp.toString()));
            for (final String s : sources) {
                cmd.add(src.resolve(s).toString());
            }
            cmd.addAll(libs);
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            final String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail("compiling " + name + " (" + String.join(" ", cmd) + ") failed:\n" + log);
            }
            Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return out;
        } catch (final IOException | NoSuchAlgorithmException e) {
            throw new AssertionError("building " + name + ": " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** One run's output. */
    record Run(int exitCode, String output) {
        void assertAllPassed(final String what) {
            if (exitCode != 0) {
                final StringBuilder failures = new StringBuilder();
                for (final String line : output.split("\n")) {
                    if (line.startsWith("not ok")) {
                        failures.append("\n  ").append(line);
                    }
                }
                fail(what + ": the C client failed (exit " + exitCode + ")" + failures + "\nfull output:\n" + output);
            }
            assertEquals(0, exitCode);
        }
    }

    /**
     * Runs the client and waits (at most {@code timeoutSeconds}).
     *
     * @param prefix a command prefix (e.g. {@code unshare --time ...}), may be empty
     * @param build which binary
     * @param args the client's arguments
     * @return the run
     */
    static Run run(final List<String> prefix, final Build build, final List<String> args, final long timeoutSeconds) {
        final List<String> cmd = new ArrayList<>(prefix);
        cmd.add(binary(build).toString());
        cmd.addAll(args);
        try {
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            final byte[][] out = new byte[1][];
            final Thread pump = new Thread(() -> {
                try {
                    out[0] = p.getInputStream().readAllBytes();
                } catch (final IOException e) {
                    out[0] = ("(output lost: " + e + ")").getBytes(StandardCharsets.UTF_8);
                }
            });
            pump.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                pump.join(5000);
                fail("the C client did not finish within " + timeoutSeconds + " s: " + cmd + "\n"
                        + (out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8)));
            }
            pump.join(10_000);
            final String text = new String(out[0], StandardCharsets.UTF_8);
            System.out.println("[c-client " + build + "] " + String.join(" ", args) + "\n" + text);
            return new Run(p.exitValue(), text);
        } catch (final IOException e) {
            throw new AssertionError("running " + cmd + ": " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
