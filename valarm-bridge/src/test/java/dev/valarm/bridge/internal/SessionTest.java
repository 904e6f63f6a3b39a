package dev.valarm.bridge.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The serving loop over a fake kernel: every request answered, nothing escapes, park at a boundary, stop. */
class SessionTest {

    /** Answers opcode 1001 with success, throws on 1002, forgets to answer the others. */
    private static final int OK = 1001;
    private static final int THROW = 1002;
    private static final int FORGETS = 1003;

    private static final class Scripted implements Connection.Handler {
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger after = new AtomicInteger();

        @Override
        public void onRequest(final Connection c, final Request req, final Reply reply) {
            switch (req.opcode()) {
                case OK:
                    req.markAnswered();
                    c.write(reply, reply.header(req.unique(), 0, 0));
                    return;
                case THROW:
                    throw new IllegalStateException("a bug in a handler");
                default:
                    // forgets to answer
            }
        }

        @Override
        public void onClose(final Connection c, final boolean byKernel) {
            closed.incrementAndGet();
        }

        @Override
        public void afterClose() {
            after.incrementAndGet();
        }
    }

    @Test
    void everyRequestIsAnsweredEvenWhenAHandlerThrowsOrForgets() {
        try (FakeKernel k = new FakeKernel(); Session s = new Session("session-test")) {
            final Scripted h = new Scripted();
            final Connection c = new Connection(k.serverFd, Connection.Kind.FUSE, "fake", 38);
            c.handler(h);
            s.attach(c);
            final long u1 = k.request(OK, 1).send();
            ByteBuffer r = k.reply();
            assertEquals(u1, FakeKernel.unique(r));
            assertEquals(0, FakeKernel.error(r));
            final long u2 = k.request(THROW, 1).send();
            r = k.reply();
            assertEquals(u2, FakeKernel.unique(r));
            assertEquals(-Errno.EIO, FakeKernel.error(r), "an exception in a handler is answered EIO");
            final long u3 = k.request(FORGETS, 1).send();
            r = k.reply();
            assertEquals(u3, FakeKernel.unique(r));
            assertEquals(-Errno.EIO, FakeKernel.error(r), "a request left unanswered is answered EIO");
            k.request(FuseAbi.FORGET, 1).size(8).send();
            assertFalse(k.replyWithin(100), "FORGET gets no reply");

            s.park();
            final long u4 = k.request(OK, 1).send();
            assertFalse(k.replyWithin(200), "a parked loop reads nothing");
            s.resume();
            assertEquals(u4, FakeKernel.unique(k.reply()), "the request waited in the kernel and is served after resume");

            s.detach(c);
            assertEquals(1, h.closed.get());
            assertEquals(1, h.after.get());
            assertTrue(c.isClosing());
        }
    }

    @Test
    void theKernelEndingAConnectionTearsItDown() {
        final FakeKernel k = new FakeKernel();
        try (Session s = new Session("session-test-2")) {
            final Scripted h = new Scripted();
            final Connection c = new Connection(k.serverFd, Connection.Kind.CUSE, "fake", 38);
            c.handler(h);
            s.attach(c);
            k.close(); // the peer goes away: the read gives 0 bytes, then the connection is dropped
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (!s.connections().isEmpty() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(s.connections().isEmpty(), "a connection at end of file is dropped");
            assertEquals(1, h.closed.get(), "and torn down once, as ended by the kernel");
        }
    }
}
