package dev.valarm.bridge.internal;

import static dev.valarm.bridge.internal.FuseAbi.IN_HEADER_SIZE;
import static dev.valarm.bridge.internal.FuseAbi.IN_NODEID;
import static dev.valarm.bridge.internal.FuseAbi.IN_OPCODE;
import static dev.valarm.bridge.internal.FuseAbi.IN_UNIQUE;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * One request as read from a connection: {@code struct fuse_in_header} then the opcode's struct, in the
 * serving loop's read buffer. Accessors read at fixed offsets ({@link FuseAbi}); {@link #body} is
 * relative to the end of the header.
 *
 * <p>Thread-safety: confined to the serving loop; valid only while its handler runs.
 */
public final class Request {
    private final ByteBuffer buf;
    /** A second view of the same memory, positioned on argument bytes for the ioctl codec. */
    private final ByteBuffer argView;
    private int length;
    private boolean answered;

    /**
     * Wraps a buffer (the loop's, or a test's).
     *
     * @param buffer the read buffer, little-endian
     */
    public Request(final ByteBuffer buffer) {
        this.buf = buffer.order(ByteOrder.LITTLE_ENDIAN);
        this.argView = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Marks the start of a newly read request.
     *
     * @param len bytes read
     */
    public void reset(final int len) {
        this.length = len;
        this.answered = false;
    }

    /**
     * The buffer.
     *
     * @return the buffer
     */
    public ByteBuffer buffer() {
        return buf;
    }

    /**
     * The number of bytes of this request.
     *
     * @return the length
     */
    public int length() {
        return length;
    }

    /**
     * The opcode.
     *
     * @return the opcode
     */
    public int opcode() {
        return buf.getInt(IN_OPCODE);
    }

    /**
     * The request id.
     *
     * @return the unique id
     */
    public long unique() {
        return buf.getLong(IN_UNIQUE);
    }

    /**
     * The node the request is about.
     *
     * @return the node id
     */
    public long nodeId() {
        return buf.getLong(IN_NODEID);
    }

    /**
     * A 32-bit member of the body.
     *
     * @param offset offset after the header
     * @return the value
     */
    public int int32(final int offset) {
        return buf.getInt(IN_HEADER_SIZE + offset);
    }

    /**
     * A 64-bit member of the body.
     *
     * @param offset offset after the header
     * @return the value
     */
    public long int64(final int offset) {
        return buf.getLong(IN_HEADER_SIZE + offset);
    }

    /**
     * The number of body bytes.
     *
     * @return the body length
     */
    public int bodyLength() {
        return length - IN_HEADER_SIZE;
    }

    /**
     * A view of {@code len} body bytes from {@code offset}, for the codec (no allocation: the same view
     * object each time).
     *
     * @param offset offset after the header
     * @param len the number of bytes
     * @return the view, positioned and limited
     */
    public ByteBuffer bodyView(final int offset, final int len) {
        argView.limit(IN_HEADER_SIZE + offset + len);
        argView.position(IN_HEADER_SIZE + offset);
        return argView;
    }

    /**
     * A NUL-terminated name in the body (LOOKUP).
     *
     * @param offset offset after the header
     * @return the name (allocates: names are looked up only on open paths)
     */
    public String name(final int offset) {
        final int start = IN_HEADER_SIZE + offset;
        int end = start;
        while (end < length && buf.get(end) != 0) {
            end++;
        }
        final byte[] b = new byte[end - start];
        buf.get(start, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * Whether the request was answered (set by the handlers).
     *
     * @return true once answered or parked
     */
    public boolean answered() {
        return answered;
    }

    /** Marks the request answered (or parked for a later answer). */
    public void markAnswered() {
        answered = true;
    }
}
