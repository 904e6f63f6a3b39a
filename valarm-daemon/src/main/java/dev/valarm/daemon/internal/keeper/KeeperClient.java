package dev.valarm.daemon.internal.keeper;

import dev.valarm.Errno;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's side of the {@link Keeper}: hands it each new connection fd before a request is served from
 * it, takes the fds back after a crash or an upgrade, drops one when its node is removed, and starts a
 * keeper when none answers.
 *
 * <p>Thread-safety: thread-safe (one socket connection per request).
 */
public final class KeeperClient {
    private static final Logger LOG = LoggerFactory.getLogger(KeeperClient.class);
    private static final int TIMEOUT_MILLIS = 10_000;
    /** How long a new keeper may take to answer (a JVM start; slow under emulation). */
    private static final long SPAWN_TIMEOUT_SECONDS = 120;
    private final Path socket;

    /**
     * A client of the keeper at {@code socket}.
     *
     * @param socket the keeper's socket
     */
    public KeeperClient(final Path socket) {
        this.socket = socket;
    }

    /**
     * The keeper's socket.
     *
     * @return the path
     */
    public Path socket() {
        return socket;
    }

    private List<Sockets.Message> request(final String text, final int fd, final boolean many) {
        final int s = Sockets.connect(socket, TIMEOUT_MILLIS);
        try {
            Sockets.send(s, text, fd);
            final List<Sockets.Message> out = new ArrayList<>();
            while (true) {
                final Sockets.Message m = Sockets.receive(s);
                if (m == null) {
                    throw new Sockets.SocketException("the keeper closed the connection during " + text, Errno.EIO);
                }
                out.add(m);
                if (!many || !m.text().startsWith("FD ")) {
                    return out;
                }
            }
        } finally {
            Sockets.lib().close(s);
        }
    }

    /**
     * The keeper's pid, if one answers.
     *
     * @return the pid, or -1 if none answers
     */
    public long ping() {
        try {
            final String r = request("PING", -1, false).get(0).text();
            return r.startsWith("PONG ") ? Long.parseLong(r.split(" ")[1]) : -1;
        } catch (final Sockets.SocketException e) {
            return -1;
        }
    }

    /**
     * Gives the keeper a copy of a connection fd.
     *
     * @param id the connection's id
     * @param fd the fd
     * @throws Sockets.SocketException if the keeper does not take it
     */
    public void put(final long id, final int fd) {
        final String r = request("PUT " + id, fd, false).get(0).text();
        if (!r.equals("OK")) {
            throw new Sockets.SocketException("the keeper refused connection " + id + ": " + r, Errno.EIO);
        }
    }

    /**
     * Makes the keeper close its copy of a connection fd (before the daemon closes its own, so that the
     * kernel ends the connection).
     *
     * @param id the connection's id
     * @return true if the keeper had it
     */
    public boolean drop(final long id) {
        return request("DROP " + id, -1, false).get(0).text().equals("OK");
    }

    /**
     * Takes copies of every fd the keeper holds.
     *
     * @return fds of this process by connection id
     */
    public Map<Long, Integer> list() {
        final Map<Long, Integer> out = new LinkedHashMap<>();
        for (final Sockets.Message m : request("LIST", -1, true)) {
            if (m.text().startsWith("FD ") && m.fd() >= 0) {
                out.put(Long.parseLong(m.text().substring(3).trim()), m.fd());
            }
        }
        return out;
    }

    /**
     * The arguments that start the keeper's class the way this daemon was started: as the module
     * {@code dev.valarm.daemon} from the same module path ({@code java -p ... -m}) when this class is in a named
     * module of the boot layer, else from the same class path (the shaded {@code valarm-cli.jar}, the tests).
     *
     * @param module the module of {@link Keeper}
     * @param modulePath this JVM's module path ({@code jdk.module.path}), or null if it has none
     * @param classPath this JVM's class path ({@code java.class.path}), possibly empty
     * @return the launcher arguments, main class last
     */
    static List<String> launch(final Module module, final String modulePath, final String classPath) {
        final List<String> args = new ArrayList<>();
        if (module.isNamed() && modulePath != null && module.getLayer() == ModuleLayer.boot()) {
            args.add("--module-path");
            args.add(modulePath);
            if (!classPath.isEmpty()) {
                args.add("-cp");
                args.add(classPath);
            }
            args.add("-m");
            args.add(module.getName() + "/" + Keeper.class.getName());
        } else {
            args.add("-cp");
            args.add(classPath);
            args.add(Keeper.class.getName());
        }
        return args;
    }

    /** Makes the keeper close every fd and exit. */
    public void exit() {
        request("EXIT", -1, false);
    }

    /**
     * Starts a keeper process (in its own session, logging to {@code log}) and waits until it answers.
     *
     * @param log the keeper's log file
     * @return its pid
     * @throws IOException if it cannot be started or does not answer within {@value #SPAWN_TIMEOUT_SECONDS} s
     */
    public long spawn(final Path log) throws IOException {
        final String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // (java.io.tmpdir: where jnr-ffi writes its native stub; it must be writable and executable.)
        final List<String> cmd = new ArrayList<>(List.of(java, "-Xmx16m", "-Xss512k", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir")));
        cmd.addAll(launch(Keeper.class.getModule(), System.getProperty("jdk.module.path"),
                System.getProperty("java.class.path", "")));
        cmd.add("--socket");
        cmd.add(socket.toString());
        Files.createDirectories(log.getParent());
        final Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SPAWN_TIMEOUT_SECONDS);
        while (System.nanoTime() - deadline < 0) {
            if (!p.isAlive()) {
                throw new IOException("the keeper exited at once (status " + p.exitValue() + "); see " + log);
            }
            final long pid = ping();
            if (pid > 0) {
                LOG.info("started keeper pid {} on {} (log {})", pid, socket, log);
                return pid;
            }
            try {
                p.waitFor(20, TimeUnit.MILLISECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting the keeper", e);
            }
        }
        p.destroyForcibly();
        throw new IOException("the keeper did not answer on " + socket + " within " + SPAWN_TIMEOUT_SECONDS + " s; see "
                + log);
    }
}
