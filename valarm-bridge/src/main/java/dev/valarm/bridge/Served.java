package dev.valarm.bridge;

import dev.valarm.bridge.internal.Connection;
import dev.valarm.bridge.internal.Session;

/**
 * What a {@link CuseDevice} and a {@link FuseMount} share: one kernel connection on the bridge's serving
 * loop, closed once.
 *
 * <p>Thread-safety: thread-safe.
 */
abstract class Served implements AutoCloseable {
    private final Session session;
    private final Connection connection;
    private volatile boolean closed;

    Served(final Session session, final Connection connection) {
        this.session = session;
        this.connection = connection;
    }

    /**
     * Whether it was closed, by {@link #close()}, by the bridge's close, or because the kernel ended the
     * connection.
     *
     * @return true once closed
     */
    public final boolean isClosed() {
        return closed || connection.isClosing();
    }

    /**
     * Stops serving: answers every blocked caller with ENODEV, closes every open file's handle, then removes
     * the node or unmounts. Idempotent.
     */
    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        session.detach(connection);
    }
}
