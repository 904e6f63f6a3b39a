package dev.valarm.bridge.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every offset and size in {@link FuseAbi} against the installed {@code linux/fuse.h}, measured by a C
 * compiler ({@code offsetof}/{@code sizeof}), and every opcode and flag value against its macro.
 */
class FuseAbiLayoutTest {

    private static Map<String, Integer> expected() {
        final Map<String, Integer> m = new LinkedHashMap<>();
        m.put("sizeof(struct fuse_in_header)", FuseAbi.IN_HEADER_SIZE);
        m.put("offsetof(struct fuse_in_header, len)", FuseAbi.IN_LEN);
        m.put("offsetof(struct fuse_in_header, opcode)", FuseAbi.IN_OPCODE);
        m.put("offsetof(struct fuse_in_header, unique)", FuseAbi.IN_UNIQUE);
        m.put("offsetof(struct fuse_in_header, nodeid)", FuseAbi.IN_NODEID);
        m.put("offsetof(struct fuse_in_header, uid)", FuseAbi.IN_UID);
        m.put("offsetof(struct fuse_in_header, gid)", FuseAbi.IN_GID);
        m.put("offsetof(struct fuse_in_header, pid)", FuseAbi.IN_PID);
        m.put("sizeof(struct fuse_out_header)", FuseAbi.OUT_HEADER_SIZE);
        m.put("offsetof(struct fuse_out_header, error)", FuseAbi.OUT_ERROR);
        m.put("offsetof(struct fuse_out_header, unique)", FuseAbi.OUT_UNIQUE);
        m.put("offsetof(struct fuse_init_in, minor)", FuseAbi.INIT_IN_MINOR);
        m.put("offsetof(struct fuse_init_in, max_readahead)", FuseAbi.INIT_IN_MAX_READAHEAD);
        m.put("offsetof(struct fuse_init_in, flags)", FuseAbi.INIT_IN_FLAGS);
        m.put("sizeof(struct fuse_init_out)", FuseAbi.INIT_OUT_SIZE);
        m.put("offsetof(struct fuse_init_out, minor)", FuseAbi.INIT_OUT_MINOR);
        m.put("offsetof(struct fuse_init_out, max_readahead)", FuseAbi.INIT_OUT_MAX_READAHEAD);
        m.put("offsetof(struct fuse_init_out, flags)", FuseAbi.INIT_OUT_FLAGS);
        m.put("offsetof(struct fuse_init_out, max_background)", FuseAbi.INIT_OUT_MAX_BACKGROUND);
        m.put("offsetof(struct fuse_init_out, congestion_threshold)", FuseAbi.INIT_OUT_CONGESTION_THRESHOLD);
        m.put("offsetof(struct fuse_init_out, max_write)", FuseAbi.INIT_OUT_MAX_WRITE);
        m.put("offsetof(struct fuse_init_out, time_gran)", FuseAbi.INIT_OUT_TIME_GRAN);
        m.put("sizeof(struct cuse_init_out)", FuseAbi.CUSE_INIT_OUT_SIZE);
        m.put("offsetof(struct cuse_init_out, minor)", FuseAbi.CUSE_INIT_OUT_MINOR);
        m.put("offsetof(struct cuse_init_out, flags)", FuseAbi.CUSE_INIT_OUT_FLAGS);
        m.put("offsetof(struct cuse_init_out, max_read)", FuseAbi.CUSE_INIT_OUT_MAX_READ);
        m.put("offsetof(struct cuse_init_out, max_write)", FuseAbi.CUSE_INIT_OUT_MAX_WRITE);
        m.put("offsetof(struct cuse_init_out, dev_major)", FuseAbi.CUSE_INIT_OUT_DEV_MAJOR);
        m.put("offsetof(struct cuse_init_out, dev_minor)", FuseAbi.CUSE_INIT_OUT_DEV_MINOR);
        m.put("offsetof(struct fuse_open_in, flags)", FuseAbi.OPEN_IN_FLAGS);
        m.put("sizeof(struct fuse_open_out)", FuseAbi.OPEN_OUT_SIZE);
        m.put("offsetof(struct fuse_open_out, fh)", FuseAbi.OPEN_OUT_FH);
        m.put("offsetof(struct fuse_open_out, open_flags)", FuseAbi.OPEN_OUT_OPEN_FLAGS);
        m.put("offsetof(struct fuse_release_in, fh)", FuseAbi.RELEASE_IN_FH);
        m.put("offsetof(struct fuse_read_in, offset)", FuseAbi.READ_IN_OFFSET);
        m.put("offsetof(struct fuse_read_in, size)", FuseAbi.READ_IN_SIZE);
        m.put("sizeof(struct fuse_ioctl_in)", FuseAbi.IOCTL_IN_SIZE);
        m.put("offsetof(struct fuse_ioctl_in, fh)", FuseAbi.IOCTL_IN_FH);
        m.put("offsetof(struct fuse_ioctl_in, flags)", FuseAbi.IOCTL_IN_FLAGS);
        m.put("offsetof(struct fuse_ioctl_in, cmd)", FuseAbi.IOCTL_IN_CMD);
        m.put("offsetof(struct fuse_ioctl_in, arg)", FuseAbi.IOCTL_IN_ARG);
        m.put("offsetof(struct fuse_ioctl_in, in_size)", FuseAbi.IOCTL_IN_IN_SIZE);
        m.put("offsetof(struct fuse_ioctl_in, out_size)", FuseAbi.IOCTL_IN_OUT_SIZE);
        m.put("sizeof(struct fuse_ioctl_out)", FuseAbi.IOCTL_OUT_SIZE);
        m.put("offsetof(struct fuse_ioctl_out, flags)", FuseAbi.IOCTL_OUT_FLAGS);
        m.put("offsetof(struct fuse_ioctl_out, in_iovs)", FuseAbi.IOCTL_OUT_IN_IOVS);
        m.put("offsetof(struct fuse_ioctl_out, out_iovs)", FuseAbi.IOCTL_OUT_OUT_IOVS);
        m.put("sizeof(struct fuse_ioctl_iovec)", FuseAbi.IOCTL_IOVEC_SIZE);
        m.put("offsetof(struct fuse_interrupt_in, unique)", FuseAbi.INTERRUPT_IN_UNIQUE);
        m.put("sizeof(struct fuse_poll_out)", FuseAbi.POLL_OUT_SIZE);
        m.put("sizeof(struct fuse_attr)", FuseAbi.ATTR_SIZE_OF);
        m.put("offsetof(struct fuse_attr, size)", FuseAbi.ATTR_SIZE);
        m.put("offsetof(struct fuse_attr, atime)", FuseAbi.ATTR_ATIME);
        m.put("offsetof(struct fuse_attr, mtime)", FuseAbi.ATTR_MTIME);
        m.put("offsetof(struct fuse_attr, ctime)", FuseAbi.ATTR_CTIME);
        m.put("offsetof(struct fuse_attr, mode)", FuseAbi.ATTR_MODE);
        m.put("offsetof(struct fuse_attr, nlink)", FuseAbi.ATTR_NLINK);
        m.put("offsetof(struct fuse_attr, uid)", FuseAbi.ATTR_UID);
        m.put("offsetof(struct fuse_attr, gid)", FuseAbi.ATTR_GID);
        m.put("offsetof(struct fuse_attr, blksize)", FuseAbi.ATTR_BLKSIZE);
        m.put("sizeof(struct fuse_entry_out)", FuseAbi.ENTRY_OUT_SIZE);
        m.put("offsetof(struct fuse_entry_out, generation)", FuseAbi.ENTRY_OUT_GENERATION);
        m.put("offsetof(struct fuse_entry_out, attr)", FuseAbi.ENTRY_OUT_ATTR);
        m.put("sizeof(struct fuse_attr_out)", FuseAbi.ATTR_OUT_SIZE);
        m.put("offsetof(struct fuse_attr_out, attr)", FuseAbi.ATTR_OUT_ATTR);
        m.put("offsetof(struct fuse_setattr_in, valid)", FuseAbi.SETATTR_IN_VALID);
        m.put("sizeof(struct fuse_statfs_out)", FuseAbi.STATFS_OUT_SIZE);
        m.put("offsetof(struct fuse_kstatfs, bsize)", FuseAbi.STATFS_BSIZE);
        m.put("offsetof(struct fuse_kstatfs, namelen)", FuseAbi.STATFS_NAMELEN);
        m.put("offsetof(struct fuse_kstatfs, frsize)", FuseAbi.STATFS_FRSIZE);
        m.put("offsetof(struct fuse_dirent, off)", FuseAbi.DIRENT_OFF);
        m.put("offsetof(struct fuse_dirent, namelen)", FuseAbi.DIRENT_NAMELEN);
        m.put("offsetof(struct fuse_dirent, type)", FuseAbi.DIRENT_TYPE);
        m.put("offsetof(struct fuse_dirent, name)", FuseAbi.DIRENT_NAME);
        m.put("FUSE_KERNEL_VERSION", FuseAbi.KERNEL_VERSION);
        m.put("FUSE_ROOT_ID", (int) FuseAbi.ROOT_ID);
        m.put("FUSE_MIN_READ_BUFFER", FuseAbi.MIN_READ_BUFFER);
        m.put("FUSE_LOOKUP", FuseAbi.LOOKUP);
        m.put("FUSE_FORGET", FuseAbi.FORGET);
        m.put("FUSE_GETATTR", FuseAbi.GETATTR);
        m.put("FUSE_SETATTR", FuseAbi.SETATTR);
        m.put("FUSE_SYMLINK", FuseAbi.SYMLINK);
        m.put("FUSE_MKNOD", FuseAbi.MKNOD);
        m.put("FUSE_MKDIR", FuseAbi.MKDIR);
        m.put("FUSE_UNLINK", FuseAbi.UNLINK);
        m.put("FUSE_RMDIR", FuseAbi.RMDIR);
        m.put("FUSE_RENAME", FuseAbi.RENAME);
        m.put("FUSE_LINK", FuseAbi.LINK);
        m.put("FUSE_OPEN", FuseAbi.OPEN);
        m.put("FUSE_READ", FuseAbi.READ);
        m.put("FUSE_WRITE", FuseAbi.WRITE);
        m.put("FUSE_STATFS", FuseAbi.STATFS);
        m.put("FUSE_RELEASE", FuseAbi.RELEASE);
        m.put("FUSE_FSYNC", FuseAbi.FSYNC);
        m.put("FUSE_SETXATTR", FuseAbi.SETXATTR);
        m.put("FUSE_REMOVEXATTR", FuseAbi.REMOVEXATTR);
        m.put("FUSE_FLUSH", FuseAbi.FLUSH);
        m.put("FUSE_INIT", FuseAbi.INIT);
        m.put("FUSE_OPENDIR", FuseAbi.OPENDIR);
        m.put("FUSE_READDIR", FuseAbi.READDIR);
        m.put("FUSE_RELEASEDIR", FuseAbi.RELEASEDIR);
        m.put("FUSE_FSYNCDIR", FuseAbi.FSYNCDIR);
        m.put("FUSE_CREATE", FuseAbi.CREATE);
        m.put("FUSE_INTERRUPT", FuseAbi.INTERRUPT);
        m.put("FUSE_DESTROY", FuseAbi.DESTROY);
        m.put("FUSE_IOCTL", FuseAbi.IOCTL);
        m.put("FUSE_POLL", FuseAbi.POLL);
        m.put("FUSE_BATCH_FORGET", FuseAbi.BATCH_FORGET);
        m.put("FUSE_RENAME2", FuseAbi.RENAME2);
        m.put("FUSE_TMPFILE", FuseAbi.TMPFILE);
        m.put("CUSE_INIT", FuseAbi.CUSE_INIT);
        m.put("FUSE_ABORT_ERROR", FuseAbi.FUSE_ABORT_ERROR);
        m.put("CUSE_UNRESTRICTED_IOCTL", FuseAbi.CUSE_UNRESTRICTED_IOCTL);
        m.put("FOPEN_DIRECT_IO", FuseAbi.FOPEN_DIRECT_IO);
        m.put("FOPEN_NONSEEKABLE", FuseAbi.FOPEN_NONSEEKABLE);
        m.put("FUSE_IOCTL_COMPAT", FuseAbi.IOCTL_COMPAT);
        m.put("FUSE_IOCTL_UNRESTRICTED", FuseAbi.IOCTL_UNRESTRICTED);
        m.put("FUSE_IOCTL_RETRY", FuseAbi.IOCTL_RETRY);
        m.put("FUSE_IOCTL_COMPAT_X32", FuseAbi.IOCTL_COMPAT_X32);
        m.put("FATTR_MODE | FATTR_UID | FATTR_GID", FuseAbi.FATTR_OWNERSHIP);
        m.put("CUSE_INIT_INFO_MAX", FuseAbi.CUSE_INIT_INFO_MAX);
        return m;
    }

    @Test
    void everyOffsetSizeAndValueMatchesTheKernelHeader() throws Exception {
        dev.valarm.bridge.Tier.require(Files.exists(Path.of("/usr/include/linux/fuse.h")),
                "no /usr/include/linux/fuse.h (Debian: apt-get install linux-libc-dev)");
        dev.valarm.bridge.Tier.require(dev.valarm.bridge.CClientAccess.gcc(), "no gcc");
        final Map<String, Integer> want = expected();
        final StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <linux/fuse.h>\n"
                + "int main(void) {\n");
        for (final String expr : want.keySet()) {
            c.append("    printf(\"%lld\\n\", (long long)(").append(expr).append("));\n");
        }
        c.append("    return 0;\n}\n");
        final Path dir = Files.createDirectories(Path.of(System.getProperty("basedir", "."), "target", "c"));
        final Path src = dir.resolve("fuse_layout.c");
        final Path bin = dir.resolve("fuse_layout-" + ProcessHandle.current().pid());
        Files.writeString(src.resolveSibling("fuse_layout-" + ProcessHandle.current().pid() + ".c"), c);
        final Process cc = new ProcessBuilder("gcc", "-o", bin.toString(),
                src.resolveSibling("fuse_layout-" + ProcessHandle.current().pid() + ".c").toString())
                .redirectErrorStream(true).start();
        final String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(60, TimeUnit.SECONDS) && cc.exitValue() == 0, "gcc failed:\n" + ccOut);
        final Process run = new ProcessBuilder(bin.toString()).start();
        final String[] got = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n");
        assertTrue(run.waitFor(30, TimeUnit.SECONDS));
        int i = 0;
        for (final Map.Entry<String, Integer> e : want.entrySet()) {
            assertEquals(Long.parseLong(got[i++].trim()), (long) e.getValue(), e.getKey());
        }
    }
}
