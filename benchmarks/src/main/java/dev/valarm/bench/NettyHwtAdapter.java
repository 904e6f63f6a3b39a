package dev.valarm.bench;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.TimerTask;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;

/**
 * Netty's {@code HashedWheelTimer}, caller side: {@code newTimeout} (an object plus an MPSC enqueue) and
 * {@code cancel} (a CAS plus an enqueue). Its worker thread (tick 1 ms, 65 536 spokes) moves timeouts
 * into buckets and processes cancellations; that CPU time is not in the caller's ns/op, so
 * {@link #workerCpuNanos()} exposes it. The virtual deadline becomes a real delay of at least two minutes
 * ({@link Workloads#delayOf}), so nothing fires. Runs replace and reschedule only. Not thread-safe
 * (the caller side; the timer itself is).
 */
final class NettyHwtAdapter implements TimerAdapter {
    private static final TimerTask TASK = timeout -> { };
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final HashedWheelTimer timer;
    private volatile Thread worker;
    private final Timeout[] timeouts;
    private final Slots slots;

    NettyHwtAdapter(final int capacity) {
        timer = new HashedWheelTimer(r -> {
            final Thread t = new Thread(r, "hwt-worker");
            t.setDaemon(true);
            worker = t;
            return t;
        }, 1, TimeUnit.MILLISECONDS, Workloads.SPOKES);
        timer.start();
        timeouts = new Timeout[capacity];
        slots = new Slots(capacity);
    }

    /**
     * CPU time consumed so far by the timer's worker thread.
     *
     * @return nanoseconds, or -1 if unknown
     */
    long workerCpuNanos() {
        final Thread t = worker;
        return t == null ? -1 : THREADS.getThreadCpuTime(t.getId());
    }

    @Override
    public long schedule(final long deadline) {
        final int slot = slots.take();
        timeouts[slot] = timer.newTimeout(TASK, Workloads.delayOf(deadline), TimeUnit.NANOSECONDS);
        return slot;
    }

    @Override
    public boolean cancel(final long handle) {
        final int slot = (int) handle;
        final boolean cancelled = timeouts[slot].cancel();
        timeouts[slot] = null;
        slots.give(slot);
        return cancelled;
    }

    @Override
    public long reschedule(final long handle, final long deadline) {
        final int slot = (int) handle;
        timeouts[slot].cancel();
        timeouts[slot] = timer.newTimeout(TASK, Workloads.delayOf(deadline), TimeUnit.NANOSECONDS);
        return handle;
    }

    @Override
    public long hold(final long delta) {
        throw new UnsupportedOperationException("nettyHwt: real clock only");
    }

    @Override
    public int expire(final long now, final int limit) {
        throw new UnsupportedOperationException("nettyHwt: real clock only");
    }

    @Override
    public int size() {
        return (int) timer.pendingTimeouts();
    }

    @Override
    public void close() {
        timer.stop();
    }
}
