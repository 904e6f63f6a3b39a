package dev.valarm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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

/** C client processes of a test: started, their output collected, all of them stopped at the end. */
final class Clients implements AutoCloseable {
    private final List<Run> runs = new ArrayList<>();

    /** One client process. */
    static final class Run {
        final Process process;
        final List<String> command;
        private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
        private final Thread pump;

        private Run(final Process process, final List<String> command) {
            this.process = process;
            this.command = command;
            this.pump = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (final IOException e) {
                    lines.add("(pump: " + e + ")");
                }
            }, "client-output");
            pump.setDaemon(true);
            pump.start();
        }

        String output() {
            return String.join("\n", lines);
        }

        /** Waits for the process to end (at most {@code seconds}) and for its output; fails if it does not. */
        int await(final long seconds) {
            try {
                if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                    fail("client did not finish within " + seconds + " s: " + command + "\n" + output());
                }
                pump.join(10_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            return process.exitValue();
        }

        /** Waits until a line containing {@code text} was printed (at most {@code seconds}). */
        void awaitLine(final String text, final long seconds) {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (lines.stream().noneMatch(l -> l.contains(text))) {
                if (System.nanoTime() - deadline > 0 || !process.isAlive() && lines.stream().noneMatch(l -> l.contains(text))
                        && !pump.isAlive()) {
                    fail("client printed no \"" + text + "\" within " + seconds + " s: " + command + "\n" + output());
                }
                DaemonProcess.sleepMillis(10);
            }
        }

        /** The first line starting with {@code prefix}, or fail. */
        String line(final String prefix) {
            return lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                    .orElseThrow(() -> new AssertionError("no line starting \"" + prefix + "\" from " + command + ":\n"
                            + output()));
        }

        /** Sends one line to the client's standard input. */
        void send(final String line) {
            try {
                process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
                process.getOutputStream().flush();
            } catch (final IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** A key=value from a report line ({@code key=123}). */
    static String field(final String line, final String key) {
        final Matcher m = Pattern.compile("(?:^| )" + Pattern.quote(key) + "=(\\S+)").matcher(line);
        if (!m.find()) {
            throw new AssertionError("no " + key + "= in: " + line);
        }
        return m.group(1);
    }

    static long longField(final String line, final String key) {
        return Long.parseLong(field(line, key));
    }

    /**
     * A {@code --block-ms} client ended well: exit 0, its alarm's event, no errno, late by less than the bound.
     *
     * @return its report line
     */
    static String assertBlockedDelivered(final Run r, final long seconds, final long lateBoundUs) {
        assertEquals(0, r.await(seconds), r.output());
        final String line = r.line("block node=");
        assertEquals("-", field(line, "errno"), line);
        final long late = longField(line, "late_us");
        assertTrue(late >= 0 && late < lateBoundUs, "delivered on time (within " + lateBoundUs / 1000 + " ms): " + line);
        return line;
    }

    /**
     * A churn client ended well: exit 0, no failure, nothing early or twice, every acknowledged alarm delivered.
     *
     * @return its report line
     */
    static String assertChurnClean(final Run r, final long seconds) {
        assertEquals(0, r.await(seconds), "exit 0 (1: early, twice or an errno; 3: lost): " + r.output());
        final String line = r.line("churn node=");
        assertEquals(0, longField(line, "failures"), line);
        assertEquals(0, longField(line, "early"), "nothing delivered early or twice: " + line);
        assertEquals(longField(line, "sets"), longField(line, "delivered"), "nothing lost: " + line);
        return line;
    }

    /** Writes a test's figures to {@code target/reliability/NAME.json} and prints them. */
    static void report(final String name, final java.util.Map<String, Object> figures) throws IOException {
        final String json = ControlClient.toJson(figures);
        System.out.println("[" + name + "] " + json);
        final Path out = Host.basedir().resolve("target/reliability/" + name + ".json");
        java.nio.file.Files.createDirectories(out.getParent());
        java.nio.file.Files.writeString(out, json + "\n", StandardCharsets.UTF_8);
    }

    /** Starts a client: {@code prefix} (e.g. {@code setpriv ...}), the binary, its arguments. */
    Run start(final List<String> prefix, final Path binary, final String... args) {
        final List<String> cmd = new ArrayList<>(prefix);
        cmd.add(binary.toString());
        cmd.addAll(List.of(args));
        try {
            final Run r = new Run(new ProcessBuilder(cmd).redirectErrorStream(true).start(), cmd);
            synchronized (runs) {
                runs.add(r);
            }
            return r;
        } catch (final IOException e) {
            throw new AssertionError("starting " + cmd + ": " + e, e);
        }
    }

    Run start(final Path binary, final String... args) {
        return start(List.of(), binary, args);
    }

    List<Run> runs() {
        synchronized (runs) {
            return List.copyOf(runs);
        }
    }

    @Override
    public void close() {
        for (final Run r : runs()) {
            r.process.descendants().forEach(ProcessHandle::destroyForcibly);
            r.process.destroyForcibly();
        }
    }
}
