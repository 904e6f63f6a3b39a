package dev.valarm.micrometer;

import io.micrometer.core.instrument.Timer;

/**
 * One instance's opt-in lateness timers ({@value ValarmMetrics#INSTANCE_LATENESS}, tagged with the
 * instance's name), from {@link ValarmMetrics#bindInstance}. Closing it removes the timers and stops
 * attributing firings of its minor to it.
 *
 * <p>Thread-safety: thread-safe; {@link #close()} is idempotent.
 */
public final class InstanceMetrics implements AutoCloseable {
    private final ValarmMetrics owner;
    private final int minor;
    private final String name;
    private final Timer[] timers;
    private boolean closed;

    InstanceMetrics(final ValarmMetrics owner, final int minor, final String name, final Timer[] timers) {
        this.owner = owner;
        this.minor = minor;
        this.name = name;
        this.timers = timers;
    }

    /**
     * The bound instance's minor.
     *
     * @return the minor
     */
    public int minor() {
        return minor;
    }

    /**
     * The bound instance's name, the value of the {@code instance} tag.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /** The timers by alarm type ordinal (read by the listener; never changed). */
    Timer[] timers() {
        return timers;
    }

    /** Removes this instance's timers from the registry. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        owner.unbind(this);
    }
}
