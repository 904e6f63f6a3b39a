package dev.valarm.bridge.internal;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc functions the bridge calls, bound through jnr-ffi (glibc prototypes, LP64).
 *
 * <p>errno is saved after every call except those marked {@link IgnoreError}; read it through
 * {@link Native#errno()} right after the call, on the same thread. Paths are passed as Java strings
 * (jnr-ffi converts them to NUL-terminated UTF-8).
 *
 * <p>Thread-safety: as libc's; pointer arguments are never shared between threads by the callers.
 */
public interface LibC {

    /**
     * {@code int open(const char *path, int flags, mode_t mode)}.
     *
     * @param path the path
     * @param flags {@code O_*} flags
     * @param mode the creation mode (unused here)
     * @return the fd, or -1 with errno
     */
    int open(String path, int flags, int mode);

    /**
     * {@code int close(int fd)}.
     *
     * @param fd the fd
     * @return 0, or -1 with errno
     */
    int close(int fd);

    /**
     * {@code ssize_t read(int fd, void *buf, size_t count)} into direct memory: one whole request from
     * a FUSE or CUSE connection.
     *
     * @param fd the fd
     * @param buf direct memory of at least {@code count} bytes
     * @param count the capacity
     * @return bytes read, or -1 with errno (EAGAIN on an empty non-blocking connection, ENODEV once
     *         unmounted, ECONNABORTED once aborted, ENOENT for a request the kernel withdrew)
     */
    @ssize_t
    long read(int fd, Pointer buf, @size_t long count);

    /**
     * {@code ssize_t write(int fd, const void *buf, size_t count)} from direct memory: one whole reply.
     *
     * @param fd the fd
     * @param buf direct memory
     * @param count bytes to write
     * @return bytes written, or -1 with errno (ENOENT for a request no longer waiting, EINVAL for a
     *         malformed reply)
     */
    @ssize_t
    long write(int fd, Pointer buf, @size_t long count);

    /**
     * {@code int epoll_create1(int flags)}.
     *
     * @param flags {@code EPOLL_CLOEXEC}
     * @return the epoll fd, or -1 with errno
     */
    int epoll_create1(int flags);

    /**
     * {@code int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)}.
     *
     * @param epfd the epoll fd
     * @param op {@code EPOLL_CTL_ADD} or {@code EPOLL_CTL_DEL}
     * @param fd the watched fd
     * @param event the event (direct memory), or null for DEL
     * @return 0, or -1 with errno
     */
    int epoll_ctl(int epfd, int op, int fd, Pointer event);

    /**
     * {@code int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)}.
     *
     * @param epfd the epoll fd
     * @param events direct memory for {@code maxevents} events
     * @param maxEvents the capacity
     * @param timeoutMillis -1 for no timeout
     * @return the number of ready events, or -1 with errno (EINTR)
     */
    int epoll_wait(int epfd, Pointer events, int maxEvents, int timeoutMillis);

    /**
     * {@code int eventfd(unsigned int initval, int flags)}.
     *
     * @param initialValue the counter's start value
     * @param flags {@code EFD_CLOEXEC | EFD_NONBLOCK}
     * @return the fd, or -1 with errno
     */
    int eventfd(int initialValue, int flags);

    /**
     * {@code int mount(const char *source, const char *target, const char *type, unsigned long flags,
     * const void *data)} with a string for {@code data}.
     *
     * @param source the source name shown in the mount table
     * @param target the mount point
     * @param type the file system type ({@code fuse.valarm})
     * @param flags {@code MS_*} flags
     * @param data the options ({@code fd=N,rootmode=...})
     * @return 0, or -1 with errno (EPERM without CAP_SYS_ADMIN)
     */
    int mount(String source, String target, String type, long flags, String data);

    /**
     * {@code int umount2(const char *target, int flags)}.
     *
     * @param target the mount point
     * @param flags {@code MNT_DETACH}
     * @return 0, or -1 with errno
     */
    int umount2(String target, int flags);

    /**
     * {@code int chown(const char *path, uid_t owner, gid_t group)}.
     *
     * @param path the path
     * @param uid the owner
     * @param gid the group
     * @return 0, or -1 with errno
     */
    int chown(String path, int uid, int gid);

    /**
     * {@code int chmod(const char *path, mode_t mode)}.
     *
     * @param path the path
     * @param mode the permission bits
     * @return 0, or -1 with errno
     */
    int chmod(String path, int mode);

    /**
     * {@code int mknod(const char *path, mode_t mode, dev_t dev)}.
     *
     * @param path the path
     * @param mode {@code S_IFCHR | perms}
     * @param dev {@code makedev(major, minor)}
     * @return 0, or -1 with errno
     */
    int mknod(String path, int mode, long dev);

    /**
     * {@code int unlink(const char *path)}.
     *
     * @param path the path
     * @return 0, or -1 with errno
     */
    int unlink(String path);

    /**
     * {@code uid_t geteuid(void)}.
     *
     * @return the effective uid
     */
    @IgnoreError
    int geteuid();

    /**
     * {@code char *strerror(int errnum)}.
     *
     * @param errno the errno
     * @return the message
     */
    @IgnoreError
    String strerror(int errno);

    /**
     * {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)}.
     *
     * @param fds direct memory holding {@code nfds} {@code struct pollfd} (8 bytes each)
     * @param nfds the count
     * @param timeoutMillis -1 for no timeout
     * @return the number of ready fds, 0 on timeout, or -1 with errno
     */
    int poll(Pointer fds, long nfds, int timeoutMillis);

    /**
     * {@code int socketpair(int domain, int type, int protocol, int sv[2])}: a fake kernel connection in
     * tests ({@code AF_UNIX}, {@code SOCK_SEQPACKET}: one message per read, as a FUSE fd gives one request).
     *
     * @param domain {@code AF_UNIX} (1)
     * @param type {@code SOCK_SEQPACKET} (5), optionally {@code | SOCK_NONBLOCK | SOCK_CLOEXEC}
     * @param protocol 0
     * @param fds the two fds
     * @return 0, or -1 with errno
     */
    int socketpair(int domain, int type, int protocol, @jnr.ffi.annotations.Out int[] fds);
}
