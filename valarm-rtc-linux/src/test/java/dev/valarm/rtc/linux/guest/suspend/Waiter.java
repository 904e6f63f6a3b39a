package dev.valarm.rtc.linux.guest.suspend;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ValarmClosedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Waits on one handle in its own thread, as an alarm-dev client does ({@code ANDROID_ALARM_WAIT} in a loop,
 * which also acknowledges the previous result), and records every result with the clocks read right after it
 * returned: the guest's REALTIME, BOOTTIME and MONOTONIC, and the instance's own clock of each alarm type.
 *
 * <p>Thread-safety: thread-safe.
 */
final class Waiter implements AutoCloseable {

    /**
     * One result of the wait.
     *
     * @param events what it returned
     * @param at the guest's clocks right after
     * @param instanceClocks the instance's clock of each alarm type (indexed by {@link AlarmType#ordinal()}),
     *        in nanoseconds, right after
     */
    record Delivery(AlarmEvents events, GuestClocks.Reading at, long[] instanceClocks) {
        long instanceClock(final AlarmType type) {
            return instanceClocks[type.ordinal()];
        }
    }

    private final AlarmHandle handle;
    private final Thread thread;
    private final List<Delivery> deliveries = new ArrayList<>();

    Waiter(final String name, final AlarmHandle handle) {
        this.handle = handle;
        this.thread = new Thread(this::loop, "waiter-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (true) {
                final AlarmEvents ev = handle.await();
                final GuestClocks.Reading at = GuestClocks.Reading.now();
                final long[] clocks = new long[AlarmType.values().length];
                for (final AlarmType t : AlarmType.values()) {
                    clocks[t.ordinal()] = handle.getTime(t).toNanos();
                }
                synchronized (this) {
                    deliveries.add(new Delivery(ev, at, clocks));
                    notifyAll();
                }
            }
        } catch (final InterruptedException | ValarmClosedException e) {
            // closed
        }
    }

    /**
     * The first delivery that includes {@code type}, waiting for it at most {@code timeout}.
     *
     * @return the delivery, or null if none came in time
     */
    synchronized Delivery await(final AlarmType type, final Duration timeout) throws InterruptedException {
        final long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (final Delivery d : deliveries) {
                if (d.events().fired(type)) {
                    return d;
                }
            }
            final long left = end - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Whether any delivery so far includes {@code type}. */
    synchronized boolean delivered(final AlarmType type) {
        return deliveries.stream().anyMatch(d -> d.events().fired(type));
    }

    /** Everything delivered so far. */
    synchronized List<Delivery> all() {
        return List.copyOf(deliveries);
    }

    @Override
    public void close() {
        thread.interrupt();
        handle.close();
        try {
            thread.join(5000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
