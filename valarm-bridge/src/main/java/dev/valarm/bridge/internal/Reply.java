package dev.valarm.bridge.internal;

import static dev.valarm.bridge.internal.FuseAbi.OUT_ERROR;
import static dev.valarm.bridge.internal.FuseAbi.OUT_HEADER_SIZE;
import static dev.valarm.bridge.internal.FuseAbi.OUT_LEN;
import static dev.valarm.bridge.internal.FuseAbi.OUT_UNIQUE;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.Pointer;

/**
 * A reusable reply buffer: {@code struct fuse_out_header} followed by the reply's struct, built in place
 * in direct memory and written to the connection in one {@code write(2)} (the kernel takes one reply per
 * write). The header's {@code error} is always 0 or a negative errno in [-511, -1]: anything else makes
 * the kernel refuse the reply and leave the caller blocked.
 *
 * <p>Thread-safety: not thread-safe; each thread that answers has its own (the serving loop one, each
 * pending WAIT one).
 */
public final class Reply {
    private final ByteBuffer buf;
    private final Pointer ptr;

    /**
     * Allocates a reply buffer.
     *
     * @param capacity the largest reply, header included
     */
    public Reply(final int capacity) {
        this.buf = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
        this.ptr = Native.get().pointer(buf);
    }

    /**
     * The buffer: the reply body starts at {@link FuseAbi#OUT_HEADER_SIZE}.
     *
     * @return the buffer (little-endian)
     */
    public ByteBuffer buffer() {
        return buf;
    }

    /**
     * The memory of the buffer.
     *
     * @return the pointer
     */
    Pointer pointer() {
        return ptr;
    }

    /**
     * Zeroes {@code length} bytes of the body (structs have reserved members the kernel may read).
     *
     * @param length body bytes
     * @return this
     */
    public Reply clearBody(final int length) {
        for (int i = 0; i < length; i += 8) {
            if (i + 8 <= length) {
                buf.putLong(OUT_HEADER_SIZE + i, 0L);
            } else {
                for (int j = i; j < length; j++) {
                    buf.put(OUT_HEADER_SIZE + j, (byte) 0);
                }
            }
        }
        return this;
    }

    /**
     * Writes the header for a reply of {@code bodyLength} bytes.
     *
     * @param unique the request's id
     * @param error 0 or a negative errno in [-511, -1]
     * @param bodyLength bytes after the header
     * @return the total length
     */
    public int header(final long unique, final int error, final int bodyLength) {
        if (error > 0 || error < -511) {
            throw new IllegalArgumentException("a reply error must be 0 or in [-511, -1]: " + error);
        }
        final int len = OUT_HEADER_SIZE + bodyLength;
        buf.putInt(OUT_LEN, len);
        buf.putInt(OUT_ERROR, error);
        buf.putLong(OUT_UNIQUE, unique);
        return len;
    }
}
