package dev.valarm.bridge.internal;

import static dev.valarm.bridge.internal.FakeKernel.body32;
import static dev.valarm.bridge.internal.FakeKernel.body64;
import static dev.valarm.bridge.internal.FakeKernel.error;
import static dev.valarm.bridge.internal.FakeKernel.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.Errno;
import dev.valarm.OpenMode;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.bridge.NodeSpec;
import dev.valarm.impl.abi.AlarmIoctlCodec;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.sim.SimulatedMachine;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CUSE and FUSE request handlers against a fake kernel (a socket pair) and a simulated device: every
 * answer checked byte for byte, without FUSE, CUSE or root.
 */
class HandlersTest {
    private static final long SEC = 1_000_000_000L;
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;

    private SimulatedMachine machine;
    private ValarmDevice device;
    private ValarmInstance inst;
    private FakeKernel kernel;
    private PendingWaits waits;
    private Reply reply;
    private final AtomicInteger afterClose = new AtomicInteger();

    @BeforeEach
    void start() {
        machine = SimulatedMachine.builder().build();
        device = machine.newDevice();
        inst = device.createInstance();
        kernel = new FakeKernel();
        waits = new PendingWaits(2);
        reply = new Reply(Session.REPLY_BUFFER_SIZE);
    }

    @AfterEach
    void stop() {
        kernel.close();
        device.close();
    }

    private Connection connection(final Connection.Kind kind, final Connection.Handler h) {
        final Connection c = new Connection(kernel.serverFd, kind, "fake " + kind, FuseAbi.KERNEL_MINOR_VERSION);
        c.handler(h);
        return c;
    }

    private long open(final Connection c, final long node, final int flags) {
        kernel.request(FuseAbi.OPEN, node).i32(FuseAbi.OPEN_IN_FLAGS, flags).size(8).handle(c, c.handler(), reply);
        final ByteBuffer r = kernel.reply();
        assertEquals(0, error(r));
        assertEquals(FuseAbi.FOPEN_DIRECT_IO | FuseAbi.FOPEN_NONSEEKABLE, body32(r, FuseAbi.OPEN_OUT_OPEN_FLAGS));
        return body64(r, FuseAbi.OPEN_OUT_FH);
    }

    private FakeKernel.Req ioctl(final long fh, final int cmd, final int flags, final int inSize, final int outSize) {
        return kernel.request(FuseAbi.IOCTL, 0).i64(FuseAbi.IOCTL_IN_FH, fh).i32(FuseAbi.IOCTL_IN_FLAGS, flags)
                .i32(FuseAbi.IOCTL_IN_CMD, cmd).i64(FuseAbi.IOCTL_IN_ARG, 0x7000_1000L)
                .i32(FuseAbi.IOCTL_IN_IN_SIZE, inSize).i32(FuseAbi.IOCTL_IN_OUT_SIZE, outSize);
    }

    private static int result(final ByteBuffer r) {
        assertEquals(0, error(r), "ioctl answers come in the result, the header error stays 0");
        return body32(r, FuseAbi.IOCTL_OUT_RESULT);
    }

    private long inSeconds(final AlarmType t, final long s) {
        return inst.now(t).toNanos() / SEC + s;
    }

    @Test
    void cuseAsksForTheArgumentWithARetryThenAppliesIt() {
        final Connection c = connection(Connection.Kind.CUSE, new CuseRequests(waits, inst, afterClose::incrementAndGet));
        final long fh = open(c, 0, O_RDWR);
        final int set = AlarmIoctlCodec.request(AlarmIoctlCodec.SET, AlarmType.RTC);
        ioctl(fh, set, FuseAbi.IOCTL_UNRESTRICTED, 0, 0).handle(c, c.handler(), reply);
        ByteBuffer r = kernel.reply();
        assertEquals(FuseAbi.IOCTL_RETRY, body32(r, FuseAbi.IOCTL_OUT_FLAGS), "first round: retry");
        assertEquals(1, body32(r, FuseAbi.IOCTL_OUT_IN_IOVS));
        assertEquals(0, body32(r, FuseAbi.IOCTL_OUT_OUT_IOVS));
        assertEquals(0x7000_1000L, body64(r, FuseAbi.IOCTL_OUT_SIZE), "the iovec is the caller's pointer");
        assertEquals(16, body64(r, FuseAbi.IOCTL_OUT_SIZE + 8), "16 bytes: a 64-bit timespec");
        ioctl(fh, set, FuseAbi.IOCTL_UNRESTRICTED, 16, 0).i64(FuseAbi.IOCTL_IN_SIZE, inSeconds(AlarmType.RTC, 5))
                .i64(FuseAbi.IOCTL_IN_SIZE + 8, 0).handle(c, c.handler(), reply);
        assertEquals(0, result(kernel.reply()));
        assertEquals(AlarmType.RTC.mask(), DriverAccess.state(inst).enabled(), "the alarm is armed");

        final int get = AlarmIoctlCodec.request(AlarmIoctlCodec.GET_TIME_COMPAT, AlarmType.SYSTEMTIME);
        ioctl(fh, get, FuseAbi.IOCTL_UNRESTRICTED | FuseAbi.IOCTL_COMPAT, 0, 0).handle(c, c.handler(), reply);
        r = kernel.reply();
        assertEquals(FuseAbi.IOCTL_RETRY, body32(r, FuseAbi.IOCTL_OUT_FLAGS));
        assertEquals(0, body32(r, FuseAbi.IOCTL_OUT_IN_IOVS));
        assertEquals(1, body32(r, FuseAbi.IOCTL_OUT_OUT_IOVS));
        assertEquals(8, body64(r, FuseAbi.IOCTL_OUT_SIZE + 8), "a 32-bit caller's timespec is 8 bytes");
        ioctl(fh, get, FuseAbi.IOCTL_UNRESTRICTED | FuseAbi.IOCTL_COMPAT, 0, 8).handle(c, c.handler(), reply);
        r = kernel.reply();
        assertEquals(0, result(r));
        assertEquals(FuseAbi.OUT_HEADER_SIZE + FuseAbi.IOCTL_OUT_SIZE + 8, r.capacity(), "GET_TIME carries 8 bytes back");
        assertEquals(inst.now(AlarmType.SYSTEMTIME).seconds(), body32(r, FuseAbi.IOCTL_OUT_SIZE), 1);
    }

    @Test
    void fuseGetTimeFailsWithEopnotsuppAfterTheTypeCheck() {
        final FuseNodes nodes = new FuseNodes();
        final long node = nodes.add(inst, NodeSpec.of("alarm")).nodeId();
        final Connection c = connection(Connection.Kind.FUSE, new FuseRequests(waits, nodes, 0, 0, 0755, () -> { }));
        final long fh = open(c, node, O_RDONLY);
        ioctl(fh, AlarmIoctlCodec.GET_TIME, 0, 16, 0).size(FuseAbi.IOCTL_IN_SIZE + 16).handle(c, c.handler(), reply);
        assertEquals(-Errno.EOPNOTSUPP, result(kernel.reply()));
        ioctl(fh, AlarmIoctlCodec.GET_TIME | 0x70, 0, 16, 0).size(FuseAbi.IOCTL_IN_SIZE + 16).handle(c, c.handler(), reply);
        assertEquals(-Errno.EINVAL, result(kernel.reply()), "type 7 is EINVAL first, as in the driver");
        ioctl(fh, AlarmIoctlCodec.WAIT, 0, 0, 0).handle(c, c.handler(), reply);
        assertEquals(-Errno.EPERM, result(kernel.reply()), "O_RDONLY opens a read-only handle");
    }

    @Test
    void aWaitIsParkedAndAnsweredWhenTheAlarmFires() {
        final Connection c = connection(Connection.Kind.CUSE, new CuseRequests(waits, inst, () -> { }));
        final long fh = open(c, 0, O_RDWR);
        final long u = ioctl(fh, AlarmIoctlCodec.WAIT, FuseAbi.IOCTL_UNRESTRICTED, 0, 0).handle(c, c.handler(), reply);
        assertFalse(kernel.replyWithin(50), "a WAIT with nothing pending is not answered");
        assertEquals(1, waits.size());
        assertEquals(u, waits.snapshot().get(0).unique(), "the request table knows the pending id");
        final AlarmHandle h = c.files().get(fh);
        h.set(AlarmType.ELAPSED_REALTIME, dev.valarm.Timespec.ofNanos(inst.now(AlarmType.ELAPSED_REALTIME).toNanos() + SEC));
        machine.advance(Duration.ofSeconds(1));
        final ByteBuffer r = kernel.reply();
        assertEquals(u, unique(r));
        assertEquals(AlarmType.ELAPSED_REALTIME.mask(), result(r));
        assertEquals(0, waits.size());
    }

    @Test
    void anInterruptAnswersErestartsysInTheResultAndKeepsTheAlarm() {
        final Connection c = connection(Connection.Kind.CUSE, new CuseRequests(waits, inst, () -> { }));
        final long fh = open(c, 0, O_RDWR);
        final int saw = AlarmIoctlCodec.request(AlarmIoctlCodec.SET_AND_WAIT, AlarmType.RTC);
        final long u = ioctl(fh, saw, FuseAbi.IOCTL_UNRESTRICTED, 16, 0).i64(FuseAbi.IOCTL_IN_SIZE,
                inSeconds(AlarmType.RTC, 60)).i64(FuseAbi.IOCTL_IN_SIZE + 8, 0).handle(c, c.handler(), reply);
        assertFalse(kernel.replyWithin(50));
        kernel.request(FuseAbi.INTERRUPT, 0).i64(FuseAbi.INTERRUPT_IN_UNIQUE, u).handle(c, c.handler(), reply);
        final ByteBuffer r = kernel.reply();
        assertEquals(u, unique(r), "the interrupted request itself is answered");
        assertEquals(-FuseAbi.ERESTARTSYS, result(r), "-ERESTARTSYS in the ioctl result (never in the header)");
        assertFalse(kernel.replyWithin(50), "no reply to the interrupt itself");
        assertEquals(AlarmType.RTC.mask(), DriverAccess.state(inst).enabled(), "the alarm stays armed");
        kernel.request(FuseAbi.INTERRUPT, 0).i64(FuseAbi.INTERRUPT_IN_UNIQUE, u).handle(c, c.handler(), reply);
        assertFalse(kernel.replyWithin(50), "an interrupt for an answered request is ignored");
    }

    @Test
    void closingAnswersEveryPendingWaitWithEnodevAndClosesTheHandles() {
        final CuseRequests h = new CuseRequests(waits, inst, afterClose::incrementAndGet);
        final Connection c = connection(Connection.Kind.CUSE, h);
        final long fh = open(c, 0, O_RDWR);
        final long u1 = ioctl(fh, AlarmIoctlCodec.WAIT, FuseAbi.IOCTL_UNRESTRICTED, 0, 0).handle(c, h, reply);
        final long u2 = ioctl(fh, AlarmIoctlCodec.WAIT, FuseAbi.IOCTL_UNRESTRICTED, 0, 0).handle(c, h, reply);
        final long u3 = ioctl(fh, AlarmIoctlCodec.WAIT, FuseAbi.IOCTL_UNRESTRICTED, 0, 0).handle(c, h, reply);
        assertEquals(3, waits.size(), "the table grew past its 2 preallocated slots");
        h.onClose(c, false);
        long seen = 0;
        for (int i = 0; i < 3; i++) {
            final ByteBuffer r = kernel.reply();
            assertEquals(-Errno.ENODEV, result(r));
            seen += unique(r);
        }
        assertEquals(u1 + u2 + u3, seen, "each pending WAIT answered once");
        assertEquals(0, waits.size());
        assertEquals(0, c.files().size());
        assertNull(c.files().get(fh), "the fh is stale after close");
    }

    @Test
    void releaseClosesTheHandleAndTheOwnersAlarms() {
        final Connection c = connection(Connection.Kind.CUSE, new CuseRequests(waits, inst, () -> { }));
        final long fh = open(c, 0, O_RDWR);
        final AlarmHandle h = c.files().get(fh);
        h.set(AlarmType.RTC, dev.valarm.Timespec.ofSeconds(inSeconds(AlarmType.RTC, 60)));
        kernel.request(FuseAbi.RELEASE, 0).i64(FuseAbi.RELEASE_IN_FH, fh).size(24).handle(c, c.handler(), reply);
        assertEquals(0, error(kernel.reply()));
        assertTrue(h.isClosed());
        assertEquals(0, DriverAccess.state(inst).enabled(), "the owner's release cancelled its alarm");
        assertTrue(inst.open(OpenMode.READ_WRITE) != null);
    }

    @Test
    void readWriteFsyncPollAndUnknownOpcodesAnswerAsTheMiscDriver() {
        final Connection c = connection(Connection.Kind.CUSE, new CuseRequests(waits, inst, () -> { }));
        final long fh = open(c, 0, O_RDWR);
        kernel.request(FuseAbi.READ, 0).i64(FuseAbi.READ_IN_FH, fh).i32(FuseAbi.READ_IN_SIZE, 8).size(40)
                .handle(c, c.handler(), reply);
        assertEquals(-Errno.EINVAL, error(kernel.reply()));
        kernel.request(FuseAbi.WRITE, 0).size(48).handle(c, c.handler(), reply);
        assertEquals(-Errno.EINVAL, error(kernel.reply()));
        kernel.request(FuseAbi.FSYNC, 0).size(16).handle(c, c.handler(), reply);
        assertEquals(-Errno.EINVAL, error(kernel.reply()));
        kernel.request(FuseAbi.FLUSH, 0).size(24).handle(c, c.handler(), reply);
        assertEquals(0, error(kernel.reply()));
        kernel.request(FuseAbi.POLL, 0).size(24).handle(c, c.handler(), reply);
        final ByteBuffer p = kernel.reply();
        assertEquals(FuseAbi.DEFAULT_POLLMASK, body32(p, FuseAbi.POLL_OUT_REVENTS));
        kernel.request(9999, 0).handle(c, c.handler(), reply);
        assertEquals(-Errno.ENOSYS, error(kernel.reply()), "an opcode CUSE never sends: ENOSYS");
        ioctl(fh + (1L << 32), AlarmIoctlCodec.WAIT, FuseAbi.IOCTL_UNRESTRICTED, 0, 0).handle(c, c.handler(), reply);
        assertEquals(-Errno.EBADF, result(kernel.reply()), "a stale fh never reaches a handle");
    }

    @Test
    void theFuseNamespaceIsAFlatReadOnlyDirectory() {
        final FuseNodes nodes = new FuseNodes();
        final long node = nodes.add(inst, NodeSpec.of("alarm").owner(1000, 1001).mode(0664)).nodeId();
        final Connection c = connection(Connection.Kind.FUSE, new FuseRequests(waits, nodes, 0, 0, 0755, () -> { }));
        kernel.request(FuseAbi.LOOKUP, FuseAbi.ROOT_ID).name(0, "alarm").handle(c, c.handler(), reply);
        ByteBuffer r = kernel.reply();
        assertEquals(0, error(r));
        assertEquals(node, body64(r, FuseAbi.ENTRY_OUT_NODEID));
        assertEquals(0100664, body32(r, FuseAbi.ENTRY_OUT_ATTR + FuseAbi.ATTR_MODE));
        assertEquals(1000, body32(r, FuseAbi.ENTRY_OUT_ATTR + FuseAbi.ATTR_UID));
        assertEquals(1001, body32(r, FuseAbi.ENTRY_OUT_ATTR + FuseAbi.ATTR_GID));
        kernel.request(FuseAbi.LOOKUP, FuseAbi.ROOT_ID).name(0, "nope").handle(c, c.handler(), reply);
        assertEquals(-Errno.ENOENT, error(kernel.reply()));
        kernel.request(FuseAbi.GETATTR, FuseAbi.ROOT_ID).size(16).handle(c, c.handler(), reply);
        r = kernel.reply();
        assertEquals(040755, body32(r, FuseAbi.ATTR_OUT_ATTR + FuseAbi.ATTR_MODE));
        kernel.request(FuseAbi.SETATTR, node).i32(FuseAbi.SETATTR_IN_VALID, 1).size(88).handle(c, c.handler(), reply);
        assertEquals(-Errno.EPERM, error(kernel.reply()), "chmod is refused");
        kernel.request(FuseAbi.SETATTR, node).i32(FuseAbi.SETATTR_IN_VALID, 8).size(88).handle(c, c.handler(), reply);
        assertEquals(0, error(kernel.reply()), "truncation succeeds and changes nothing");
        kernel.request(FuseAbi.UNLINK, FuseAbi.ROOT_ID).name(0, "alarm").handle(c, c.handler(), reply);
        assertEquals(-Errno.EPERM, error(kernel.reply()));
        kernel.request(FuseAbi.READDIR, FuseAbi.ROOT_ID).i64(FuseAbi.READ_IN_OFFSET, 0).i32(FuseAbi.READ_IN_SIZE, 4096)
                .size(40).handle(c, c.handler(), reply);
        r = kernel.reply();
        final int first = 24 + 8; // "." padded
        final int second = 24 + 8; // ".." padded
        assertEquals(FuseAbi.OUT_HEADER_SIZE + first + second + 24 + 8, r.capacity(), "three entries");
        assertEquals(5, body32(r, first + second + FuseAbi.DIRENT_NAMELEN));
        kernel.request(FuseAbi.READDIR, FuseAbi.ROOT_ID).i64(FuseAbi.READ_IN_OFFSET, 3).i32(FuseAbi.READ_IN_SIZE, 4096)
                .size(40).handle(c, c.handler(), reply);
        assertEquals(FuseAbi.OUT_HEADER_SIZE, kernel.reply().capacity(), "past the end: empty");
        kernel.request(FuseAbi.OPEN, FuseAbi.ROOT_ID).size(8).handle(c, c.handler(), reply);
        assertEquals(-21, error(kernel.reply()), "EISDIR");
    }
}
