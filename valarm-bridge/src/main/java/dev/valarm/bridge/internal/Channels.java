package dev.valarm.bridge.internal;

import dev.valarm.Errno;
import dev.valarm.bridge.BridgeException;
import dev.valarm.bridge.NodeSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.Pointer;

/**
 * Opens the kernel side of a node up to a ready {@link Connection} (INIT answered, no handler yet): a CUSE
 * character device or a FUSE mount. {@code AlarmBridge} and the valarm daemon both start their nodes here;
 * the daemon also re-sends a dead predecessor's requests through {@link #notifyResend}.
 *
 * <p>Thread-safety: stateless.
 */
public final class Channels {
    private Channels() {
    }

    /**
     * A CUSE device that was just created.
     *
     * @param connection its connection (no handler yet)
     * @param created the node, its device number and whether the bridge made the node itself
     */
    public record OpenedCuse(Connection connection, CuseNodes.Created created) {
    }

    /**
     * Creates a CUSE character device: checks the name and number are free, opens {@code /dev/cuse},
     * answers CUSE_INIT (unrestricted ioctls) and gives the node the spec's owner, group and mode.
     *
     * @param devDir where the node appears
     * @param spec the node's name, owner and mode
     * @param major the char major (0: the kernel picks one)
     * @param minor the minor
     * @param what for errors
     * @return the device
     * @throws BridgeException (ENOENT/ENODEV) no CUSE in this kernel; (EACCES/EPERM) not root; (EEXIST) the
     *         name is taken; (EBUSY) the number is taken or the kernel refused the device
     */
    public static OpenedCuse openCuse(final Path devDir, final NodeSpec spec, final int major, final int minor,
            final String what) {
        CuseNodes.checkFree(devDir, spec.name(), major, minor, what);
        final int fd = CuseNodes.openChannel(what);
        try {
            final Handshake.Negotiated n = Handshake.cuseInit(fd, spec.name(), major, minor, what);
            final CuseNodes.Created created = CuseNodes.setUp(devDir, spec, what);
            final Connection c = new Connection(fd, Connection.Kind.CUSE, "CUSE " + created.node(), n.minor());
            c.kernelMinor(n.kernelMinor());
            return new OpenedCuse(c, created);
        } catch (final RuntimeException e) {
            Native.get().libc().close(fd);
            throw e;
        }
    }

    /**
     * Mounts an empty FUSE file system on {@code dir} (clearing stale mounts a dead server left there) and
     * answers FUSE_INIT.
     *
     * @param dir the mount point, absolute and normalised
     * @param rootMode the root directory's permission bits
     * @param what for errors
     * @return the connection (no handler yet)
     * @throws BridgeException (EPERM) not root; (EBUSY) a live file system is mounted on {@code dir};
     *         (ENOENT/ENOTDIR) no such directory; (ENODEV) no FUSE in this kernel
     */
    public static Connection openFuse(final Path dir, final int rootMode, final String what) {
        final Native nat = Native.get();
        if (nat.libc().geteuid() != 0) {
            throw new BridgeException(Errno.EPERM, what, "not root (euid " + nat.libc().geteuid()
                    + "): mounting needs CAP_SYS_ADMIN");
        }
        Mounts.clearStale(dir, what); // before looking at the directory: a stale mount hides it (ENOTCONN)
        if (!Files.isDirectory(dir)) {
            throw new BridgeException(Files.exists(dir) ? 20 : Errno.ENOENT, what, dir + " is not a directory");
        }
        final int fd = Mounts.mount(dir, rootMode, what);
        try {
            final Handshake.Negotiated n = Handshake.fuseInit(fd, what);
            final Connection c = new Connection(fd, Connection.Kind.FUSE, "FUSE " + dir, n.minor());
            c.kernelMinor(n.kernelMinor());
            return c;
        } catch (final RuntimeException e) {
            nat.libc().close(fd);
            Mounts.unmount(dir);
            throw e;
        }
    }

    /**
     * Asks the kernel to queue again every request read from {@code fd}'s connection and not answered
     * ({@code FUSE_NOTIFY_RESEND}, Linux 6.9 / protocol 7.40). The re-sent requests carry
     * {@link FuseAbi#UNIQUE_RESEND} in their ids.
     *
     * @param fd a connection fd (FUSE or CUSE)
     * @return 0 if the kernel took it; else its errno (EINVAL: a kernel without resend)
     */
    public static int notifyResend(final int fd) {
        final Native nat = Native.get();
        final ByteBuffer b = ByteBuffer.allocateDirect(FuseAbi.OUT_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(FuseAbi.OUT_LEN, FuseAbi.OUT_HEADER_SIZE);
        b.putInt(FuseAbi.OUT_ERROR, FuseAbi.NOTIFY_RESEND);
        b.putLong(FuseAbi.OUT_UNIQUE, 0L);
        final Pointer p = nat.pointer(b);
        final long n = nat.libc().write(fd, p, FuseAbi.OUT_HEADER_SIZE);
        return n == FuseAbi.OUT_HEADER_SIZE ? 0 : n < 0 ? nat.errno() : Errno.EIO;
    }

    /**
     * Writes a recorded reply again for the same request id (a successor answering what a dead predecessor
     * had answered or was about to answer). A request no longer waiting is refused by the kernel with ENOENT,
     * which is harmless.
     *
     * @param fd the connection fd
     * @param bytes the reply, header included
     * @return 0 if the kernel took it, else its errno (ENOENT: that request is not waiting)
     */
    public static int writeRecorded(final int fd, final byte[] bytes) {
        final Native nat = Native.get();
        final ByteBuffer b = ByteBuffer.allocateDirect(bytes.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, bytes);
        final long n = nat.libc().write(fd, nat.pointer(b), bytes.length);
        return n == bytes.length ? 0 : n < 0 ? nat.errno() : Errno.EIO;
    }
}
