package dev.valarm.bridge.internal;

import static dev.valarm.bridge.internal.FuseAbi.IOCTL_COMPAT;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_COMPAT_X32;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_IN_ARG;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_IN_CMD;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_IN_FH;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_IN_FLAGS;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_IN_IN_SIZE;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_IN_OUT_SIZE;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_IN_SIZE;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_IOVEC_SIZE;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_OUT_FLAGS;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_OUT_IN_IOVS;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_OUT_OUT_IOVS;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_OUT_RESULT;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_OUT_SIZE;
import static dev.valarm.bridge.internal.FuseAbi.IOCTL_RETRY;
import static dev.valarm.bridge.internal.FuseAbi.OUT_HEADER_SIZE;

import dev.valarm.AlarmHandle;
import dev.valarm.Errno;
import dev.valarm.OpenMode;
import dev.valarm.impl.abi.AlarmIoctlCodec;
import dev.valarm.impl.abi.AlarmIoctlCodec.Abi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code FUSE_IOCTL} for both transports, through the one codec ({@link AlarmIoctlCodec}).
 *
 * <ul>
 * <li><b>Unrestricted (CUSE)</b>: the first request carries no argument bytes; if the codec says the
 * number copies argument bytes in ({@link AlarmIoctlCodec#inputSize}) or out
 * ({@link AlarmIoctlCodec#outputSize}), the reply is {@code FUSE_IOCTL_RETRY} with one in and/or one out
 * iovec at the caller's pointer, and the kernel copies and re-sends the request with them. A bad pointer
 * then fails in the kernel's copy with EFAULT, as the driver's {@code copy_from_user} would. GET_TIME's
 * timespec is written straight into the reply.</li>
 * <li><b>Restricted (FUSE)</b>: the kernel moves only what the number's {@code _IOC} bits say. GET_TIME is
 * numbered {@code _IOW} but writes its result, which no FUSE file can carry back: it fails with
 * {@code -EOPNOTSUPP} (after the driver's type check), never a silent success with a garbage buffer, so
 * callers fall back to {@code clock_gettime} as Android's {@code SystemClock} does.</li>
 * </ul>
 * The ABI is the caller's: {@code FUSE_IOCTL_COMPAT} is a 32-bit process ({@link Abi#COMPAT32}); an x32
 * process (64-bit {@code time_t}) uses the 64-bit layout. A WAIT is parked in {@link PendingWaits}.
 *
 * <p>Thread-safety: confined to the serving loop (it keeps a reusable view of the reply buffer).
 */
public final class IoctlRequests {
    private static final AlarmIoctlCodec LP64 = AlarmIoctlCodec.of(Abi.LP64);
    private static final AlarmIoctlCodec COMPAT32 = AlarmIoctlCodec.of(Abi.COMPAT32);

    private final PendingWaits waits;
    private final boolean unrestricted;
    private ByteBuffer outView;
    private Reply outViewOf;

    /**
     * Creates the handler.
     *
     * @param waits where WAITs are parked
     * @param unrestricted true for CUSE (retry allowed), false for FUSE
     */
    public IoctlRequests(final PendingWaits waits, final boolean unrestricted) {
        this.waits = waits;
        this.unrestricted = unrestricted;
    }

    /**
     * Answers (or parks) one {@code FUSE_IOCTL}.
     *
     * @param c the connection
     * @param req the request
     * @param reply the loop's reply buffer
     */
    public void ioctl(final Connection c, final Request req, final Reply reply) {
        final long unique = req.unique();
        final AlarmHandle handle = c.files().get(req.int64(IOCTL_IN_FH));
        if (handle == null) {
            result(c, req, reply, -Errno.EBADF, 0);
            return;
        }
        final int flags = req.int32(IOCTL_IN_FLAGS);
        final int cmd = req.int32(IOCTL_IN_CMD);
        final int inSize = req.int32(IOCTL_IN_IN_SIZE);
        final int outSize = req.int32(IOCTL_IN_OUT_SIZE);
        final AlarmIoctlCodec codec = (flags & IOCTL_COMPAT) != 0 && (flags & IOCTL_COMPAT_X32) == 0 ? COMPAT32 : LP64;
        final int needOut = codec.outputSize(cmd);
        if (unrestricted) {
            final int needIn = codec.inputSize(cmd);
            if (inSize < needIn || outSize < needOut) {
                retry(c, req, reply, req.int64(IOCTL_IN_ARG), needIn, needOut);
                return;
            }
        } else if (needOut > 0) {
            result(c, req, reply, -Errno.EOPNOTSUPP, 0);
            return;
        }
        final int avail = Math.min(inSize, req.bodyLength() - IOCTL_IN_SIZE);
        final ByteBuffer arg = needOut > 0 ? outView(reply, needOut) : req.bodyView(IOCTL_IN_SIZE, Math.max(avail, 0));
        final long fh = req.int64(IOCTL_IN_FH);
        final int r = codec.ioctlDeferringWait(handle, cmd, arg);
        if (r == AlarmIoctlCodec.WAIT_DEFERRED) {
            req.markAnswered();
            waits.park(c, unique, fh, handle, cmd);
            return;
        }
        final int len = resultReply(req, reply, r, r == 0 ? needOut : 0);
        if (needOut == 0 && handle.mode() == OpenMode.READ_WRITE) {
            c.hook().changed(c, unique, fh, handle, reply, len);
        }
        c.write(reply, len);
    }

    /** A view of the reply's data area after {@code fuse_ioctl_out} (GET_TIME writes there). */
    private ByteBuffer outView(final Reply reply, final int len) {
        if (outViewOf != reply) {
            outView = reply.buffer().duplicate().order(ByteOrder.LITTLE_ENDIAN);
            outViewOf = reply;
        }
        outView.limit(OUT_HEADER_SIZE + IOCTL_OUT_SIZE + len);
        outView.position(OUT_HEADER_SIZE + IOCTL_OUT_SIZE);
        return outView;
    }

    private static void result(final Connection c, final Request req, final Reply reply, final int result,
            final int dataLength) {
        c.write(reply, resultReply(req, reply, result, dataLength));
    }

    /** Builds an ioctl reply with {@code result} and marks the request answered; returns its length. */
    private static int resultReply(final Request req, final Reply reply, final int result, final int dataLength) {
        final int len = reply.header(req.unique(), 0, IOCTL_OUT_SIZE + dataLength);
        final ByteBuffer b = reply.buffer();
        b.putInt(OUT_HEADER_SIZE + IOCTL_OUT_RESULT, result);
        b.putInt(OUT_HEADER_SIZE + IOCTL_OUT_FLAGS, 0);
        b.putInt(OUT_HEADER_SIZE + IOCTL_OUT_IN_IOVS, 0);
        b.putInt(OUT_HEADER_SIZE + IOCTL_OUT_OUT_IOVS, 0);
        req.markAnswered();
        return len;
    }

    private static void retry(final Connection c, final Request req, final Reply reply, final long arg,
            final int needIn, final int needOut) {
        final int iovs = (needIn > 0 ? 1 : 0) + (needOut > 0 ? 1 : 0);
        final int len = reply.header(req.unique(), 0, IOCTL_OUT_SIZE + iovs * IOCTL_IOVEC_SIZE);
        final ByteBuffer b = reply.buffer();
        b.putInt(OUT_HEADER_SIZE + IOCTL_OUT_RESULT, 0);
        b.putInt(OUT_HEADER_SIZE + IOCTL_OUT_FLAGS, IOCTL_RETRY);
        b.putInt(OUT_HEADER_SIZE + IOCTL_OUT_IN_IOVS, needIn > 0 ? 1 : 0);
        b.putInt(OUT_HEADER_SIZE + IOCTL_OUT_OUT_IOVS, needOut > 0 ? 1 : 0);
        int p = OUT_HEADER_SIZE + IOCTL_OUT_SIZE;
        if (needIn > 0) {
            b.putLong(p, arg);
            b.putLong(p + 8, needIn);
            p += IOCTL_IOVEC_SIZE;
        }
        if (needOut > 0) {
            b.putLong(p, arg);
            b.putLong(p + 8, needOut);
        }
        req.markAnswered();
        c.write(reply, len);
    }
}
