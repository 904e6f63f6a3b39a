package dev.valarm.daemon.internal.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * A process's time-namespace offsets ({@code /proc/PID/timens_offsets}: lines {@code monotonic SECS NANOS}
 * and {@code boottime SECS NANOS}), so that an instance's ELAPSED and SYSTEMTIME clocks agree with what the
 * processes of a container in that namespace read from {@code clock_gettime}. A process outside any time
 * namespace of its own has zero offsets.
 *
 * <p>Thread-safety: stateless.
 */
public final class TimeNamespace {
    private TimeNamespace() {
    }

    /**
     * The offsets of a process.
     *
     * @param offsets {boottime, monotonic} nanoseconds
     */
    public record Offsets(long boottime, long monotonic) {
    }

    /**
     * Reads the offsets of {@code pid}'s time namespace.
     *
     * @param proc the proc file system (normally {@code /proc})
     * @param pid the process
     * @return the offsets
     * @throws IllegalArgumentException naming the pid if there is no such process, the kernel has no time
     *         namespaces, or the file cannot be read or parsed
     */
    public static Offsets of(final Path proc, final long pid) {
        if (pid <= 0) {
            throw new IllegalArgumentException("not a process id: " + pid);
        }
        final Path f = proc.resolve(Long.toString(pid)).resolve("timens_offsets");
        final List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.US_ASCII);
        } catch (final NoSuchFileException e) {
            throw new IllegalArgumentException(Files.exists(proc.resolve(Long.toString(pid)))
                    ? "cannot read " + f + ": this kernel has no time namespaces (CONFIG_TIME_NS)"
                    : "no process " + pid + " (no " + proc.resolve(Long.toString(pid)) + ")");
        } catch (final IOException e) {
            throw new IllegalArgumentException("cannot read " + f + ": " + e.getMessage());
        }
        long boot = 0;
        long mono = 0;
        for (final String line : lines) {
            final String[] w = line.trim().split("\\s+");
            if (w.length != 3) {
                continue;
            }
            try {
                final long ns = Math.addExact(Math.multiplyExact(Long.parseLong(w[1]), 1_000_000_000L),
                        Long.parseLong(w[2]));
                if (w[0].equals("boottime") || w[0].equals("7")) {
                    boot = ns;
                } else if (w[0].equals("monotonic") || w[0].equals("1")) {
                    mono = ns;
                }
            } catch (final NumberFormatException | ArithmeticException e) {
                throw new IllegalArgumentException("cannot parse " + f + ": \"" + line + "\"");
            }
        }
        return new Offsets(boot, mono);
    }
}
