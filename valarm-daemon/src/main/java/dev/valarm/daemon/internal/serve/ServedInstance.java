package dev.valarm.daemon.internal.serve;

import dev.valarm.ValarmInstance;
import dev.valarm.daemon.internal.config.InstanceSpec;
import java.nio.file.Path;

/**
 * One instance the daemon serves and its node.
 *
 * <p>Thread-safety: guarded by the daemon's lock.
 */
final class ServedInstance {
    final ValarmInstance instance;
    final ServedConnection connection;
    final long fuseNodeId;
    InstanceSpec spec;

    ServedInstance(final InstanceSpec spec, final ValarmInstance instance, final ServedConnection connection,
            final long fuseNodeId) {
        this.spec = spec;
        this.instance = instance;
        this.connection = connection;
        this.fuseNodeId = fuseNodeId;
    }

    String name() {
        return spec.name();
    }

    /** The node a process opens. */
    Path node() {
        return connection.cuse ? connection.path : connection.path.resolve(spec.node().name());
    }
}
