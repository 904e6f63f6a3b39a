package dev.valarm;

/**
 * The Linux errno values (x86-64, {@code asm-generic/errno-base.h} and {@code errno.h}) that valarm
 * reports, with their symbolic names.
 *
 * <p>Thread-safety: stateless.
 */
public final class Errno {
    /** Operation not permitted. */
    public static final int EPERM = 1;
    /** No such file or directory. */
    public static final int ENOENT = 2;
    /** Interrupted system call. */
    public static final int EINTR = 4;
    /** Input/output error. */
    public static final int EIO = 5;
    /** Bad file descriptor (used for a closed handle). */
    public static final int EBADF = 9;
    /** Resource temporarily unavailable. */
    public static final int EAGAIN = 11;
    /** Out of memory. */
    public static final int ENOMEM = 12;
    /** Permission denied. */
    public static final int EACCES = 13;
    /** Bad address (an argument buffer too short). */
    public static final int EFAULT = 14;
    /** Device or resource busy (another handle owns the instance). */
    public static final int EBUSY = 16;
    /** File exists. */
    public static final int EEXIST = 17;
    /** No such device (used for a closed instance or device). */
    public static final int ENODEV = 19;
    /** Invalid argument. */
    public static final int EINVAL = 22;
    /** Too many open files. */
    public static final int EMFILE = 24;
    /** Inappropriate ioctl for device. */
    public static final int ENOTTY = 25;
    /** No space left on device (used for exhausted instance or waiter limits). */
    public static final int ENOSPC = 28;
    /** Numerical result out of range. */
    public static final int ERANGE = 34;
    /** Function not implemented. */
    public static final int ENOSYS = 38;
    /** Bad message (used for corrupt or truncated instance snapshots). */
    public static final int EBADMSG = 74;
    /** Operation not supported. */
    public static final int EOPNOTSUPP = 95;
    /** Connection timed out. */
    public static final int ETIMEDOUT = 110;
    /** Operation canceled. */
    public static final int ECANCELED = 125;

    private Errno() {
    }

    /**
     * The symbolic name of an errno value.
     *
     * @param errno the value
     * @return its name, such as {@code "EBUSY"}, or {@code "errno <n>"} for a value not listed here
     */
    public static String name(final int errno) {
        switch (errno) {
            case EPERM: return "EPERM";
            case ENOENT: return "ENOENT";
            case EINTR: return "EINTR";
            case EIO: return "EIO";
            case EBADF: return "EBADF";
            case EAGAIN: return "EAGAIN";
            case ENOMEM: return "ENOMEM";
            case EACCES: return "EACCES";
            case EFAULT: return "EFAULT";
            case EBUSY: return "EBUSY";
            case EEXIST: return "EEXIST";
            case ENODEV: return "ENODEV";
            case EINVAL: return "EINVAL";
            case EMFILE: return "EMFILE";
            case ENOTTY: return "ENOTTY";
            case ENOSPC: return "ENOSPC";
            case ERANGE: return "ERANGE";
            case ENOSYS: return "ENOSYS";
            case EBADMSG: return "EBADMSG";
            case EOPNOTSUPP: return "EOPNOTSUPP";
            case ETIMEDOUT: return "ETIMEDOUT";
            case ECANCELED: return "ECANCELED";
            default: return "errno " + errno;
        }
    }
}
