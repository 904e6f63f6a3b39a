package dev.valarm.bench.bridge;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;

/**
 * The benchmark client's system calls (jnr-ffi): it plays the native program that opens the alarm node and
 * issues ioctls. {@code ioctl} ignores errno (the measured path only looks at the return value).
 */
public interface ClientLibC {
    /**
     * {@code open(2)}.
     *
     * @param path the node
     * @param flags {@code O_RDWR}
     * @return the fd or -1
     */
    int open(String path, int flags);

    /**
     * {@code ioctl(2)} with a pointer argument.
     *
     * @param fd the fd
     * @param request the request number
     * @param arg the argument memory
     * @return the result, or -1
     */
    @IgnoreError
    int ioctl(int fd, long request, Pointer arg);

    /**
     * {@code close(2)}.
     *
     * @param fd the fd
     * @return 0 or -1
     */
    int close(int fd);
}
