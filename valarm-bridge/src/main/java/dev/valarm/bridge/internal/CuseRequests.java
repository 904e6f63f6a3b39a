package dev.valarm.bridge.internal;

import dev.valarm.Errno;
import dev.valarm.ValarmInstance;

/**
 * The requests of one CUSE character device: every open of the node is an open of its one instance;
 * the rest are the device's file operations ({@link DeviceRequests}), with unrestricted ioctls.
 *
 * <p>Thread-safety: confined to the serving loop.
 */
public final class CuseRequests extends DeviceRequests {
    private final ValarmInstance instance;
    private final Runnable afterClose;

    /**
     * Creates the handler.
     *
     * @param waits the bridge's request table
     * @param instance the instance the device serves
     * @param afterClose run after the connection's fd is closed (removes a node the bridge made itself)
     */
    public CuseRequests(final PendingWaits waits, final ValarmInstance instance, final Runnable afterClose) {
        super(waits, true);
        this.instance = instance;
        this.afterClose = afterClose;
    }

    @Override
    protected void other(final Connection c, final Request req, final Reply reply) {
        if (req.opcode() == FuseAbi.OPEN) {
            open(c, req, reply, instance);
        } else {
            error(c, req, reply, Errno.ENOSYS);
        }
    }

    @Override
    public void afterClose() {
        afterClose.run();
    }
}
