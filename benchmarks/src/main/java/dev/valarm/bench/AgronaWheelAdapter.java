package dev.valarm.bench;

import java.util.concurrent.TimeUnit;
import org.agrona.DeadlineTimerWheel;

/**
 * Agrona's {@code DeadlineTimerWheel}: tick 2^20 ns, 65 536 spokes (one rotation covers the deadline
 * span), the per-spoke allocation pre-sized to four times the mean occupancy (at least 16) so that its
 * global doubling happens during set-up, not measurement. Its timer id is the handle; a reschedule is
 * cancel + schedule (a new id). {@code poll} handles one spoke and at most one tick per call, so
 * {@link #expire} loops until a poll leaves the tick unchanged. Not thread-safe.
 */
final class AgronaWheelAdapter implements TimerAdapter {
    private final DeadlineTimerWheel wheel;
    private final DeadlineTimerWheel.TimerHandler handler = (unit, now, id) -> true;

    AgronaWheelAdapter(final int capacity) {
        final int mean = Math.max(1, capacity / Workloads.SPOKES);
        final int alloc = Math.max(16, Integer.highestOneBit(4 * mean - 1) << 1);
        wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, 0L, Workloads.TICK, Workloads.SPOKES, alloc);
    }

    @Override
    public long schedule(final long deadline) {
        return wheel.scheduleTimer(deadline);
    }

    @Override
    public boolean cancel(final long handle) {
        return wheel.cancelTimer(handle);
    }

    @Override
    public long reschedule(final long handle, final long deadline) {
        wheel.cancelTimer(handle);
        return wheel.scheduleTimer(deadline);
    }

    @Override
    public long hold(final long delta) {
        while (true) {
            final long t = wheel.currentTickTime();
            if (wheel.poll(t, handler, 1) == 1) {
                wheel.scheduleTimer(t + delta);
                return t;
            }
        }
    }

    @Override
    public int expire(final long now, final int limit) {
        int k = 0;
        while (true) {
            final long before = wheel.currentTickTime();
            k += wheel.poll(now, handler, limit - k);
            if (k >= limit || wheel.currentTickTime() == before) {
                return k;
            }
        }
    }

    @Override
    public int size() {
        return (int) wheel.timerCount();
    }

    @Override
    public void close() {
        wheel.clear();
    }
}
