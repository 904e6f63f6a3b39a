package dev.valarm.bridge;

import dev.valarm.ValarmInstance;
import dev.valarm.bridge.internal.Connection;
import dev.valarm.bridge.internal.Session;
import java.nio.file.Path;

/**
 * One instance served as a CUSE character device: a real node such as {@code /dev/alarm} that any process
 * may {@code open()} (as its mode allows) and drive with the driver's ioctls, GET_TIME included, from 64-bit
 * and 32-bit processes. Pass it into a container with the runtime's device option
 * ({@code --device /dev/alarm}). Closing it answers every blocked caller with ENODEV, closes every open file's
 * handle (cancelling the owner's alarms) and removes the node; the instance itself stays open.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class CuseDevice extends Served {
    private final ValarmInstance instance;
    private final NodeSpec spec;
    private final Path node;
    private final int major;
    private final int minor;

    CuseDevice(final Session session, final Connection connection, final ValarmInstance instance, final NodeSpec spec,
            final Path node, final int major, final int minor) {
        super(session, connection);
        this.instance = instance;
        this.spec = spec;
        this.node = node;
        this.major = major;
        this.minor = minor;
    }

    /**
     * The instance served.
     *
     * @return the instance
     */
    public ValarmInstance instance() {
        return instance;
    }

    /**
     * The node's name, owner and mode.
     *
     * @return the spec
     */
    public NodeSpec spec() {
        return spec;
    }

    /**
     * The node, such as {@code /dev/alarm}.
     *
     * @return the path
     */
    public Path node() {
        return node;
    }

    /**
     * The device's major number.
     *
     * @return the major
     */
    public int major() {
        return major;
    }

    /**
     * The device's minor number.
     *
     * @return the minor
     */
    public int minor() {
        return minor;
    }



    @Override
    public String toString() {
        return "CuseDevice[" + node + " " + major + ":" + minor + ", " + spec + ", " + instance.name() + ']';
    }
}
