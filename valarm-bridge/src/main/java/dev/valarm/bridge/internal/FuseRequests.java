package dev.valarm.bridge.internal;

import static dev.valarm.bridge.internal.FuseAbi.OUT_HEADER_SIZE;

import dev.valarm.Errno;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The requests of a FUSE mount: a read-only flat directory with one regular file per instance, and the
 * device's file operations on each file. The kernel checks permissions itself ({@code default_permissions}
 * is a mount option), so the bridge only reports each file's owner, group and mode. Changing the
 * namespace (create, mknod, unlink, rename, link, mkdir, xattrs) or a file's owner or mode fails with
 * EPERM: the bridge decides them. Truncation and time updates succeed and change nothing (as on a
 * character device). Nothing is cached by the kernel (all timeouts 0), so removed files vanish at once.
 *
 * <p>Thread-safety: confined to the serving loop.
 */
public final class FuseRequests extends DeviceRequests {
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int DT_DIR = 4;
    private static final int DT_REG = 8;
    private static final int ENOTDIR = 20;
    private static final int EISDIR = 21;

    private final FuseNodes nodes;
    private final int rootUid;
    private final int rootGid;
    private final int rootMode;
    private final Runnable afterClose;

    /**
     * Creates the handler.
     *
     * @param waits the bridge's request table
     * @param nodes the files
     * @param rootUid the directory's owner
     * @param rootGid the directory's group
     * @param rootMode the directory's permission bits
     * @param afterClose run after the connection's fd is closed (unmounts)
     */
    public FuseRequests(final PendingWaits waits, final FuseNodes nodes, final int rootUid, final int rootGid,
            final int rootMode, final Runnable afterClose) {
        super(waits, false);
        this.nodes = nodes;
        this.rootUid = rootUid;
        this.rootGid = rootGid;
        this.rootMode = rootMode;
        this.afterClose = afterClose;
    }

    @Override
    protected void other(final Connection c, final Request req, final Reply reply) {
        final long node = req.nodeId();
        switch (req.opcode()) {
            case FuseAbi.LOOKUP:
                lookup(c, req, reply);
                return;
            case FuseAbi.GETATTR:
                attr(c, req, reply, node);
                return;
            case FuseAbi.SETATTR:
                setattr(c, req, reply, node);
                return;
            case FuseAbi.OPEN:
                final FuseNodes.Node n = nodes.byId(node);
                if (n == null) {
                    error(c, req, reply, node == FuseAbi.ROOT_ID ? EISDIR : Errno.ENOENT);
                } else {
                    open(c, req, reply, n.instance());
                }
                return;
            case FuseAbi.OPENDIR:
                if (node != FuseAbi.ROOT_ID) {
                    error(c, req, reply, ENOTDIR);
                    return;
                }
                final int len = reply.header(req.unique(), 0, FuseAbi.OPEN_OUT_SIZE);
                reply.clearBody(FuseAbi.OPEN_OUT_SIZE);
                req.markAnswered();
                c.write(reply, len);
                return;
            case FuseAbi.READDIR:
                readdir(c, req, reply);
                return;
            case FuseAbi.RELEASEDIR:
            case FuseAbi.FSYNCDIR:
            case FuseAbi.DESTROY:
                error(c, req, reply, 0);
                return;
            case FuseAbi.STATFS:
                final int slen = reply.header(req.unique(), 0, FuseAbi.STATFS_OUT_SIZE);
                reply.clearBody(FuseAbi.STATFS_OUT_SIZE);
                reply.buffer().putInt(OUT_HEADER_SIZE + FuseAbi.STATFS_BSIZE, 4096);
                reply.buffer().putInt(OUT_HEADER_SIZE + FuseAbi.STATFS_NAMELEN, 255);
                reply.buffer().putInt(OUT_HEADER_SIZE + FuseAbi.STATFS_FRSIZE, 4096);
                req.markAnswered();
                c.write(reply, slen);
                return;
            case FuseAbi.SYMLINK:
            case FuseAbi.MKNOD:
            case FuseAbi.MKDIR:
            case FuseAbi.UNLINK:
            case FuseAbi.RMDIR:
            case FuseAbi.RENAME:
            case FuseAbi.RENAME2:
            case FuseAbi.LINK:
            case FuseAbi.CREATE:
            case FuseAbi.TMPFILE:
            case FuseAbi.SETXATTR:
            case FuseAbi.REMOVEXATTR:
                error(c, req, reply, Errno.EPERM);
                return;
            default:
                error(c, req, reply, Errno.ENOSYS);
        }
    }

    private void lookup(final Connection c, final Request req, final Reply reply) {
        final FuseNodes.Node n = req.nodeId() == FuseAbi.ROOT_ID ? nodes.byName(req.name(0)) : null;
        if (n == null) {
            error(c, req, reply, Errno.ENOENT);
            return;
        }
        final int len = reply.header(req.unique(), 0, FuseAbi.ENTRY_OUT_SIZE);
        reply.clearBody(FuseAbi.ENTRY_OUT_SIZE);
        reply.buffer().putLong(OUT_HEADER_SIZE + FuseAbi.ENTRY_OUT_NODEID, n.nodeId());
        fileAttr(reply.buffer(), OUT_HEADER_SIZE + FuseAbi.ENTRY_OUT_ATTR, n);
        req.markAnswered();
        c.write(reply, len);
    }

    private void attr(final Connection c, final Request req, final Reply reply, final long node) {
        final FuseNodes.Node n = nodes.byId(node);
        if (n == null && node != FuseAbi.ROOT_ID) {
            error(c, req, reply, Errno.ENOENT);
            return;
        }
        final int len = reply.header(req.unique(), 0, FuseAbi.ATTR_OUT_SIZE);
        reply.clearBody(FuseAbi.ATTR_OUT_SIZE);
        final int at = OUT_HEADER_SIZE + FuseAbi.ATTR_OUT_ATTR;
        if (n == null) {
            rootAttr(reply.buffer(), at);
        } else {
            fileAttr(reply.buffer(), at, n);
        }
        req.markAnswered();
        c.write(reply, len);
    }

    private void setattr(final Connection c, final Request req, final Reply reply, final long node) {
        if ((req.int32(FuseAbi.SETATTR_IN_VALID) & FuseAbi.FATTR_OWNERSHIP) != 0) {
            error(c, req, reply, Errno.EPERM);
            return;
        }
        attr(c, req, reply, node);
    }

    private void rootAttr(final ByteBuffer b, final int at) {
        b.putLong(at + FuseAbi.ATTR_INO, FuseAbi.ROOT_ID);
        times(b, at);
        b.putInt(at + FuseAbi.ATTR_MODE, S_IFDIR | rootMode);
        b.putInt(at + FuseAbi.ATTR_NLINK, 2);
        b.putInt(at + FuseAbi.ATTR_UID, rootUid);
        b.putInt(at + FuseAbi.ATTR_GID, rootGid);
        b.putInt(at + FuseAbi.ATTR_BLKSIZE, 4096);
    }

    private void fileAttr(final ByteBuffer b, final int at, final FuseNodes.Node n) {
        b.putLong(at + FuseAbi.ATTR_INO, n.nodeId());
        times(b, at);
        b.putInt(at + FuseAbi.ATTR_MODE, S_IFREG | n.spec().mode());
        b.putInt(at + FuseAbi.ATTR_NLINK, 1);
        b.putInt(at + FuseAbi.ATTR_UID, n.spec().uid());
        b.putInt(at + FuseAbi.ATTR_GID, n.spec().gid());
        b.putInt(at + FuseAbi.ATTR_BLKSIZE, 4096);
    }

    private void times(final ByteBuffer b, final int at) {
        b.putLong(at + FuseAbi.ATTR_ATIME, nodes.epochSeconds());
        b.putLong(at + FuseAbi.ATTR_MTIME, nodes.epochSeconds());
        b.putLong(at + FuseAbi.ATTR_CTIME, nodes.epochSeconds());
    }

    private void readdir(final Connection c, final Request req, final Reply reply) {
        final long offset = req.int64(FuseAbi.READ_IN_OFFSET);
        final int max = Math.min(req.int32(FuseAbi.READ_IN_SIZE), Session.REPLY_BUFFER_SIZE - OUT_HEADER_SIZE);
        final List<FuseNodes.Node> files = nodes.list();
        final ByteBuffer b = reply.buffer();
        int p = OUT_HEADER_SIZE;
        for (long i = offset; i < files.size() + 2; i++) {
            final String name;
            final long ino;
            final int type;
            if (i < 2) {
                name = i == 0 ? "." : "..";
                ino = FuseAbi.ROOT_ID;
                type = DT_DIR;
            } else {
                final FuseNodes.Node n = files.get((int) i - 2);
                name = n.name();
                ino = n.nodeId();
                type = DT_REG;
            }
            final byte[] nb = name.getBytes(StandardCharsets.UTF_8);
            final int size = (FuseAbi.DIRENT_NAME + nb.length + 7) & ~7;
            if (p - OUT_HEADER_SIZE + size > max) {
                break;
            }
            b.putLong(p + FuseAbi.DIRENT_INO, ino);
            b.putLong(p + FuseAbi.DIRENT_OFF, i + 1);
            b.putInt(p + FuseAbi.DIRENT_NAMELEN, nb.length);
            b.putInt(p + FuseAbi.DIRENT_TYPE, type);
            b.put(p + FuseAbi.DIRENT_NAME, nb);
            for (int z = FuseAbi.DIRENT_NAME + nb.length; z < size; z++) {
                b.put(p + z, (byte) 0);
            }
            p += size;
        }
        final int len = reply.header(req.unique(), 0, p - OUT_HEADER_SIZE);
        req.markAnswered();
        c.write(reply, len);
    }

    @Override
    public void afterClose() {
        afterClose.run();
    }
}
