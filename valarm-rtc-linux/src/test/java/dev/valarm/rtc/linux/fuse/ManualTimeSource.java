package dev.valarm.rtc.linux.fuse;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A time source that moves only when a test moves it; moving it makes the chips it drives re-evaluate
 * their alarm at once.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class ManualTimeSource implements RtcTimeSource {
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private long nanos;

    /**
     * Creates the source.
     *
     * @param start the initial time, not null
     */
    public ManualTimeSource(final Instant start) {
        Objects.requireNonNull(start, "start");
        this.nanos = start.getEpochSecond() * 1_000_000_000L + start.getNano();
    }

    @Override
    public long nowNanos() {
        synchronized (lock) {
            return nanos;
        }
    }

    @Override
    public boolean runsByItself() {
        return false;
    }

    @Override
    public void addChangeListener(final Runnable listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Moves the time by a (possibly negative) amount and tells the listeners.
     *
     * @param amount how far to move, not null
     */
    public void advance(final Duration amount) {
        Objects.requireNonNull(amount, "amount");
        synchronized (lock) {
            nanos += amount.toNanos();
        }
        listeners.forEach(Runnable::run);
    }

    @Override
    public String toString() {
        return "manual(" + Instant.ofEpochSecond(0, nowNanos()) + ")";
    }
}
