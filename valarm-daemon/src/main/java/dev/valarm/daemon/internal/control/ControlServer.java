package dev.valarm.daemon.internal.control;

import dev.valarm.daemon.internal.config.DaemonConfig;
import dev.valarm.daemon.internal.config.Ids;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket: a unix-domain stream socket (the JDK's own), mode 0600 by default, one JSON object per
 * line each way. Every connection's peer credentials ({@code SO_PEERCRED}) are checked before a byte is
 * read: root, the configured users and the configured groups (the peer's primary group) may use it; any
 * other caller gets one {@code EACCES} reply and is logged. A request longer than {@link #MAX_REQUEST} bytes
 * is refused.
 *
 * <p>Thread-safety: thread-safe; one thread accepts, one thread serves each connection (commands run one
 * at a time behind the daemon's lock).
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    /** The longest request line. */
    public static final int MAX_REQUEST = 1 << 20;

    private final DaemonConfig config;
    private final Commands commands;
    private ServerSocketChannel server;
    private Thread acceptor;
    private volatile boolean closed;

    /**
     * A server for a daemon's commands.
     *
     * @param config where the socket goes, its mode and who may use it
     * @param commands the commands
     */
    public ControlServer(final DaemonConfig config, final Commands commands) {
        this.config = config;
        this.commands = commands;
    }

    /**
     * Binds the socket (replacing a stale socket file nobody answers on) and starts accepting.
     *
     * @throws IOException if the socket cannot be bound, or a live daemon answers on it
     */
    public void start() throws IOException {
        final Path p = config.controlSocket();
        Files.createDirectories(p.getParent());
        if (Files.exists(p)) {
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                probe.connect(UnixDomainSocketAddress.of(p));
                throw new IOException("another daemon answers on the control socket " + p);
            } catch (final IOException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("another daemon")) {
                    throw e;
                }
                Files.deleteIfExists(p); // nobody listens: a dead predecessor's socket file
            }
        }
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(p));
        Files.setPosixFilePermissions(p, permissions(config.controlMode()));
        acceptor = new Thread(this::accept, "valarm-control");
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("control socket {} (mode {}, root{}{})", p, String.format("%04o", config.controlMode()),
                config.controlUsers().isEmpty() ? "" : ", uids " + config.controlUsers(),
                config.controlGroups().isEmpty() ? "" : ", gids " + config.controlGroups());
    }

    private static Set<PosixFilePermission> permissions(final int mode) {
        final Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        final PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(order[i]);
            }
        }
        return s;
    }

    private void accept() {
        while (!closed) {
            final SocketChannel c;
            try {
                c = server.accept();
            } catch (final ClosedChannelException e) {
                return;
            } catch (final IOException e) {
                if (!closed) {
                    LOG.error("control socket accept failed: {}", e.toString());
                }
                return;
            }
            final Thread t = new Thread(() -> serve(c), "valarm-control-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(final SocketChannel c) {
        final Commands.Session session = commands.session();
        try (c) {
            final String peer;
            final UnixDomainPrincipal who = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
            final int uid = id(who.user().getName(), true);
            final int gid = id(who.group().getName(), false);
            peer = who.user().getName() + " (uid " + uid + "), group " + who.group().getName() + " (gid " + gid + ")";
            if (!(uid == 0 || config.controlUsers().contains(uid) || config.controlGroups().contains(gid))) {
                LOG.warn("refused a control connection from {}: not root and not in control-users or control-groups", peer);
                write(c, Json.write(Commands.error(dev.valarm.Errno.EACCES, "permission denied: " + peer
                        + " may not use this control socket (root, control-users and control-groups may)")));
                return;
            }
            final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            final ByteArrayOutputStream line = new ByteArrayOutputStream();
            boolean tooLong = false;
            while (true) {
                in.clear();
                if (c.read(in) < 0) {
                    return;
                }
                in.flip();
                while (in.hasRemaining()) {
                    final byte b = in.get();
                    if (b != '\n') {
                        if (line.size() < MAX_REQUEST) {
                            line.write(b);
                        } else {
                            tooLong = true;
                        }
                        continue;
                    }
                    final Commands.Reply r;
                    if (tooLong) {
                        r = new Commands.Reply(Commands.error(dev.valarm.Errno.EINVAL, "request longer than "
                                + MAX_REQUEST + " bytes: refused, nothing changed"), null);
                    } else {
                        r = session.handle(line.toString(StandardCharsets.UTF_8), peer);
                    }
                    line.reset();
                    tooLong = false;
                    write(c, Json.write(r.body()));
                    if (r.after() != null) {
                        r.after().run();
                    }
                }
            }
        } catch (final IOException e) {
            LOG.debug("control connection ended: {}", e.toString());
        } catch (final RuntimeException e) {
            LOG.error("control connection failed: {}", e.toString(), e);
        } finally {
            session.closed();
        }
    }

    private static int id(final String name, final boolean user) {
        try {
            return user ? Ids.uid(name) : Ids.gid(name);
        } catch (final IllegalArgumentException e) {
            return -1;
        }
    }

    private static void write(final SocketChannel c, final String text) throws IOException {
        final ByteBuffer b = ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    /** Stops accepting and removes the socket file. */
    @Override
    public void close() {
        closed = true;
        try {
            if (server != null) {
                server.close();
            }
            Files.deleteIfExists(config.controlSocket());
        } catch (final IOException e) {
            LOG.debug("closing the control socket: {}", e.toString());
        }
    }
}
