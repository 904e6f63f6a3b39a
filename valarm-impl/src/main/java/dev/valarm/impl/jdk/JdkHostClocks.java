package dev.valarm.impl.jdk;

import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeReason;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Host clocks from the JDK alone.
 *
 * <ul>
 * <li>REALTIME: {@link Instant#now()} (microsecond precision on Linux).</li>
 * <li>MONOTONIC: {@link System#nanoTime()}.</li>
 * <li>BOOTTIME: approximated by {@link System#nanoTime()}, which on most platforms does not count time
 * spent suspended; ELAPSED alarms therefore fire late by the time the machine slept. Use the Linux
 * backend for a real boot-time clock.</li>
 * </ul>
 *
 * <p>The JDK cannot tell when the host clock is set, so the waiter sleeps at most
 * {@value #MAX_SLEEP_MILLIS} ms at a time and reports {@link WakeReason#CLOCK_SET} when the distance
 * between REALTIME and MONOTONIC moved by more than {@value #JUMP_THRESHOLD_MILLIS} ms. The host clock
 * cannot be set from here ({@link #setRealtime} fails with EOPNOTSUPP).
 *
 * <p>Thread-safety: thread-safe; one waiter at a time.
 */
public final class JdkHostClocks implements HostClocks {
    /** The longest single sleep, so that host clock jumps are noticed. */
    public static final long MAX_SLEEP_MILLIS = 1000;
    /** How far REALTIME must move against MONOTONIC to count as a clock change. */
    public static final long JUMP_THRESHOLD_MILLIS = 50;

    private final Object monitor = new Object();
    private volatile Thread waiter;
    private volatile boolean woken;
    private volatile boolean closed;
    private long lastDistance;

    /** Creates the clocks. */
    public JdkHostClocks() {
        lastDistance = distance();
    }

    @Override
    public String name() {
        return "jdk-clocks";
    }

    @Override
    public long nanos(final ClockBase base) {
        if (base == ClockBase.REALTIME) {
            final Instant now = Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }
        return System.nanoTime();
    }

    private long distance() {
        return nanos(ClockBase.REALTIME) - System.nanoTime();
    }

    @Override
    public boolean canSetRealtime() {
        return false;
    }

    @Override
    public void setRealtime(final long epochNanos) {
        throw new RtcException(Errno.EOPNOTSUPP, "set host realtime",
                "the portable JDK clocks cannot set the host clock (wanted "
                + dev.valarm.TimeFormat.instant(dev.valarm.Timespec.ofNanos(epochNanos)) + ")");
    }

    @Override
    public WakeReason awaitDeadline(final long realtimeDeadline, final long boottimeDeadline,
            final long monotonicDeadline) {
        waiter = Thread.currentThread();
        try {
            while (true) {
                if (closed || woken) {
                    woken = false;
                    return WakeReason.WOKEN;
                }
                final long d = distance();
                if (Math.abs(d - lastDistance) > TimeUnit.MILLISECONDS.toNanos(JUMP_THRESHOLD_MILLIS)) {
                    lastDistance = d;
                    return WakeReason.CLOCK_SET;
                }
                final long mono = System.nanoTime();
                long wait = TimeUnit.MILLISECONDS.toNanos(MAX_SLEEP_MILLIS);
                if (realtimeDeadline != NO_DEADLINE) {
                    wait = Math.min(wait, realtimeDeadline - nanos(ClockBase.REALTIME));
                }
                if (boottimeDeadline != NO_DEADLINE) {
                    wait = Math.min(wait, boottimeDeadline - mono);
                }
                if (monotonicDeadline != NO_DEADLINE) {
                    wait = Math.min(wait, monotonicDeadline - mono);
                }
                if (wait <= 0) {
                    return WakeReason.DEADLINE;
                }
                LockSupport.parkNanos(monitor, wait);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    return WakeReason.WOKEN;
                }
            }
        } finally {
            waiter = null;
        }
    }

    @Override
    public void wakeup() {
        woken = true;
        final Thread t = waiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public void close() {
        closed = true;
        wakeup();
    }
}
