package dev.valarm.bridge.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;

/**
 * The kernel's side of a connection, faked with an {@code AF_UNIX} {@code SOCK_SEQPACKET} socket pair: the
 * bridge's {@link Connection} holds one end (a read gives one request, a write is one reply, as on
 * {@code /dev/fuse}); the test writes requests into the other end and reads the replies. No kernel FUSE
 * needed, so the handlers' answers are checked byte for byte.
 */
final class FakeKernel implements AutoCloseable {
    private static final int SOCK_SEQPACKET = 5;
    private static final int SOCK_NONBLOCK = 04000;

    private final Native nat = Native.get();
    final int kernelFd;
    final int serverFd;
    private final ByteBuffer out = ByteBuffer.allocateDirect(Session.READ_BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final Pointer outPtr = nat.pointer(out);
    private final ByteBuffer in = ByteBuffer.allocateDirect(Session.REPLY_BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final Pointer inPtr = nat.pointer(in);
    private long nextUnique = 2;

    FakeKernel() {
        final int[] fds = new int[2];
        // Non-blocking, like the bridge's /dev/fuse fd.
        assertEquals(0, nat.libc().socketpair(1, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fds), "socketpair");
        kernelFd = fds[0];
        serverFd = fds[1];
    }

    /** A request under construction: header then body. */
    final class Req {
        final long unique;
        int len = FuseAbi.IN_HEADER_SIZE;

        Req(final int opcode, final long nodeId) {
            unique = nextUnique;
            nextUnique += 2;
            for (int i = 0; i < 128; i += 8) {
                out.putLong(i, 0);
            }
            out.putInt(FuseAbi.IN_OPCODE, opcode);
            out.putLong(FuseAbi.IN_UNIQUE, unique);
            out.putLong(FuseAbi.IN_NODEID, nodeId);
        }

        Req i32(final int off, final int v) {
            out.putInt(FuseAbi.IN_HEADER_SIZE + off, v);
            len = Math.max(len, FuseAbi.IN_HEADER_SIZE + off + 4);
            return this;
        }

        Req i64(final int off, final long v) {
            out.putLong(FuseAbi.IN_HEADER_SIZE + off, v);
            len = Math.max(len, FuseAbi.IN_HEADER_SIZE + off + 8);
            return this;
        }

        Req name(final int off, final String s) {
            final byte[] b = (s + "\0").getBytes(StandardCharsets.UTF_8);
            out.put(FuseAbi.IN_HEADER_SIZE + off, b);
            len = Math.max(len, FuseAbi.IN_HEADER_SIZE + off + b.length);
            return this;
        }

        Req size(final int bodyLength) {
            len = Math.max(len, FuseAbi.IN_HEADER_SIZE + bodyLength);
            return this;
        }

        /** Sends it to the server end. */
        long send() {
            out.putInt(FuseAbi.IN_LEN, len);
            assertEquals(len, nat.libc().write(kernelFd, outPtr, len), "write request");
            return unique;
        }

        /** Hands it to a handler directly, as the loop would after reading it. */
        long handle(final Connection c, final Connection.Handler h, final Reply reply) {
            send();
            final ByteBuffer buf = ByteBuffer.allocateDirect(Session.READ_BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            final long n = nat.libc().read(serverFd, nat.pointer(buf), buf.capacity());
            assertEquals(len, n, "the server end reads one request");
            final Request r = new Request(buf);
            r.reset((int) n);
            h.onRequest(c, r, reply);
            return unique;
        }
    }

    Req request(final int opcode, final long nodeId) {
        return new Req(opcode, nodeId);
    }

    /** One reply, read within five seconds. */
    ByteBuffer reply() {
        final ByteBuffer pfd = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        pfd.putInt(0, kernelFd).putShort(4, (short) 1);
        assertTrue(nat.libc().poll(nat.pointer(pfd), 1, 5000) == 1, "no reply within 5 s");
        final long n = nat.libc().read(kernelFd, inPtr, in.capacity());
        assertTrue(n >= FuseAbi.OUT_HEADER_SIZE, "reply of " + n + " bytes");
        assertEquals(n, in.getInt(FuseAbi.OUT_LEN), "the header's len is the reply's length");
        final ByteBuffer copy = ByteBuffer.allocate((int) n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            copy.put(i, in.get(i));
        }
        return copy;
    }

    /** Whether a reply is waiting (polls for {@code millis}). */
    boolean replyWithin(final int millis) {
        final ByteBuffer pfd = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        pfd.putInt(0, kernelFd).putShort(4, (short) 1);
        return nat.libc().poll(nat.pointer(pfd), 1, millis) == 1;
    }

    static int error(final ByteBuffer reply) {
        return reply.getInt(FuseAbi.OUT_ERROR);
    }

    static long unique(final ByteBuffer reply) {
        return reply.getLong(FuseAbi.OUT_UNIQUE);
    }

    static int body32(final ByteBuffer reply, final int off) {
        return reply.getInt(FuseAbi.OUT_HEADER_SIZE + off);
    }

    static long body64(final ByteBuffer reply, final int off) {
        return reply.getLong(FuseAbi.OUT_HEADER_SIZE + off);
    }

    @Override
    public void close() {
        nat.libc().close(kernelFd);
    }
}
