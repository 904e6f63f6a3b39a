package dev.valarm.bridge.internal;

import dev.valarm.Errno;
import dev.valarm.bridge.BridgeException;
import java.nio.ByteBuffer;
import java.util.Locale;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The loaded libc binding and the Linux constants the bridge uses ({@code asm-generic/fcntl.h},
 * {@code sys/epoll.h}, {@code sys/mount.h}; the same values on x86-64 and aarch64).
 *
 * <p>Thread-safety: immutable after loading; {@link #errno()} reads the calling thread's errno.
 */
public final class Native {
    /** {@code O_RDWR}. */
    public static final int O_RDWR = 02;
    /** {@code O_NONBLOCK}. */
    public static final int O_NONBLOCK = 04000;
    /** {@code O_CLOEXEC}. */
    public static final int O_CLOEXEC = 02000000;
    /** {@code EPOLL_CLOEXEC}. */
    public static final int EPOLL_CLOEXEC = O_CLOEXEC;
    /** {@code EPOLL_CTL_ADD}. */
    public static final int EPOLL_CTL_ADD = 1;
    /** {@code EPOLL_CTL_DEL}. */
    public static final int EPOLL_CTL_DEL = 2;
    /** {@code EPOLLIN}. */
    public static final int EPOLLIN = 0x001;
    /** {@code EPOLLERR}. */
    public static final int EPOLLERR = 0x008;
    /** {@code EPOLLHUP}. */
    public static final int EPOLLHUP = 0x010;
    /** {@code EFD_NONBLOCK | EFD_CLOEXEC}. */
    public static final int EFD_FLAGS = O_NONBLOCK | O_CLOEXEC;
    /** {@code MS_NOSUID}. */
    public static final long MS_NOSUID = 2;
    /** {@code MS_NODEV}. */
    public static final long MS_NODEV = 4;
    /** {@code MS_NOEXEC}. */
    public static final long MS_NOEXEC = 8;
    /** {@code MNT_DETACH}. */
    public static final int MNT_DETACH = 2;
    /** {@code S_IFCHR}. */
    public static final int S_IFCHR = 0020000;
    /** {@code EAGAIN}. */
    public static final int EAGAIN = 11;
    /** {@code ENODEV}. */
    public static final int ENODEV = 19;
    /** {@code ECONNABORTED}. */
    public static final int ECONNABORTED = 103;
    /** {@code ENOTCONN}. */
    public static final int ENOTCONN = 107;

    private static final Object LOAD_LOCK = new Object();
    private static volatile Native instance;
    private static BridgeException loadFailure;

    private final LibC libc;
    private final Runtime runtime;
    /** {@code sizeof(struct epoll_event)}: packed (12) on x86-64, 16 elsewhere. */
    private final int epollEventSize;
    /** Offset of {@code epoll_event.data}. */
    private final int epollDataOffset;

    private Native(final LibC libc, final boolean x86) {
        this.libc = libc;
        this.runtime = Runtime.getRuntime(libc);
        this.epollEventSize = x86 ? 12 : 16;
        this.epollDataOffset = x86 ? 4 : 8;
    }

    /**
     * The binding, loaded on first use.
     *
     * @return the binding
     * @throws BridgeException (EOPNOTSUPP) off Linux or on an unsupported architecture, (ENOSYS) if
     *         jnr-ffi cannot bind libc
     */
    public static Native get() {
        final Native n = instance;
        if (n != null) {
            return n;
        }
        synchronized (LOAD_LOCK) {
            if (instance != null) {
                return instance;
            }
            if (loadFailure != null) {
                throw loadFailure;
            }
            final String os = System.getProperty("os.name", "?");
            final String arch = System.getProperty("os.arch", "?");
            try {
                if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
                    throw new BridgeException(Errno.EOPNOTSUPP, "load libc", "the bridge needs Linux; os.name=" + os);
                }
                final boolean x86 = "amd64".equals(arch) || "x86_64".equals(arch);
                if (!x86 && !"aarch64".equals(arch)) {
                    throw new BridgeException(Errno.EOPNOTSUPP, "load libc",
                            "the constants are those of x86-64 and aarch64; os.arch=" + arch);
                }
                final LibC libc;
                try {
                    libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
                } catch (final LinkageError | RuntimeException e) {
                    throw new BridgeException(Errno.ENOSYS, "load libc", "jnr-ffi cannot bind libc: " + e, e);
                }
                instance = new Native(libc, x86);
                return instance;
            } catch (final BridgeException e) {
                loadFailure = e;
                throw e;
            }
        }
    }

    /**
     * The bound functions.
     *
     * @return libc
     */
    public LibC libc() {
        return libc;
    }

    /**
     * The errno of the last errno-saving call on this thread.
     *
     * @return errno
     */
    public int errno() {
        return LastError.getLastError(runtime);
    }

    /**
     * A pointer to the memory of a direct buffer, made once per buffer (calls then allocate nothing).
     *
     * @param buffer a direct buffer
     * @return the pointer to its first byte
     */
    public Pointer pointer(final ByteBuffer buffer) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("not a direct buffer: " + buffer);
        }
        return Pointer.wrap(runtime, buffer);
    }

    /**
     * {@code sizeof(struct epoll_event)} here.
     *
     * @return 12 or 16
     */
    public int epollEventSize() {
        return epollEventSize;
    }

    /**
     * The offset of the {@code data} member of {@code struct epoll_event} here.
     *
     * @return 4 or 8
     */
    public int epollDataOffset() {
        return epollDataOffset;
    }

    /**
     * A readable description of an errno, such as {@code "EACCES (Permission denied)"}.
     *
     * @param errno the errno
     * @return the description
     */
    public String describe(final int errno) {
        return Errno.name(errno) + " (" + libc.strerror(errno) + ")";
    }
}
