package dev.valarm.rtc.linux;

import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.rtc.linux.internal.ITimerSpec;
import dev.valarm.rtc.linux.internal.LibC;
import dev.valarm.rtc.linux.internal.LinuxAbi;
import dev.valarm.rtc.linux.internal.Native;
import dev.valarm.rtc.linux.internal.NativeTimespec;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeReason;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's REALTIME, BOOTTIME and MONOTONIC clocks, read with {@code clock_gettime}, and the
 * dispatcher's wait on them.
 *
 * <p><b>Reading</b> ({@link #nanos}) goes through a per-thread 16-byte direct buffer and an errno-free
 * binding: no allocation after a thread's first read.
 *
 * <p><b>Waiting</b> ({@link #awaitDeadline}) uses one absolute timerfd per base plus an eventfd for
 * {@link #wakeup()}, all in one {@code poll}. The REALTIME timerfd is always armed with
 * {@code TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET} (at a far-future time when there is no realtime
 * deadline), so a host clock change (settimeofday, clock_settime, and every resume from suspend) makes
 * its read fail with {@code ECANCELED}: that becomes {@link WakeReason#CLOCK_SET}, the timer is re-armed,
 * and it is never reported as an error. A timer is re-programmed only when its deadline changes or after
 * it fired. The wait and {@link #wakeup()} allocate nothing (direct buffers reused under the wait lock).
 *
 * <p>A thread blocked in {@code poll} does not notice {@link Thread#interrupt()}: use {@link #wakeup()} or
 * {@link #close()} to end a wait from outside; an interrupt set <em>before</em> the call is honoured.
 *
 * <p>Thread-safety: thread-safe. {@link #nanos} and {@link #wakeup()} may be called from any thread at any
 * time; {@link #awaitDeadline} is serialised (one waiter at a time); {@link #close()} wakes a blocked
 * waiter, then releases the file descriptors.
 */
public final class LinuxHostClocks implements HostClocks {
    private static final Logger LOG = LoggerFactory.getLogger(LinuxHostClocks.class);

    /** Clock ids by {@link ClockBase#ordinal()}. */
    private static final int[] CLOCK_IDS = new int[ClockBase.values().length];
    /** Clock names by ordinal, for messages. */
    private static final String[] CLOCK_NAMES = new String[ClockBase.values().length];
    /** Where the REALTIME timer is parked when there is no realtime deadline (2255, inside ktime's range). */
    private static final long FAR_REALTIME_NANOS = 9_000_000_000L * Native.NANOS_PER_SECOND;
    /** Sentinel for "timer not armed / must be re-armed". */
    private static final long UNARMED = Long.MIN_VALUE;

    static {
        CLOCK_IDS[ClockBase.REALTIME.ordinal()] = LinuxAbi.CLOCK_REALTIME;
        CLOCK_IDS[ClockBase.BOOTTIME.ordinal()] = LinuxAbi.CLOCK_BOOTTIME;
        CLOCK_IDS[ClockBase.MONOTONIC.ordinal()] = LinuxAbi.CLOCK_MONOTONIC;
        CLOCK_NAMES[ClockBase.REALTIME.ordinal()] = "CLOCK_REALTIME";
        CLOCK_NAMES[ClockBase.BOOTTIME.ordinal()] = "CLOCK_BOOTTIME";
        CLOCK_NAMES[ClockBase.MONOTONIC.ordinal()] = "CLOCK_MONOTONIC";
    }

    private static final int RT = ClockBase.REALTIME.ordinal();
    private static final int BASES = ClockBase.values().length;

    private final Native nat;
    private final LibC libc;
    private final ThreadLocal<Pointer> readBuffer;
    private final Pointer one;
    private final int eventFd;
    private final int[] timerFds = new int[BASES];

    /** Guards the wait state below and the fds' lifetime. */
    private final ReentrantLock waitLock = new ReentrantLock();
    private final ITimerSpec spec;
    private final Pointer pollFds;
    private final Pointer readBuf;
    private final long[] armed = new long[BASES];
    private volatile boolean closed;

    private LinuxHostClocks(final Native nat) {
        this.nat = nat;
        this.libc = nat.libc();
        this.readBuffer = ThreadLocal.withInitial(() -> nat.direct(16));
        this.one = nat.direct(8);
        one.putLong(0, 1L);
        this.spec = ITimerSpec.direct(nat.runtime());
        this.pollFds = nat.direct((BASES + 1) * LinuxAbi.POLLFD_SIZE);
        this.readBuf = nat.direct(8);
        Arrays.fill(timerFds, -1);
        Arrays.fill(armed, UNARMED);
        int efd = -1;
        try {
            efd = nat.eventfd();
            for (int b = 0; b < BASES; b++) {
                timerFds[b] = nat.timerfdCreate(CLOCK_IDS[b], CLOCK_NAMES[b]);
            }
        } catch (final RtcException e) {
            nat.closeQuietly(efd, "eventfd");
            for (final int fd : timerFds) {
                nat.closeQuietly(fd, "timerfd");
            }
            throw e;
        }
        this.eventFd = efd;
        for (int b = 0; b < BASES; b++) {
            pollFds.putInt((b + 1L) * LinuxAbi.POLLFD_SIZE, timerFds[b]);
            pollFds.putShort((b + 1L) * LinuxAbi.POLLFD_SIZE + 4, LinuxAbi.POLLIN);
        }
        pollFds.putInt(0, eventFd);
        pollFds.putShort(4, LinuxAbi.POLLIN);
    }

    /**
     * Opens the host clocks: one eventfd and three timerfds (REALTIME, BOOTTIME, MONOTONIC). Needs no
     * privilege.
     *
     * @return the clocks
     * @throws RtcException if libc cannot be bound (not Linux, unsupported architecture) or a descriptor
     *         cannot be created (EMFILE ...)
     */
    public static LinuxHostClocks open() {
        final LinuxHostClocks c = new LinuxHostClocks(Native.get());
        c.waitLock.lock();
        try {
            c.arm(RT, NO_DEADLINE);
        } finally {
            c.waitLock.unlock();
        }
        LOG.debug("linux host clocks open: eventfd {}, timerfds {}", c.eventFd, Arrays.toString(c.timerFds));
        return c;
    }

    @Override
    public String name() {
        return "linux-clocks";
    }

    /**
     * {@inheritDoc}
     *
     * <p>Allocation-free after the calling thread's first read.
     *
     * @throws RtcException (EINVAL) if the kernel refuses the clock, which it does not on Linux 2.6.39+
     */
    @Override
    public long nanos(final ClockBase base) {
        final int b = base.ordinal();
        final Pointer p = readBuffer.get();
        if (libc.clock_gettime(CLOCK_IDS[b], p) != 0) {
            throw new RtcException(Errno.EINVAL, "clock_gettime(" + CLOCK_NAMES[b] + ")", "failed");
        }
        return Native.toNanos(p.getLong(0), p.getLong(8));
    }

    @Override
    public boolean canSetRealtime() {
        return true;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Uses {@code clock_settime(CLOCK_REALTIME)}; needs CAP_SYS_TIME. A waiter in
     * {@link #awaitDeadline} returns {@link WakeReason#CLOCK_SET}.
     */
    @Override
    public void setRealtime(final long epochNanos) {
        final NativeTimespec ts = new NativeTimespec(nat.runtime());
        ts.setNanos(epochNanos);
        if (libc.clock_settime(LinuxAbi.CLOCK_REALTIME, ts) != 0) {
            final int err = nat.errno();
            final RtcException e = Native.fail(err, "clock_settime(CLOCK_REALTIME)", err == Errno.EPERM
                    ? "setting the host clock needs CAP_SYS_TIME (run as root or grant the capability); wanted "
                            + epochNanos + " ns since the epoch"
                    : "cannot set the host clock to " + epochNanos + " ns since the epoch");
            LOG.warn("{}", e.getMessage());
            throw e;
        }
        LOG.info("host realtime clock set to {} ns since the epoch", epochNanos);
    }

    /**
     * {@inheritDoc}
     *
     * <p>An interrupted calling thread returns {@link WakeReason#WOKEN} at once, with its interrupt flag
     * left set. After {@link #close()} returns {@link WakeReason#WOKEN} at once.
     */
    @Override
    public WakeReason awaitDeadline(final long realtimeDeadline, final long boottimeDeadline,
            final long monotonicDeadline) {
        waitLock.lock();
        try {
            if (closed || Thread.currentThread().isInterrupted()) {
                return WakeReason.WOKEN;
            }
            boolean clockSet = arm(RT, realtimeDeadline);
            arm(ClockBase.BOOTTIME.ordinal(), boottimeDeadline);
            arm(ClockBase.MONOTONIC.ordinal(), monotonicDeadline);
            if (clockSet) {
                return WakeReason.CLOCK_SET;
            }
            for (int i = 0; i <= BASES; i++) {
                pollFds.putShort(i * (long) LinuxAbi.POLLFD_SIZE + 6, (short) 0);
            }
            final int n = libc.poll(pollFds, BASES + 1, -1);
            if (n < 0) {
                final int err = nat.errno();
                if (err == Errno.EINTR) {
                    return WakeReason.SPURIOUS;
                }
                throw Native.fail(err, "poll(eventfd + 3 timerfds)", "failed");
            }
            if (closed) {
                return WakeReason.WOKEN;
            }
            boolean deadline = false;
            for (int b = 0; b < BASES; b++) {
                if (revents(b + 1) == 0) {
                    continue;
                }
                final long r = libc.read(timerFds[b], readBuf, 8);
                if (r == 8) {
                    deadline = true;
                    armed[b] = UNARMED;
                    if (b == RT) {
                        // Keep watching for clock changes until the next call sets the next deadline.
                        clockSet |= arm(RT, NO_DEADLINE);
                    }
                    continue;
                }
                final int err = nat.errno();
                if (b == RT && err == Errno.ECANCELED) {
                    clockSet = true;
                    final long d = armed[RT];
                    armed[RT] = UNARMED;
                    arm(RT, d == FAR_REALTIME_NANOS ? NO_DEADLINE : d);
                } else if (err != Errno.EAGAIN && err != Errno.EINTR) {
                    throw Native.fail(err, "read(timerfd " + CLOCK_NAMES[b] + ")", "failed");
                }
            }
            boolean woken = false;
            if (revents(0) != 0) {
                woken = libc.read(eventFd, readBuf, 8) == 8;
            }
            if (clockSet) {
                return WakeReason.CLOCK_SET;
            }
            if (deadline) {
                return WakeReason.DEADLINE;
            }
            return woken ? WakeReason.WOKEN : WakeReason.SPURIOUS;
        } finally {
            waitLock.unlock();
        }
    }

    private short revents(final int index) {
        return pollFds.getShort(index * (long) LinuxAbi.POLLFD_SIZE + 6);
    }

    /**
     * Arms one base's timer when its deadline changed (the REALTIME one always carries CANCEL_ON_SET).
     *
     * @return true if the REALTIME timer reported ECANCELED (the clock was set) while being armed
     */
    private boolean arm(final int b, final long deadline) {
        final long target = b == RT && deadline == NO_DEADLINE ? FAR_REALTIME_NANOS : deadline;
        if (armed[b] == target) {
            return false;
        }
        final int flags = b == RT ? LinuxAbi.TFD_TIMER_CANCEL_ON_SET : 0;
        boolean cancelled = false;
        if (b == RT && armed[RT] != UNARMED) {
            // Re-arming forgets a clock change that happened since the last poll: collect it first.
            cancelled = libc.read(timerFds[RT], readBuf, 8) < 0 && nat.errno() == Errno.ECANCELED;
        }
        int err = nat.timerfdSetAbsolute(timerFds[b], spec, target, flags);
        if (err == Errno.ECANCELED && b == RT) {
            cancelled = true;
            err = nat.timerfdSetAbsolute(timerFds[b], spec, target, flags);
        }
        if (err != 0) {
            armed[b] = UNARMED;
            throw Native.fail(err, "timerfd_settime(" + CLOCK_NAMES[b] + ", " + target + " ns)", "failed");
        }
        armed[b] = target;
        return cancelled;
    }

    @Override
    public void wakeup() {
        synchronized (one) {
            if (!closed) {
                libc.write(eventFd, one, 8);
            }
        }
    }

    @Override
    public void close() {
        synchronized (one) {
            if (closed) {
                return;
            }
            closed = true;
            libc.write(eventFd, one, 8);
        }
        waitLock.lock();
        try {
            for (int b = 0; b < BASES; b++) {
                nat.closeQuietly(timerFds[b], "timerfd " + CLOCK_NAMES[b]);
                timerFds[b] = -1;
            }
            nat.closeQuietly(eventFd, "eventfd");
        } finally {
            waitLock.unlock();
        }
    }
}
