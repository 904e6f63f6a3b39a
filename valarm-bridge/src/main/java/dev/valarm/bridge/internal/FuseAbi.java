package dev.valarm.bridge.internal;

/**
 * The kernel's FUSE/CUSE wire format ({@code include/uapi/linux/fuse.h}, protocol 7.x): opcodes, flags and
 * the byte offsets of every struct member the bridge reads or writes. All members are little-endian
 * (host order on x86-64 and aarch64); structs are padded to 8 bytes, so 32-bit and 64-bit servers agree.
 * {@code FuseAbiLayoutTest} checks every offset and size against the installed header with a C compiler.
 *
 * <p>Thread-safety: constants only.
 */
public final class FuseAbi {
    private FuseAbi() {
    }

    /** {@code FUSE_KERNEL_VERSION}. */
    public static final int KERNEL_VERSION = 7;
    /** The protocol minor the bridge speaks ({@code FUSE_KERNEL_MINOR_VERSION} of the structs below). */
    public static final int KERNEL_MINOR_VERSION = 38;
    /** The oldest minor accepted (Linux 5.x speaks 7.31 and later; CUSE needs at least 7.11). */
    public static final int MIN_MINOR_VERSION = 26;
    /** {@code FUSE_ROOT_ID}. */
    public static final long ROOT_ID = 1;
    /** {@code FUSE_MIN_READ_BUFFER}. */
    public static final int MIN_READ_BUFFER = 8192;
    /** Interrupt requests have odd ids ({@code FUSE_INT_REQ_BIT}, {@code fs/fuse/dev.c}). */
    public static final long INT_REQ_BIT = 1;

    // enum fuse_opcode
    /** {@code FUSE_LOOKUP}. */
    public static final int LOOKUP = 1;
    /** {@code FUSE_FORGET} (no reply). */
    public static final int FORGET = 2;
    /** {@code FUSE_GETATTR}. */
    public static final int GETATTR = 3;
    /** {@code FUSE_SETATTR}. */
    public static final int SETATTR = 4;
    /** {@code FUSE_READLINK}. */
    public static final int READLINK = 5;
    /** {@code FUSE_SYMLINK}. */
    public static final int SYMLINK = 6;
    /** {@code FUSE_MKNOD}. */
    public static final int MKNOD = 8;
    /** {@code FUSE_MKDIR}. */
    public static final int MKDIR = 9;
    /** {@code FUSE_UNLINK}. */
    public static final int UNLINK = 10;
    /** {@code FUSE_RMDIR}. */
    public static final int RMDIR = 11;
    /** {@code FUSE_RENAME}. */
    public static final int RENAME = 12;
    /** {@code FUSE_LINK}. */
    public static final int LINK = 13;
    /** {@code FUSE_OPEN}. */
    public static final int OPEN = 14;
    /** {@code FUSE_READ}. */
    public static final int READ = 15;
    /** {@code FUSE_WRITE}. */
    public static final int WRITE = 16;
    /** {@code FUSE_STATFS}. */
    public static final int STATFS = 17;
    /** {@code FUSE_RELEASE}. */
    public static final int RELEASE = 18;
    /** {@code FUSE_FSYNC}. */
    public static final int FSYNC = 20;
    /** {@code FUSE_SETXATTR}. */
    public static final int SETXATTR = 21;
    /** {@code FUSE_REMOVEXATTR}. */
    public static final int REMOVEXATTR = 24;
    /** {@code FUSE_FLUSH}. */
    public static final int FLUSH = 25;
    /** {@code FUSE_INIT}. */
    public static final int INIT = 26;
    /** {@code FUSE_OPENDIR}. */
    public static final int OPENDIR = 27;
    /** {@code FUSE_READDIR}. */
    public static final int READDIR = 28;
    /** {@code FUSE_RELEASEDIR}. */
    public static final int RELEASEDIR = 29;
    /** {@code FUSE_FSYNCDIR}. */
    public static final int FSYNCDIR = 30;
    /** {@code FUSE_CREATE}. */
    public static final int CREATE = 35;
    /** {@code FUSE_INTERRUPT} (no reply). */
    public static final int INTERRUPT = 36;
    /** {@code FUSE_DESTROY}. */
    public static final int DESTROY = 38;
    /** {@code FUSE_IOCTL}. */
    public static final int IOCTL = 39;
    /** {@code FUSE_POLL}. */
    public static final int POLL = 40;
    /** {@code FUSE_BATCH_FORGET} (no reply). */
    public static final int BATCH_FORGET = 42;
    /** {@code FUSE_RENAME2}. */
    public static final int RENAME2 = 45;
    /** {@code FUSE_TMPFILE}. */
    public static final int TMPFILE = 51;
    /** {@code CUSE_INIT}. */
    public static final int CUSE_INIT = 4096;

    // INIT flags
    /** {@code FUSE_ABORT_ERROR}: reading an aborted connection gives ECONNABORTED. */
    public static final int FUSE_ABORT_ERROR = 1 << 21;
    /** {@code CUSE_UNRESTRICTED_IOCTL}. */
    public static final int CUSE_UNRESTRICTED_IOCTL = 1;

    // open
    /** {@code FOPEN_DIRECT_IO}. */
    public static final int FOPEN_DIRECT_IO = 1;
    /** {@code FOPEN_NONSEEKABLE}. */
    public static final int FOPEN_NONSEEKABLE = 1 << 2;
    /** {@code O_ACCMODE}. */
    public static final int O_ACCMODE = 3;

    // ioctl flags
    /** {@code FUSE_IOCTL_COMPAT}: a 32-bit caller on a 64-bit kernel. */
    public static final int IOCTL_COMPAT = 1;
    /** {@code FUSE_IOCTL_UNRESTRICTED}. */
    public static final int IOCTL_UNRESTRICTED = 1 << 1;
    /** {@code FUSE_IOCTL_RETRY}. */
    public static final int IOCTL_RETRY = 1 << 2;
    /** {@code FUSE_IOCTL_COMPAT_X32}: an x32 caller (64-bit time_t). */
    public static final int IOCTL_COMPAT_X32 = 1 << 5;

    // setattr valid bits
    /** {@code FATTR_MODE | FATTR_UID | FATTR_GID}. */
    public static final int FATTR_OWNERSHIP = 1 | 2 | 4;

    /** The kernel's error for a restartable interrupted call ({@code ERESTARTSYS}), sent in an ioctl result only. */
    public static final int ERESTARTSYS = 512;
    /** {@code DEFAULT_POLLMASK}: {@code EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM}, what {@code vfs_poll} answers for a driver without poll. */
    public static final int DEFAULT_POLLMASK = 0x001 | 0x004 | 0x040 | 0x100;

    // struct fuse_in_header (40 bytes)
    /** {@code fuse_in_header.len}. */
    public static final int IN_LEN = 0;
    /** {@code fuse_in_header.opcode}. */
    public static final int IN_OPCODE = 4;
    /** {@code fuse_in_header.unique}. */
    public static final int IN_UNIQUE = 8;
    /** {@code fuse_in_header.nodeid}. */
    public static final int IN_NODEID = 16;
    /** {@code fuse_in_header.uid}. */
    public static final int IN_UID = 24;
    /** {@code fuse_in_header.gid}. */
    public static final int IN_GID = 28;
    /** {@code fuse_in_header.pid}. */
    public static final int IN_PID = 32;
    /** {@code sizeof(struct fuse_in_header)}. */
    public static final int IN_HEADER_SIZE = 40;

    // struct fuse_out_header (16 bytes)
    /** {@code fuse_out_header.len}. */
    public static final int OUT_LEN = 0;
    /** {@code fuse_out_header.error}. */
    public static final int OUT_ERROR = 4;
    /** {@code fuse_out_header.unique}. */
    public static final int OUT_UNIQUE = 8;
    /** {@code sizeof(struct fuse_out_header)}. */
    public static final int OUT_HEADER_SIZE = 16;

    // struct fuse_init_in
    /** {@code fuse_init_in.major} (also {@code cuse_init_in.major}). */
    public static final int INIT_IN_MAJOR = 0;
    /** {@code fuse_init_in.minor}. */
    public static final int INIT_IN_MINOR = 4;
    /** {@code fuse_init_in.max_readahead}. */
    public static final int INIT_IN_MAX_READAHEAD = 8;
    /** {@code fuse_init_in.flags}. */
    public static final int INIT_IN_FLAGS = 12;

    // struct fuse_init_out (64 bytes)
    /** {@code fuse_init_out.major}. */
    public static final int INIT_OUT_MAJOR = 0;
    /** {@code fuse_init_out.minor}. */
    public static final int INIT_OUT_MINOR = 4;
    /** {@code fuse_init_out.max_readahead}. */
    public static final int INIT_OUT_MAX_READAHEAD = 8;
    /** {@code fuse_init_out.flags}. */
    public static final int INIT_OUT_FLAGS = 12;
    /** {@code fuse_init_out.max_background} (u16). */
    public static final int INIT_OUT_MAX_BACKGROUND = 16;
    /** {@code fuse_init_out.congestion_threshold} (u16). */
    public static final int INIT_OUT_CONGESTION_THRESHOLD = 18;
    /** {@code fuse_init_out.max_write}. */
    public static final int INIT_OUT_MAX_WRITE = 20;
    /** {@code fuse_init_out.time_gran}. */
    public static final int INIT_OUT_TIME_GRAN = 24;
    /** {@code sizeof(struct fuse_init_out)}. */
    public static final int INIT_OUT_SIZE = 64;

    // struct cuse_init_out (72 bytes)
    /** {@code cuse_init_out.major}. */
    public static final int CUSE_INIT_OUT_MAJOR = 0;
    /** {@code cuse_init_out.minor}. */
    public static final int CUSE_INIT_OUT_MINOR = 4;
    /** {@code cuse_init_out.flags}. */
    public static final int CUSE_INIT_OUT_FLAGS = 12;
    /** {@code cuse_init_out.max_read}. */
    public static final int CUSE_INIT_OUT_MAX_READ = 16;
    /** {@code cuse_init_out.max_write}. */
    public static final int CUSE_INIT_OUT_MAX_WRITE = 20;
    /** {@code cuse_init_out.dev_major}. */
    public static final int CUSE_INIT_OUT_DEV_MAJOR = 24;
    /** {@code cuse_init_out.dev_minor}. */
    public static final int CUSE_INIT_OUT_DEV_MINOR = 28;
    /** {@code sizeof(struct cuse_init_out)}. */
    public static final int CUSE_INIT_OUT_SIZE = 72;
    /** {@code CUSE_INIT_INFO_MAX}: the longest device info string. */
    public static final int CUSE_INIT_INFO_MAX = 4096;

    // struct fuse_open_in / fuse_open_out
    /** {@code fuse_open_in.flags}. */
    public static final int OPEN_IN_FLAGS = 0;
    /** {@code fuse_open_out.fh}. */
    public static final int OPEN_OUT_FH = 0;
    /** {@code fuse_open_out.open_flags}. */
    public static final int OPEN_OUT_OPEN_FLAGS = 8;
    /** {@code sizeof(struct fuse_open_out)}. */
    public static final int OPEN_OUT_SIZE = 16;

    // struct fuse_release_in
    /** {@code fuse_release_in.fh}. */
    public static final int RELEASE_IN_FH = 0;

    // struct fuse_read_in (also the layout of fuse_write_in's first members)
    /** {@code fuse_read_in.fh}. */
    public static final int READ_IN_FH = 0;
    /** {@code fuse_read_in.offset}. */
    public static final int READ_IN_OFFSET = 8;
    /** {@code fuse_read_in.size}. */
    public static final int READ_IN_SIZE = 16;

    // struct fuse_ioctl_in (32 bytes)
    /** {@code fuse_ioctl_in.fh}. */
    public static final int IOCTL_IN_FH = 0;
    /** {@code fuse_ioctl_in.flags}. */
    public static final int IOCTL_IN_FLAGS = 8;
    /** {@code fuse_ioctl_in.cmd}. */
    public static final int IOCTL_IN_CMD = 12;
    /** {@code fuse_ioctl_in.arg}. */
    public static final int IOCTL_IN_ARG = 16;
    /** {@code fuse_ioctl_in.in_size}. */
    public static final int IOCTL_IN_IN_SIZE = 24;
    /** {@code fuse_ioctl_in.out_size}. */
    public static final int IOCTL_IN_OUT_SIZE = 28;
    /** {@code sizeof(struct fuse_ioctl_in)}. */
    public static final int IOCTL_IN_SIZE = 32;

    // struct fuse_ioctl_out (16 bytes)
    /** {@code fuse_ioctl_out.result}. */
    public static final int IOCTL_OUT_RESULT = 0;
    /** {@code fuse_ioctl_out.flags}. */
    public static final int IOCTL_OUT_FLAGS = 4;
    /** {@code fuse_ioctl_out.in_iovs}. */
    public static final int IOCTL_OUT_IN_IOVS = 8;
    /** {@code fuse_ioctl_out.out_iovs}. */
    public static final int IOCTL_OUT_OUT_IOVS = 12;
    /** {@code sizeof(struct fuse_ioctl_out)}. */
    public static final int IOCTL_OUT_SIZE = 16;
    /** {@code sizeof(struct fuse_ioctl_iovec)}: {@code base} at 0, {@code len} at 8. */
    public static final int IOCTL_IOVEC_SIZE = 16;

    // Re-sending requests after a server died (protocol 7.40, Linux 6.9)
    /**
     * {@code FUSE_NOTIFY_RESEND}: a notification (a write with {@code unique} 0 and this code in
     * {@code error}) that makes the kernel queue again every request a server had read and not answered.
     * Kernels before 7.40 refuse it with EINVAL.
     */
    public static final int NOTIFY_RESEND = 7;
    /** The first protocol minor whose kernels accept {@link #NOTIFY_RESEND}. */
    public static final int RESEND_MINOR = 40;
    /** {@code FUSE_UNIQUE_RESEND}: the bit a re-sent request's id carries. */
    public static final long UNIQUE_RESEND = 1L << 63;
    /** {@code FUSE_INT_REQ_BIT}: the bit of an interrupt request's own id. */
    public static final long UNIQUE_INTERRUPT = 1L;

    // struct fuse_interrupt_in
    /** {@code fuse_interrupt_in.unique}. */
    public static final int INTERRUPT_IN_UNIQUE = 0;

    // struct fuse_poll_out
    /** {@code fuse_poll_out.revents}. */
    public static final int POLL_OUT_REVENTS = 0;
    /** {@code sizeof(struct fuse_poll_out)}. */
    public static final int POLL_OUT_SIZE = 8;

    // struct fuse_attr (88 bytes)
    /** {@code fuse_attr.ino}. */
    public static final int ATTR_INO = 0;
    /** {@code fuse_attr.size}. */
    public static final int ATTR_SIZE = 8;
    /** {@code fuse_attr.atime}. */
    public static final int ATTR_ATIME = 24;
    /** {@code fuse_attr.mtime}. */
    public static final int ATTR_MTIME = 32;
    /** {@code fuse_attr.ctime}. */
    public static final int ATTR_CTIME = 40;
    /** {@code fuse_attr.mode}. */
    public static final int ATTR_MODE = 60;
    /** {@code fuse_attr.nlink}. */
    public static final int ATTR_NLINK = 64;
    /** {@code fuse_attr.uid}. */
    public static final int ATTR_UID = 68;
    /** {@code fuse_attr.gid}. */
    public static final int ATTR_GID = 72;
    /** {@code fuse_attr.blksize}. */
    public static final int ATTR_BLKSIZE = 80;
    /** {@code sizeof(struct fuse_attr)}. */
    public static final int ATTR_SIZE_OF = 88;

    // struct fuse_entry_out (128 bytes)
    /** {@code fuse_entry_out.nodeid}. */
    public static final int ENTRY_OUT_NODEID = 0;
    /** {@code fuse_entry_out.generation}. */
    public static final int ENTRY_OUT_GENERATION = 8;
    /** {@code fuse_entry_out.attr}. */
    public static final int ENTRY_OUT_ATTR = 40;
    /** {@code sizeof(struct fuse_entry_out)}. */
    public static final int ENTRY_OUT_SIZE = 128;

    // struct fuse_attr_out (104 bytes)
    /** {@code fuse_attr_out.attr}. */
    public static final int ATTR_OUT_ATTR = 16;
    /** {@code sizeof(struct fuse_attr_out)}. */
    public static final int ATTR_OUT_SIZE = 104;

    // struct fuse_setattr_in
    /** {@code fuse_setattr_in.valid}. */
    public static final int SETATTR_IN_VALID = 0;

    // struct fuse_kstatfs inside fuse_statfs_out (80 bytes)
    /** {@code fuse_kstatfs.bsize}. */
    public static final int STATFS_BSIZE = 40;
    /** {@code fuse_kstatfs.namelen}. */
    public static final int STATFS_NAMELEN = 44;
    /** {@code fuse_kstatfs.frsize}. */
    public static final int STATFS_FRSIZE = 48;
    /** {@code sizeof(struct fuse_statfs_out)}. */
    public static final int STATFS_OUT_SIZE = 80;

    // struct fuse_dirent (24 bytes + name, padded to 8)
    /** {@code fuse_dirent.ino}. */
    public static final int DIRENT_INO = 0;
    /** {@code fuse_dirent.off}. */
    public static final int DIRENT_OFF = 8;
    /** {@code fuse_dirent.namelen}. */
    public static final int DIRENT_NAMELEN = 16;
    /** {@code fuse_dirent.type}. */
    public static final int DIRENT_TYPE = 20;
    /** {@code offsetof(struct fuse_dirent, name)}. */
    public static final int DIRENT_NAME = 24;

    /**
     * The name of an opcode, for logs.
     *
     * @param opcode the opcode
     * @return its name
     */
    public static String opcodeName(final int opcode) {
        switch (opcode) {
            case LOOKUP: return "LOOKUP";
            case FORGET: return "FORGET";
            case GETATTR: return "GETATTR";
            case SETATTR: return "SETATTR";
            case OPEN: return "OPEN";
            case READ: return "READ";
            case WRITE: return "WRITE";
            case STATFS: return "STATFS";
            case RELEASE: return "RELEASE";
            case FSYNC: return "FSYNC";
            case FLUSH: return "FLUSH";
            case INIT: return "INIT";
            case OPENDIR: return "OPENDIR";
            case READDIR: return "READDIR";
            case RELEASEDIR: return "RELEASEDIR";
            case INTERRUPT: return "INTERRUPT";
            case DESTROY: return "DESTROY";
            case IOCTL: return "IOCTL";
            case POLL: return "POLL";
            case BATCH_FORGET: return "BATCH_FORGET";
            case CUSE_INIT: return "CUSE_INIT";
            default: return "opcode " + opcode;
        }
    }
}
