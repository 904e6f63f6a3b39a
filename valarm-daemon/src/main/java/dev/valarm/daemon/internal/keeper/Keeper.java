package dev.valarm.daemon.internal.keeper;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * The keeper: a small process that holds a copy of every kernel connection fd ({@code /dev/fuse},
 * {@code /dev/cuse}) the daemon serves, so that a connection outlives the daemon (the kernel keeps a
 * connection while any process holds its fd: a FUSE mount stays mounted, a CUSE node stays, callers'
 * requests wait). A daemon that starts takes the fds back from it. The keeper knows nothing about alarms: it
 * stores fds by the daemon's connection id and gives them back.
 *
 * <p>Protocol: one {@code SOCK_SEQPACKET} connection per request, on a socket of mode 0600 (root only):
 * {@code PUT id} (with the fd) &rarr; {@code OK}; {@code DROP id} &rarr; {@code OK} or {@code NONE};
 * {@code LIST} &rarr; one {@code FD id} message with each fd, then {@code END n}; {@code PING} &rarr;
 * {@code PONG pid n}; {@code EXIT} &rarr; {@code OK}, then it closes every fd (the kernel ends those
 * connections) and exits.
 *
 * <p>Run: {@code java -cp ... dev.valarm.daemon.internal.keeper.Keeper --socket PATH}. It starts its own
 * session ({@code setsid}), so a terminal hang-up or the daemon's death does not reach it.
 *
 * <p>Thread-safety: single-threaded.
 */
public final class Keeper {
    private final Map<Long, Integer> fds = new TreeMap<>();
    private final Path socket;

    private Keeper(final Path socket) {
        this.socket = socket;
    }

    /**
     * Runs a keeper.
     *
     * @param args {@code --socket PATH}
     */
    public static void main(final String[] args) {
        if (args.length != 2 || !args[0].equals("--socket")) {
            System.err.println("usage: Keeper --socket PATH");
            System.exit(2);
        }
        Sockets.lib().setsid();
        System.exit(new Keeper(Path.of(args[1])).run());
    }

    private static void log(final String s) {
        System.err.println(Instant.now() + " valarm-keeper[" + ProcessHandle.current().pid() + "]: " + s);
    }

    private int run() {
        final int listen;
        try {
            listen = Sockets.listen(socket, 0600);
        } catch (final Sockets.SocketException e) {
            log(e.getMessage());
            return 1;
        }
        log("holding connection fds for the valarm daemon on " + socket);
        while (true) {
            final int c = Sockets.lib().accept4(listen, null, null, Sockets.SOCK_CLOEXEC);
            if (c < 0) {
                final int e = Sockets.errno();
                if (e == 4) {
                    continue;
                }
                log("accept failed: " + Sockets.describe(e));
                return 1;
            }
            try {
                if (serve(c)) {
                    Sockets.lib().close(c);
                    for (final int fd : fds.values()) {
                        Sockets.lib().close(fd);
                    }
                    log("exit on request: released " + fds.size() + " connection fd(s)");
                    Sockets.lib().unlink(socket.toString());
                    return 0;
                }
            } catch (final RuntimeException e) {
                log("request failed: " + e);
            } finally {
                Sockets.lib().close(c);
            }
        }
    }

    /** Serves one request; true to exit. */
    private boolean serve(final int c) {
        final Sockets.Message m = Sockets.receive(c);
        if (m == null) {
            return false;
        }
        final String[] w = m.text().trim().split(" ");
        switch (w[0]) {
            case "PUT": {
                final long id = Long.parseLong(w[1]);
                if (m.fd() < 0) {
                    Sockets.send(c, "ERR no fd came with PUT " + id, -1);
                    return false;
                }
                final Integer old = fds.put(id, m.fd());
                if (old != null) {
                    Sockets.lib().close(old);
                }
                Sockets.send(c, "OK", -1);
                return false;
            }
            case "DROP": {
                final Integer old = fds.remove(Long.parseLong(w[1]));
                if (old != null) {
                    Sockets.lib().close(old);
                }
                Sockets.send(c, old != null ? "OK" : "NONE", -1);
                return false;
            }
            case "LIST":
                for (final Map.Entry<Long, Integer> e : fds.entrySet()) {
                    Sockets.send(c, "FD " + e.getKey(), e.getValue());
                }
                Sockets.send(c, "END " + fds.size(), -1);
                return false;
            case "PING":
                Sockets.send(c, "PONG " + ProcessHandle.current().pid() + " " + fds.size(), -1);
                return false;
            case "EXIT":
                Sockets.send(c, "OK", -1);
                return true;
            default:
                if (m.fd() >= 0) {
                    Sockets.lib().close(m.fd());
                }
                Sockets.send(c, "ERR unknown request: " + m.text(), -1);
                return false;
        }
    }
}
