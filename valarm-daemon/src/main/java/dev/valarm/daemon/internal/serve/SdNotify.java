package dev.valarm.daemon.internal.serve;

import dev.valarm.daemon.internal.keeper.Sockets;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's readiness protocol ({@code sd_notify}): a datagram such as {@code READY=1\nMAINPID=123} to the
 * socket named by {@code $NOTIFY_SOCKET}, when systemd runs the daemon as {@code Type=notify}. A no-op
 * otherwise.
 *
 * <p>Thread-safety: thread-safe.
 */
final class SdNotify {
    private static final Logger LOG = LoggerFactory.getLogger(SdNotify.class);

    private SdNotify() {
    }

    /**
     * Sends a notification, if systemd asked for them.
     *
     * @param state the assignments, newline-separated
     * @return true if sent
     */
    static boolean send(final String state) {
        final String path = System.getenv("NOTIFY_SOCKET");
        if (path == null || path.isEmpty()) {
            return false;
        }
        final int fd = Sockets.lib().socket(Sockets.AF_UNIX, Sockets.SOCK_DGRAM | Sockets.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            LOG.warn("sd_notify: socket failed: {}", Sockets.describe(Sockets.errno()));
            return false;
        }
        try {
            final byte[] b = state.getBytes(StandardCharsets.UTF_8);
            final ByteBuffer data = ByteBuffer.allocateDirect(b.length);
            data.put(0, b);
            final ByteBuffer addr = Sockets.address(path);
            final long n = Sockets.lib().sendto(fd, Sockets.ptr(data), b.length, 0, Sockets.ptr(addr),
                    addr.limit());
            if (n != b.length) {
                LOG.warn("sd_notify to {} failed: {}", path, Sockets.describe(Sockets.errno()));
                return false;
            }
            return true;
        } finally {
            Sockets.lib().close(fd);
        }
    }
}
