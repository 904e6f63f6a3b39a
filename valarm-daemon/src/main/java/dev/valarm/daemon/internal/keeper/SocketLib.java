package dev.valarm.daemon.internal.keeper;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc socket calls the keeper and the daemon use to pass connection fds ({@code SCM_RIGHTS} needs
 * {@code sendmsg}/{@code recvmsg}, which the JDK's unix channels do not offer) and to notify systemd, bound
 * through jnr-ffi (glibc, LP64). errno is saved after each call except those marked {@link IgnoreError}.
 *
 * <p>Thread-safety: as libc's.
 */
public interface SocketLib {
    /**
     * {@code int socket(int domain, int type, int protocol)}.
     *
     * @param domain {@code AF_UNIX}
     * @param type {@code SOCK_SEQPACKET | SOCK_CLOEXEC} or {@code SOCK_DGRAM | SOCK_CLOEXEC}
     * @param protocol 0
     * @return the fd, or -1 with errno
     */
    int socket(int domain, int type, int protocol);

    /**
     * {@code int bind(int fd, const struct sockaddr *addr, socklen_t len)}.
     *
     * @param fd the socket
     * @param addr a {@code sockaddr_un}
     * @param len its length
     * @return 0, or -1 with errno
     */
    int bind(int fd, Pointer addr, int len);

    /**
     * {@code int listen(int fd, int backlog)}.
     *
     * @param fd the socket
     * @param backlog the backlog
     * @return 0, or -1 with errno
     */
    int listen(int fd, int backlog);

    /**
     * {@code int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)} without the address.
     *
     * @param fd the listening socket
     * @param addr null
     * @param len null
     * @param flags {@code SOCK_CLOEXEC}
     * @return the connection, or -1 with errno
     */
    int accept4(int fd, Pointer addr, Pointer len, int flags);

    /**
     * {@code int connect(int fd, const struct sockaddr *addr, socklen_t len)}.
     *
     * @param fd the socket
     * @param addr a {@code sockaddr_un}
     * @param len its length
     * @return 0, or -1 with errno
     */
    int connect(int fd, Pointer addr, int len);

    /**
     * {@code ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)}.
     *
     * @param fd the socket
     * @param msg a {@code msghdr}
     * @param flags {@code MSG_NOSIGNAL}
     * @return bytes sent, or -1 with errno
     */
    @ssize_t
    long sendmsg(int fd, Pointer msg, int flags);

    /**
     * {@code ssize_t recvmsg(int fd, struct msghdr *msg, int flags)}.
     *
     * @param fd the socket
     * @param msg a {@code msghdr}
     * @param flags {@code MSG_CMSG_CLOEXEC}
     * @return bytes received (0 at end of file), or -1 with errno
     */
    @ssize_t
    long recvmsg(int fd, Pointer msg, int flags);

    /**
     * {@code ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
     * socklen_t tolen)}.
     *
     * @param fd the socket
     * @param buf the data
     * @param len its length
     * @param flags 0
     * @param to a {@code sockaddr_un}
     * @param toLen its length
     * @return bytes sent, or -1 with errno
     */
    @ssize_t
    long sendto(int fd, Pointer buf, @size_t long len, int flags, Pointer to, int toLen);

    /**
     * {@code int setsockopt(int fd, int level, int name, const void *value, socklen_t len)}.
     *
     * @param fd the socket
     * @param level {@code SOL_SOCKET}
     * @param name the option
     * @param value the value
     * @param len its length
     * @return 0, or -1 with errno
     */
    int setsockopt(int fd, int level, int name, Pointer value, int len);

    /**
     * {@code int close(int fd)}.
     *
     * @param fd the fd
     * @return 0, or -1 with errno
     */
    int close(int fd);

    /**
     * {@code int unlink(const char *path)}.
     *
     * @param path the path
     * @return 0, or -1 with errno
     */
    int unlink(String path);

    /**
     * {@code int chmod(const char *path, mode_t mode)}.
     *
     * @param path the path
     * @param mode the bits
     * @return 0, or -1 with errno
     */
    int chmod(String path, int mode);

    /**
     * {@code int fcntl(int fd, int cmd, int arg)}.
     *
     * @param fd the fd
     * @param cmd {@code F_GETFD}/{@code F_SETFD}/{@code F_GETFL}
     * @param arg the argument
     * @return the result, or -1 with errno
     */
    int fcntl(int fd, int cmd, int arg);

    /**
     * {@code int flock(int fd, int op)}.
     *
     * @param fd an open file
     * @param op {@code LOCK_EX | LOCK_NB}
     * @return 0, or -1 with errno (EWOULDBLOCK: held by another process)
     */
    int flock(int fd, int op);

    /**
     * {@code int open(const char *path, int flags, mode_t mode)}.
     *
     * @param path the path
     * @param flags the flags
     * @param mode the creation mode
     * @return the fd, or -1 with errno
     */
    int open(String path, int flags, int mode);

    /**
     * {@code int setsid(void)}.
     *
     * @return the session id, or -1 with errno
     */
    int setsid();

    /**
     * {@code char *strerror(int errnum)}.
     *
     * @param errno the errno
     * @return the message
     */
    @IgnoreError
    String strerror(int errno);
}
