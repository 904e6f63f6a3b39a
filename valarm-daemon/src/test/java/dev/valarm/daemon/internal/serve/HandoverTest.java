package dev.valarm.daemon.internal.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.bridge.internal.Connection;
import dev.valarm.bridge.internal.FuseAbi;
import dev.valarm.bridge.internal.FuseNodes;
import dev.valarm.bridge.internal.Native;
import dev.valarm.bridge.internal.PendingWaits;
import dev.valarm.bridge.internal.Reply;
import dev.valarm.bridge.internal.Request;
import dev.valarm.bridge.internal.Session;
import dev.valarm.daemon.internal.config.DaemonConfig;
import dev.valarm.daemon.internal.journal.DurableState;
import dev.valarm.daemon.internal.journal.Journal;
import dev.valarm.impl.sim.SimulatedMachine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The old daemon's side of a hand-over that does not happen, in one process: a real journal, hook and serving
 * loop, a fake kernel connection (an {@code AF_UNIX} {@code SOCK_SEQPACKET} socket pair) and a simulated device.
 * Without FUSE or root.
 */
class HandoverTest {
    private static final int SOCK_SEQPACKET = 5;
    private static final int SOCK_NONBLOCK = 04000;
    private static final int POLLIN = 1;

    @TempDir
    Path dir;

    private final Native nat = Native.get();
    private SimulatedMachine machine;
    private ValarmDevice device;
    private Journal journal;
    private DurabilityHook hook;
    private Session session;
    private Connection connection;
    private Daemon daemon;
    private int kernelFd = -1;

    @BeforeEach
    void start() throws Exception {
        machine = SimulatedMachine.builder().build();
        device = machine.newDevice();
        journal = Journal.start(dir, DaemonConfig.Sync.NONE, "boot", new DurableState());
        hook = new DurabilityHook(journal, machine.clocks());
        session = new Session("handover-test-loop");
        final int[] fds = new int[2];
        assertEquals(0, nat.libc().socketpair(1, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fds), "socketpair");
        kernelFd = fds[0];
        connection = new Connection(fds[1], Connection.Kind.FUSE, "fake FUSE", FuseAbi.KERNEL_MINOR_VERSION);
        connection.id(1);
        connection.hook(hook);
        connection.handler(new Connection.Handler() {
            @Override
            public void onRequest(final Connection c, final Request request, final Reply reply) {
                throw new AssertionError("the test sends no request");
            }

            @Override
            public void onClose(final Connection c, final boolean byKernel) {
            }

            @Override
            public void afterClose() {
            }
        });
        session.attach(connection);
        daemon = new Daemon(null, device, machine.clocks(), session, new PendingWaits(4), null, journal, hook, null);
        daemon.connections.put(connection.id(), new ServedConnection(connection, false, dir, new FuseNodes(), 0, 0, false));
    }

    @AfterEach
    void stop() {
        session.close();
        journal.close();
        device.close();
        if (kernelFd >= 0) {
            nat.libc().close(kernelFd);
        }
    }

    /**
     * A WAIT's answer is recorded (the journal is not frozen yet), then the hand-over parks the loop and
     * relinquishes the connection before the answer is written: the write is dropped, for the successor to
     * answer from the journal. The successor dies before the commit: the old daemon takes everything back
     * and must write that answer itself, or its caller stays blocked for ever (an acknowledged alarm lost).
     * These are the two steps of {@code PendingWaits}' answer, with the hand-over between them, as a loaded
     * machine schedules it.
     */
    @Test
    void aWaitAnswerDroppedByAHandOverThatFailsIsWrittenWhenTheOldDaemonTakesBack() {
        final ValarmInstance inst = device.createInstance();
        final long fh = 7;
        final long unique = 1234;
        try (AlarmHandle h = inst.open(OpenMode.READ_WRITE)) {
            h.set(AlarmType.ELAPSED_REALTIME, Timespec.ofNanos(inst.now(AlarmType.ELAPSED_REALTIME).toNanos() + 1_000_000));
            final Reply reply = new Reply(FuseAbi.OUT_HEADER_SIZE + FuseAbi.IOCTL_OUT_SIZE);
            final int len = reply.header(unique, 0, FuseAbi.IOCTL_OUT_SIZE);
            reply.clearBody(FuseAbi.IOCTL_OUT_SIZE);
            reply.buffer().putInt(FuseAbi.OUT_HEADER_SIZE + FuseAbi.IOCTL_OUT_RESULT, AlarmType.ELAPSED_REALTIME.mask());
            final byte[] expected = new byte[len];
            reply.buffer().get(0, expected);

            assertTrue(connection.hook().answered(connection, unique, fh, h, reply, len),
                    "the journal is not frozen: the answer is recorded and is to be written");
            final Handover handover = new Handover(daemon);
            handover.prepare(424242);
            assertFalse(connection.writeFromAnyThread(reply, len), "a relinquished connection takes no write");
            handover.abort("the successor's control connection closed before the commit");

            final byte[] got = readReply();
            assertEquals(unique, ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN).getLong(FuseAbi.OUT_UNIQUE),
                    "the WAIT's answer reached the kernel after the take-back");
            assertArrayEquals(expected, got, "the recorded answer, byte for byte");
        }
    }

    /** The reply waiting at the fake kernel's end (abort writes it before it returns: no waiting). */
    private byte[] readReply() {
        final ByteBuffer pfd = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        pfd.putInt(0, kernelFd).putShort(4, (short) POLLIN);
        assertEquals(1, nat.libc().poll(nat.pointer(pfd), 1, 0),
                "no reply reached the kernel: the caller of request 1234 stays blocked in WAIT");
        final ByteBuffer in = ByteBuffer.allocateDirect(Session.REPLY_BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        final long n = nat.libc().read(kernelFd, nat.pointer(in), in.capacity());
        assertTrue(n >= FuseAbi.OUT_HEADER_SIZE, "reply of " + n + " bytes");
        final byte[] b = new byte[(int) n];
        in.get(0, b);
        return b;
    }
}
