package dev.valarm.bridge;

import dev.valarm.ValarmInstance;
import dev.valarm.bridge.internal.Connection;
import dev.valarm.bridge.internal.FuseNodes;
import dev.valarm.bridge.internal.Session;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A FUSE file system mounted on a directory, with one regular file per served instance (the
 * {@code /dev/pts} model: one mount per container, or several instances in one mount). A file can be
 * bind-mounted over a container's {@code /dev/alarm}. The kernel enforces each file's owner, group and mode
 * ({@code default_permissions}). Its ioctls are restricted: everything works as on CUSE except GET_TIME,
 * which fails with EOPNOTSUPP (its result cannot be carried back through a FUSE file; callers fall back to
 * {@code clock_gettime}). Closing it answers every blocked caller with ENODEV, closes every handle and
 * unmounts; the instances stay open.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class FuseMount extends Served {
    private final FuseNodes nodes;
    private final Path mountPoint;

    FuseMount(final Session session, final Connection connection, final FuseNodes nodes, final Path mountPoint) {
        super(session, connection);
        this.nodes = nodes;
        this.mountPoint = mountPoint;
    }

    /**
     * The directory the file system is mounted on.
     *
     * @return the mount point
     */
    public Path mountPoint() {
        return mountPoint;
    }

    /**
     * Serves {@code instance} as a file of this mount.
     *
     * @param instance the instance, not null
     * @param spec the file's name, owner and mode, not null
     * @return the file's path
     * @throws IllegalArgumentException if the name is taken in this mount
     * @throws IllegalStateException if the mount is closed
     */
    public Path add(final ValarmInstance instance, final NodeSpec spec) {
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(spec, "spec");
        if (isClosed()) {
            throw new IllegalStateException("the FUSE mount on " + mountPoint + " is closed");
        }
        nodes.add(instance, spec);
        return mountPoint.resolve(spec.name());
    }

    /**
     * Stops serving a file: new opens fail with ENOENT; files already open keep working until closed.
     *
     * @param name the file's name
     * @return true if it was there
     */
    public boolean remove(final String name) {
        return nodes.remove(name) != null;
    }

    /**
     * The names of the files served.
     *
     * @return the names, in the order added
     */
    public List<String> files() {
        final List<String> out = new ArrayList<>();
        for (final FuseNodes.Node n : nodes.list()) {
            out.add(n.name());
        }
        return out;
    }



    @Override
    public String toString() {
        return "FuseMount[" + mountPoint + ", " + files() + ']';
    }
}
