package dev.valarm.daemon.internal.serve;

import dev.valarm.bridge.internal.Connection;
import dev.valarm.bridge.internal.FuseNodes;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * One kernel connection the daemon serves: a CUSE device (one instance) or a FUSE mount (one file per
 * instance, several instances may share it).
 *
 * <p>Thread-safety: guarded by the daemon's lock (the bridge's objects have their own rules).
 */
final class ServedConnection {
    final Connection connection;
    final boolean cuse;
    /** The CUSE node or the FUSE mount directory. */
    final Path path;
    /** The FUSE mount's files (null for CUSE). */
    final FuseNodes nodes;
    final int major;
    final int minor;
    final boolean madeNode;
    final Set<String> instances = new LinkedHashSet<>();

    ServedConnection(final Connection connection, final boolean cuse, final Path path, final FuseNodes nodes,
            final int major, final int minor, final boolean madeNode) {
        this.connection = connection;
        this.cuse = cuse;
        this.path = path;
        this.nodes = nodes;
        this.major = major;
        this.minor = minor;
        this.madeNode = madeNode;
    }

    long id() {
        return connection.id();
    }

    @Override
    public String toString() {
        return connection.toString();
    }
}
