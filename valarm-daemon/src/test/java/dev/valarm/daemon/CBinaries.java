package dev.valarm.daemon;

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
 * The C clients of the daemon's tests, compiled by the tests with gcc into {@code target/c/} (once per source
 * version): the bridge's conformance client ({@code valarm-bridge/src/test/c/alarm_conformance.c}), the churn
 * and load client ({@code src/test/c/alarm_churn.c}) and the control-socket probe ({@code ctl_probe.c}).
 */
final class CBinaries {
    /** A client. */
    enum Client {
        /** The driver's conformance checks (the bridge's). */
        CONFORMANCE("../valarm-bridge/src/test/c/alarm_conformance.c"),
        /** Churn, load and blocked-WAIT modes. */
        CHURN("src/test/c/alarm_churn.c"),
        /** One line to a unix socket. */
        PROBE("src/test/c/ctl_probe.c");

        final String source;

        Client(final String source) {
            this.source = source;
        }
    }

    private CBinaries() {
    }

    static boolean gccAvailable() {
        return dev.valarm.bridge.CClientAccess.gcc();
    }

    /**
     * The binary of a client, compiled if needed (64-bit; {@code staticLink} for the qemu guest).
     *
     * @return its path
     */
    static synchronized Path binary(final Client client, final boolean staticLink) {
        final Path base = Host.basedir();
        final Path src = base.resolve(client.source).normalize();
        final Path header = base.resolve("../valarm-bridge/src/test/c/alarm_dev.h").normalize();
        final List<String> flags = new ArrayList<>(List.of("-O2"));
        if (staticLink) {
            flags.add("-static");
        }
        try {
            final MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(Files.readAllBytes(src));
            md.update(Files.readAllBytes(header));
            md.update(flags.toString().getBytes(StandardCharsets.UTF_8));
            final String tag = HexFormat.of().formatHex(md.digest()).substring(0, 12);
            final Path out = base.resolve("target/c/" + client.name().toLowerCase() + (staticLink ? "-static-" : "-") + tag);
            if (Files.isExecutable(out)) {
                return out;
            }
            Files.createDirectories(out.getParent());
            final Path tmp = out.resolveSibling(out.getFileName() + ".tmp" + ProcessHandle.current().pid());
            final List<String> cmd = new ArrayList<>(List.of("gcc"));
            cmd.addAll(flags);
            cmd.addAll(List.of("-Wall", "-Wextra", "-Werror", "-I", header.getParent().toString(), "-o", tmp.toString(),
                    src.toString(), "-pthread"));
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            final String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail("compiling " + src + " (" + String.join(" ", cmd) + ") failed:\n" + log);
            }
            Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return out;
        } catch (final IOException | NoSuchAlgorithmException e) {
            throw new AssertionError("building " + src + ": " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static Path binary(final Client client) {
        return binary(client, false);
    }
}
