package dev.valarm.daemon;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A valarm daemon run by a test as a real process ({@code java -cp <test class path>
 * dev.valarm.daemon.ValarmDaemon serve --config FILE}), its output, its control socket, and the clean-up of
 * everything it leaves (the keeper process, FUSE mounts) whatever happened to it.
 */
final class DaemonProcess implements AutoCloseable {
    /** JVM options for a daemon that must start fast (crash loops): C1 only, serial GC. */
    static final List<String> FAST_START = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k");

    final Path dir;
    final Path config;
    final Path state;
    final Path socket;
    private final List<String> jvmOptions;
    private final Path log;
    private Process process;
    private long keeperPid = -1;
    private int readySeen;

    private DaemonProcess(final Path dir, final String configText, final List<String> jvmOptions) throws IOException {
        this.dir = dir;
        this.config = dir.resolve("daemon.conf");
        this.state = dir.resolve("state");
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^control-socket = (\\S+)$").matcher(configText);
        this.socket = m.find() ? Path.of(m.group(1)) : state.resolve("control.sock");
        this.jvmOptions = jvmOptions;
        this.log = dir.resolve("daemon.log");
        Files.writeString(config, "state-dir = " + state + "\n" + configText, StandardCharsets.UTF_8);
    }

    /** Writes the config ({@code state-dir} under {@code dir} is prepended) without starting. */
    static DaemonProcess prepare(final Path dir, final String configText, final List<String> jvmOptions) {
        try {
            return new DaemonProcess(dir, configText, jvmOptions);
        } catch (final IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Starts a daemon and waits until it serves. */
    static DaemonProcess start(final Path dir, final String configText) {
        return start(dir, configText, List.of());
    }

    /** Starts a daemon with JVM options and waits until it serves. */
    static DaemonProcess start(final Path dir, final String configText, final List<String> jvmOptions) {
        final DaemonProcess d = prepare(dir, configText, jvmOptions);
        d.launch();
        d.awaitReady(1, 90);
        return d;
    }

    static List<String> command(final List<String> jvmOptions, final String... args) {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        cmd.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(ValarmDaemon.class.getName());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    static String classPath() {
        final String raw = System.getProperty("valarm.daemon.classpath",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        return Arrays.stream(raw.split(File.pathSeparator)).filter(e -> !e.isEmpty())
                .map(e -> Path.of(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
    }

    /** Starts the process (again, after a kill). */
    void launch() {
        launch(jvmOptions);
    }

    /**
     * Starts the process with other JVM options (a crash point for one run only). Its output goes to
     * {@code daemon.log} in the test's directory (not a pipe: an upgrade's successors inherit the output, and the
     * JDK closes a child's pipe when the child exits).
     */
    void launch(final List<String> options) {
        try {
            process = new ProcessBuilder(command(options, "serve", "--config", config.toString()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (final IOException e) {
            throw new AssertionError("starting the daemon: " + e, e);
        }
    }

    /** Waits until {@code count} ready lines have been printed in all (an upgrade's successor prints one). */
    void awaitReady(final int count, final long seconds) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (countReady() < readySeen + count) {
            if (System.nanoTime() - deadline > 0) {
                fail("the daemon did not get ready within " + seconds + " s; output:\n" + output());
            }
            if (!process.isAlive() && countReady() < readySeen + count && !upgrading()) {
                fail("the daemon exited with status " + process.exitValue() + " before it was ready; output:\n" + output());
            }
            sleepMillis(20);
        }
        readySeen += count;
    }

    private boolean upgrading() {
        return lines().stream().anyMatch(l -> l.contains("handed over to pid"));
    }

    private long countReady() {
        return lines().stream().filter(l -> l.startsWith(ValarmDaemon.READY)).count();
    }

    static void sleepMillis(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Waits for the process started last to end; returns its status. */
    int awaitExit(final long seconds) {
        try {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                fail("the daemon did not end within " + seconds + " s; output:\n" + output());
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return process.exitValue();
    }

    /** Polls the daemon's stats until {@code key} reaches {@code value} (at most {@code seconds}). */
    Map<String, Object> awaitStat(final String key, final long value, final long seconds) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            @SuppressWarnings("unchecked")
            final Map<String, Object> st = (Map<String, Object>) ok(Map.of("cmd", "stats")).get("stats");
            if (st.get(key) instanceof Number && ((Number) st.get(key)).longValue() == value) {
                return st;
            }
            if (System.nanoTime() - deadline > 0) {
                fail("stats." + key + " did not reach " + value + " within " + seconds + " s: " + st);
            }
            sleepMillis(20);
        }
    }

    /** The daemon's stats. */
    @SuppressWarnings("unchecked")
    Map<String, Object> stats() {
        return (Map<String, Object>) ok(Map.of("cmd", "stats")).get("stats");
    }

    /**
     * How many host clock changes the daemon's device has seen ({@code stats.device.clock_changes}). Each raised
     * the time-change bit on every instance; some machines step their clock several times a second.
     */
    @SuppressWarnings("unchecked")
    long hostClockChanges() {
        return ((Number) ((Map<String, Object>) stats().get("device")).get("clock_changes")).longValue();
    }

    /** The process as started by this test (not an upgrade's successor). */
    Process process() {
        return process;
    }

    /** The pid serving now (asks the daemon). */
    long servingPid() {
        return ((Number) ctl(Map.of("cmd", "ping")).get("pid")).longValue();
    }

    /** Everything printed so far. */
    String output() {
        return String.join("\n", lines());
    }

    List<String> lines() {
        try {
            return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        } catch (final IOException e) {
            throw new AssertionError("reading " + log + ": " + e, e);
        }
    }

    /** SIGKILL to the process serving now, and waits for it to be gone. */
    void kill9(final long pid) {
        ProcessHandle.of(pid).ifPresent(h -> {
            h.destroyForcibly();
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
            } catch (final Exception e) {
                throw new AssertionError("pid " + pid + " did not die: " + e, e);
            }
        });
    }

    /** One control request. */
    Map<String, Object> ctl(final Map<String, ?> request) {
        try (ControlClient c = ControlClient.connect(socket)) {
            return c.call(request);
        } catch (final IOException e) {
            throw new AssertionError("control request " + request + ": " + e.getMessage() + "\noutput:\n" + output(), e);
        }
    }

    /** One control request that must succeed. */
    Map<String, Object> ok(final Map<String, ?> request) {
        final Map<String, Object> r = ctl(request);
        if (!Boolean.TRUE.equals(r.get("ok"))) {
            fail("control request " + request + " failed: " + r + "\noutput:\n" + output());
        }
        return r;
    }

    /** The keeper's pid (asks the keeper). */
    long keeperPid() {
        final long pid = new dev.valarm.daemon.internal.keeper.KeeperClient(state.resolve("keeper.sock")).ping();
        if (pid > 0) {
            keeperPid = pid;
        }
        return pid;
    }

    /**
     * Stops everything: a full shutdown through the control socket if a daemon answers (nodes removed, keeper
     * told to exit), else SIGKILL to what is left; then any FUSE mount left under the test's directory is
     * unmounted.
     */
    @Override
    public void close() {
        keeperPid();
        try {
            if (Files.exists(socket)) {
                try (ControlClient c = ControlClient.connect(socket)) {
                    c.call(Map.of("cmd", "shutdown"));
                } catch (final IOException | RuntimeException e) {
                    // nobody answers: killed below
                }
            }
            if (process != null) {
                process.waitFor(10, TimeUnit.SECONDS);
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
            final long pidFile = daemonPidFromFile();
            if (pidFile > 0) {
                ProcessHandle.of(pidFile).ifPresent(h -> {
                    if (h.info().commandLine().orElse("").contains(config.toString())) {
                        h.destroyForcibly();
                    }
                });
            }
            if (keeperPid > 0) {
                ProcessHandle.of(keeperPid).ifPresent(h -> {
                    h.destroyForcibly();
                    try {
                        h.onExit().get(10, TimeUnit.SECONDS);
                    } catch (final Exception e) {
                        // reported by the mount clean-up if it matters
                    }
                });
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clearMounts(dir);
    }

    private long daemonPidFromFile() {
        try {
            return Long.parseLong(Files.readString(state.resolve("daemon.pid")).trim());
        } catch (final IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Unmounts (lazily) every FUSE mount under {@code dir}. */
    static void clearMounts(final Path dir) {
        try {
            final String prefix = dir.toAbsolutePath().toString();
            for (final String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                final String[] f = line.split(" ");
                if (f.length > 4 && f[4].startsWith(prefix)) {
                    new ProcessBuilder("umount", "-l", f[4]).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
                }
            }
        } catch (final IOException e) {
            System.out.println("clearing mounts under " + dir + ": " + e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
