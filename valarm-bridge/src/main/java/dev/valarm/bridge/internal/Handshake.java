package dev.valarm.bridge.internal;

import static dev.valarm.bridge.internal.FuseAbi.IN_HEADER_SIZE;
import static dev.valarm.bridge.internal.FuseAbi.OUT_HEADER_SIZE;

import dev.valarm.Errno;
import dev.valarm.bridge.BridgeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;

/**
 * The INIT handshake of a new connection, done by the thread that opens it before the serving loop sees
 * it: FUSE_INIT after {@code mount(2)}, CUSE_INIT right after {@code open("/dev/cuse")}. The kernel sends
 * it exactly once per connection, so a connection adopted from a predecessor skips this class.
 *
 * <p>Version negotiation ({@code fuse.h}): the major must be 7; both sides then speak the smaller minor.
 *
 * <p>Thread-safety: stateless; each call uses its own buffers.
 */
public final class Handshake {
    /** Largest write the bridge accepts (it answers WRITE with EINVAL anyway). */
    public static final int MAX_WRITE = 4096;
    private static final long INIT_TIMEOUT_MILLIS = 10_000;

    private Handshake() {
    }

    /**
     * What INIT settled.
     *
     * @param minor the protocol minor both sides speak
     * @param kernelMinor the minor the kernel offered (7.40 and later accept {@code FUSE_NOTIFY_RESEND})
     */
    public record Negotiated(int minor, int kernelMinor) {
    }

    /**
     * Answers FUSE_INIT on a freshly mounted connection.
     *
     * @param fd the {@code /dev/fuse} fd given to {@code mount(2)}
     * @param what for errors, such as {@code "mount FUSE on /run/x"}
     * @return the negotiated minor and the kernel's
     * @throws BridgeException if INIT does not come or speaks another major
     */
    public static Negotiated fuseInit(final int fd, final String what) {
        final Native nat = Native.get();
        final ByteBuffer in = ByteBuffer.allocateDirect(Session.READ_BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        final int n = readOne(nat, fd, in, what);
        checkOpcode(in, FuseAbi.INIT, what);
        final int major = in.getInt(IN_HEADER_SIZE + FuseAbi.INIT_IN_MAJOR);
        final int kminor = in.getInt(IN_HEADER_SIZE + FuseAbi.INIT_IN_MINOR);
        final Reply r = new Reply(OUT_HEADER_SIZE + FuseAbi.INIT_OUT_SIZE);
        final long unique = in.getLong(FuseAbi.IN_UNIQUE);
        if (major != FuseAbi.KERNEL_VERSION) {
            write(nat, fd, r, r.header(unique, -Errno.EIO, 0), what);
            throw new BridgeException(Errno.EOPNOTSUPP, what, "the kernel speaks FUSE protocol " + major + "." + kminor
                    + "; the bridge speaks " + FuseAbi.KERNEL_VERSION + ".x");
        }
        final int minor = Math.min(kminor, FuseAbi.KERNEL_MINOR_VERSION);
        if (minor < FuseAbi.MIN_MINOR_VERSION) {
            write(nat, fd, r, r.header(unique, -Errno.EIO, 0), what);
            throw new BridgeException(Errno.EOPNOTSUPP, what, "the kernel's FUSE protocol 7." + kminor
                    + " is older than 7." + FuseAbi.MIN_MINOR_VERSION);
        }
        final int kflags = n >= IN_HEADER_SIZE + 16 ? in.getInt(IN_HEADER_SIZE + FuseAbi.INIT_IN_FLAGS) : 0;
        r.clearBody(FuseAbi.INIT_OUT_SIZE);
        final ByteBuffer b = r.buffer();
        b.putInt(OUT_HEADER_SIZE + FuseAbi.INIT_OUT_MAJOR, FuseAbi.KERNEL_VERSION);
        b.putInt(OUT_HEADER_SIZE + FuseAbi.INIT_OUT_MINOR, FuseAbi.KERNEL_MINOR_VERSION);
        b.putInt(OUT_HEADER_SIZE + FuseAbi.INIT_OUT_MAX_READAHEAD, 0);
        b.putInt(OUT_HEADER_SIZE + FuseAbi.INIT_OUT_FLAGS, kflags & FuseAbi.FUSE_ABORT_ERROR);
        b.putShort(OUT_HEADER_SIZE + FuseAbi.INIT_OUT_MAX_BACKGROUND, (short) 64);
        b.putShort(OUT_HEADER_SIZE + FuseAbi.INIT_OUT_CONGESTION_THRESHOLD, (short) 48);
        b.putInt(OUT_HEADER_SIZE + FuseAbi.INIT_OUT_MAX_WRITE, MAX_WRITE);
        b.putInt(OUT_HEADER_SIZE + FuseAbi.INIT_OUT_TIME_GRAN, 1);
        write(nat, fd, r, r.header(unique, 0, FuseAbi.INIT_OUT_SIZE), what);
        return new Negotiated(minor, kminor);
    }

    /**
     * Answers CUSE_INIT on a freshly opened {@code /dev/cuse}: names the device, asks for unrestricted
     * ioctls, and gives its device number.
     *
     * @param fd the {@code /dev/cuse} fd
     * @param devName the {@code DEVNAME}
     * @param devMajor the major (0: the kernel picks a free one)
     * @param devMinor the minor
     * @param what for errors
     * @return the negotiated minor and the kernel's
     * @throws BridgeException if CUSE_INIT does not come
     */
    public static Negotiated cuseInit(final int fd, final String devName, final int devMajor, final int devMinor,
            final String what) {
        final Native nat = Native.get();
        final ByteBuffer in = ByteBuffer.allocateDirect(Session.READ_BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        readOne(nat, fd, in, what);
        checkOpcode(in, FuseAbi.CUSE_INIT, what);
        final int major = in.getInt(IN_HEADER_SIZE + FuseAbi.INIT_IN_MAJOR);
        final int kminor = in.getInt(IN_HEADER_SIZE + FuseAbi.INIT_IN_MINOR);
        final long unique = in.getLong(FuseAbi.IN_UNIQUE);
        final byte[] info = ("DEVNAME=" + devName + "\0").getBytes(StandardCharsets.UTF_8);
        final Reply r = new Reply(OUT_HEADER_SIZE + FuseAbi.CUSE_INIT_OUT_SIZE + info.length);
        if (major != FuseAbi.KERNEL_VERSION) {
            write(nat, fd, r, r.header(unique, -Errno.EIO, 0), what);
            throw new BridgeException(Errno.EOPNOTSUPP, what, "the kernel speaks CUSE protocol " + major + "." + kminor);
        }
        r.clearBody(FuseAbi.CUSE_INIT_OUT_SIZE);
        final ByteBuffer b = r.buffer();
        b.putInt(OUT_HEADER_SIZE + FuseAbi.CUSE_INIT_OUT_MAJOR, FuseAbi.KERNEL_VERSION);
        b.putInt(OUT_HEADER_SIZE + FuseAbi.CUSE_INIT_OUT_MINOR, FuseAbi.KERNEL_MINOR_VERSION);
        b.putInt(OUT_HEADER_SIZE + FuseAbi.CUSE_INIT_OUT_FLAGS, FuseAbi.CUSE_UNRESTRICTED_IOCTL);
        b.putInt(OUT_HEADER_SIZE + FuseAbi.CUSE_INIT_OUT_MAX_READ, MAX_WRITE);
        b.putInt(OUT_HEADER_SIZE + FuseAbi.CUSE_INIT_OUT_MAX_WRITE, MAX_WRITE);
        b.putInt(OUT_HEADER_SIZE + FuseAbi.CUSE_INIT_OUT_DEV_MAJOR, devMajor);
        b.putInt(OUT_HEADER_SIZE + FuseAbi.CUSE_INIT_OUT_DEV_MINOR, devMinor);
        b.put(OUT_HEADER_SIZE + FuseAbi.CUSE_INIT_OUT_SIZE, info);
        write(nat, fd, r, r.header(unique, 0, FuseAbi.CUSE_INIT_OUT_SIZE + info.length), what);
        return new Negotiated(Math.min(kminor, FuseAbi.KERNEL_MINOR_VERSION), kminor);
    }

    private static int readOne(final Native nat, final int fd, final ByteBuffer in, final String what) {
        final ByteBuffer pfd = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        pfd.putInt(0, fd);
        pfd.putShort(4, (short) Native.EPOLLIN);
        final Pointer pp = nat.pointer(pfd);
        final Pointer ip = nat.pointer(in);
        final long deadline = System.currentTimeMillis() + INIT_TIMEOUT_MILLIS;
        while (true) {
            final long n = nat.libc().read(fd, ip, in.capacity());
            if (n >= IN_HEADER_SIZE) {
                return (int) n;
            }
            final int e = nat.errno();
            if (n >= 0 || e != Native.EAGAIN && e != 4) {
                throw new BridgeException(n < 0 ? e : Errno.EIO, what, "reading the INIT request failed: "
                        + (n < 0 ? nat.describe(e) : "short read of " + n + " bytes"));
            }
            final long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new BridgeException(Errno.ETIMEDOUT, what, "the kernel sent no INIT request within "
                        + INIT_TIMEOUT_MILLIS / 1000 + " s");
            }
            nat.libc().poll(pp, 1, (int) Math.min(left, 1000));
        }
    }

    private static void checkOpcode(final ByteBuffer in, final int want, final String what) {
        final int op = in.getInt(FuseAbi.IN_OPCODE);
        if (op != want) {
            throw new BridgeException(Errno.EIO, what, "expected " + FuseAbi.opcodeName(want) + " first, got "
                    + FuseAbi.opcodeName(op));
        }
    }

    private static void write(final Native nat, final int fd, final Reply r, final int len, final String what) {
        final long n = nat.libc().write(fd, r.pointer(), len);
        if (n != len) {
            final int e = n < 0 ? nat.errno() : Errno.EIO;
            throw new BridgeException(e, what, "the kernel refused the INIT reply: " + nat.describe(e));
        }
    }
}
