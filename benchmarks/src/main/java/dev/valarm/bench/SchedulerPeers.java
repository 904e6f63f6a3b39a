package dev.valarm.bench;

import dev.valarm.ValarmDevice;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.jdk.JdkHostClocks;
import dev.valarm.impl.jdk.NoWakeRtcBackend;
import dev.valarm.impl.schedule.InstanceScheduler;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.TimerTask;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The three task schedulers of the scheduler benchmarks behind one small interface, each through its
 * public API on the real clock:
 * <ul>
 * <li>{@code valarm}: {@link InstanceScheduler} on one instance of a device on the portable JDK backend
 * (real clocks, no hardware wake alarm), one own thread, delays on {@code ELAPSED_REALTIME};</li>
 * <li>{@code stpe}: {@link ScheduledThreadPoolExecutor} with one thread and
 * {@code setRemoveOnCancelPolicy(true)} (the scheduler's policy);</li>
 * <li>{@code nettyHwt}: Netty 4.1 {@code HashedWheelTimer}, tick 1 ms, 65 536 spokes, its own worker
 * thread; a periodic task re-arms itself with {@code newTimeout} (the wheel has no periodic timeouts).</li>
 * </ul>
 * Not thread-safe (the benchmark thread drives it; the schedulers themselves are).
 */
final class SchedulerPeers {
    private SchedulerPeers() {
    }

    /** A task every peer takes as it is (a {@code Runnable} and a Netty {@code TimerTask}): no wrapper. */
    abstract static class Task implements Runnable, TimerTask {
        @Override
        public final void run(final Timeout timeout) {
            run();
        }
    }

    /** One scheduler under measurement. */
    interface Peer extends AutoCloseable {
        /**
         * Schedules {@code task} once, {@code delayNanos} ahead.
         *
         * @return what {@link #cancel} takes
         */
        Object schedule(Task task, long delayNanos);

        /**
         * Cancels what {@link #schedule} returned.
         *
         * @return whether it was cancelled
         */
        boolean cancel(Object handle);

        /** Runs {@code task} every {@code periodNanos} until closed. */
        void scheduleRepeating(Task task, long periodNanos);

        /** Tasks waiting for their time. */
        int queued();

        @Override
        void close();
    }

    /**
     * Creates a peer.
     *
     * @param name {@code valarm}, {@code stpe} or {@code nettyHwt}
     * @param capacity the most tasks it will hold
     * @return the running peer
     */
    static Peer create(final String name, final int capacity) {
        switch (name) {
            case "valarm":
                return new ValarmPeer(capacity);
            case "stpe":
                return new StpePeer();
            case "nettyHwt":
                return new NettyPeer();
            default:
                throw new IllegalArgumentException("unknown scheduler: " + name + " (valarm, stpe, nettyHwt)");
        }
    }

    /** {@link InstanceScheduler} on a device over the JDK's real clocks. */
    private static final class ValarmPeer implements Peer {
        private final ValarmDevice device;
        private final InstanceScheduler scheduler;

        ValarmPeer(final int capacity) {
            final JdkHostClocks clocks = new JdkHostClocks();
            device = Valarm.builder().hostClocks(clocks).rtcBackend(new NoWakeRtcBackend(clocks)).build();
            scheduler = InstanceScheduler.builder(device.createInstance()).maxQueuedTasks(Math.max(capacity, 1)).build();
        }

        @Override
        public Object schedule(final Task task, final long delayNanos) {
            return scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public boolean cancel(final Object handle) {
            return ((ScheduledFuture<?>) handle).cancel(false);
        }

        @Override
        public void scheduleRepeating(final Task task, final long periodNanos) {
            scheduler.scheduleAtFixedRate(task, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public int queued() {
            return scheduler.queuedTasks();
        }

        @Override
        public void close() {
            scheduler.shutdownNow();
            device.close();
        }
    }

    /** {@link ScheduledThreadPoolExecutor}, one thread, remove-on-cancel. */
    private static final class StpePeer implements Peer {
        private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);

        StpePeer() {
            executor.setRemoveOnCancelPolicy(true);
        }

        @Override
        public Object schedule(final Task task, final long delayNanos) {
            return executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public boolean cancel(final Object handle) {
            return ((ScheduledFuture<?>) handle).cancel(false);
        }

        @Override
        public void scheduleRepeating(final Task task, final long periodNanos) {
            executor.scheduleAtFixedRate(task, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public int queued() {
            return executor.getQueue().size();
        }

        @Override
        public void close() {
            executor.shutdownNow();
        }
    }

    /** Netty's {@code HashedWheelTimer}. */
    private static final class NettyPeer implements Peer {
        private final HashedWheelTimer timer;

        NettyPeer() {
            timer = new HashedWheelTimer(r -> {
                final Thread t = new Thread(r, "hwt-worker");
                t.setDaemon(true);
                return t;
            }, 1, TimeUnit.MILLISECONDS, Workloads.SPOKES);
            timer.start();
        }

        @Override
        public Object schedule(final Task task, final long delayNanos) {
            return timer.newTimeout(task, delayNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public boolean cancel(final Object handle) {
            return ((Timeout) handle).cancel();
        }

        @Override
        public void scheduleRepeating(final Task task, final long periodNanos) {
            final TimerTask again = new TimerTask() {
                @Override
                public void run(final Timeout timeout) {
                    task.run();
                    timer.newTimeout(this, periodNanos, TimeUnit.NANOSECONDS);
                }
            };
            timer.newTimeout(again, periodNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public int queued() {
            return (int) timer.pendingTimeouts();
        }

        @Override
        public void close() {
            timer.stop();
        }
    }
}
