package dev.valarm.micrometer;

import dev.valarm.AlarmType;
import dev.valarm.DeviceStats;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.DeviceListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Binds one valarm device to one Micrometer {@link MeterRegistry}: the device's counters
 * ({@link DeviceStats}) as gauges and function counters, the lateness of every firing as a {@link Timer}
 * per alarm type, and the hardware wake-alarm decisions as counters.
 *
 * <pre>{@code
 * import dev.valarm.InstanceConfig;
 * import dev.valarm.ValarmDevice;
 * import dev.valarm.ValarmInstance;
 * import dev.valarm.impl.Valarm;
 * import dev.valarm.micrometer.InstanceMetrics;
 * import dev.valarm.micrometer.ValarmMetrics;
 * import io.micrometer.core.instrument.MeterRegistry;
 *
 * ValarmMetrics metrics = ValarmMetrics.builder(registry).tag("device", "edge-1").build();
 * try (ValarmDevice device = Valarm.openDefault(b -> b.listener(metrics.listener()))) {
 *     metrics.bind(device);                                 // the DeviceStats meters
 *     ValarmInstance tenant = device.createInstance(InstanceConfig.builder().name("tenant-a").build());
 *     try (InstanceMetrics perTenant = metrics.bindInstance(tenant)) {   // opt-in: an instance tag
 *         // ...
 *     }
 * }
 * }</pre>
 * (Compiled and run as {@code ValarmMetricsTest#theClassExampleWorks} in this module's tests.)
 *
 * <h2>Meters</h2>
 * Every meter carries the common tags given to the {@link Builder}. The instance name is a tag only on
 * the per-instance timers of instances bound with {@link #bindInstance} (an instance per tenant or
 * container can mean thousands of series, so it is opt-in, instance by instance).
 * <table class="striped">
 * <caption>Meter names, types and tags</caption>
 * <thead><tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr></thead>
 * <tbody>
 * <tr><td>{@value #INSTANCES}</td><td>gauge</td><td></td><td>live instances</td></tr>
 * <tr><td>{@value #ALARMS_ARMED}</td><td>gauge</td><td></td><td>alarms armed over all instances</td></tr>
 * <tr><td>{@value #ALARMS_SET}</td><td>function counter</td><td></td><td>SET calls accepted</td></tr>
 * <tr><td>{@value #ALARMS_FIRED}</td><td>function counter</td><td></td><td>alarms fired</td></tr>
 * <tr><td>{@value #ALARMS_LATE}</td><td>function counter</td><td></td><td>alarms fired later than the
 *     device's lateness threshold ({@code Valarm.Builder#lateThreshold})</td></tr>
 * <tr><td>{@value #LATENESS}</td><td>timer</td><td>{@code type} (the {@link AlarmType} name)</td><td>how
 *     late each alarm fired after the time it was set for (for an alarm with a tolerance window, after
 *     the window's start)</td></tr>
 * <tr><td>{@value #INSTANCE_LATENESS}</td><td>timer</td><td>{@code instance} (its name), {@code type}</td>
 *     <td>the same, for each instance bound with {@link #bindInstance} only</td></tr>
 * <tr><td>{@value #HARDWARE_WRITES}</td><td>function counter</td><td></td><td>wake alarms programmed into
 *     the RTC backend</td></tr>
 * <tr><td>{@value #HARDWARE_CANCELS}</td><td>function counter</td><td></td><td>wake alarms cancelled in the
 *     RTC backend</td></tr>
 * <tr><td>{@value #HARDWARE_WAKES}</td><td>function counter</td><td></td><td>wake alarms the backend
 *     reported firing</td></tr>
 * <tr><td>{@value #HARDWARE_DECISIONS}</td><td>counter</td><td>{@code decision} ({@code program},
 *     {@code keep}, {@code cancel}), {@code written} ({@code true}, {@code false})</td><td>every decision
 *     about the hardware wake alarm; {@code written=false} for a kept alarm and on a backend that cannot
 *     wake the machine (decided, reported, never written)</td></tr>
 * <tr><td>{@value #MISSED_INTERRUPTS}</td><td>function counter</td><td></td><td>programmed wake alarms
 *     whose interrupt never came ({@link DeviceStats#missedWakeInterrupts()})</td></tr>
 * <tr><td>{@value #BACKEND_FAULTS}</td><td>function counter</td><td></td><td>backend calls that
 *     failed</td></tr>
 * <tr><td>{@value #BACKEND_RETRIES}</td><td>function counter</td><td></td><td>backend calls retried after
 *     a failure</td></tr>
 * <tr><td>{@value #CLOCK_CHANGES}</td><td>function counter</td><td></td><td>host clock changes seen</td></tr>
 * </tbody>
 * </table>
 *
 * <p><b>Cost.</b> The {@link #listener() listener} records a firing into two preregistered timers at most
 * (the type's and, if bound, the instance's) and a decision into one preregistered counter: no lookup by
 * name, no allocation, no lock of its own, nothing that blocks beyond the meters' own recording (lock-free
 * in Micrometer's registries). So it honours {@link DeviceListener}'s contract (fast, non-blocking, never
 * calls the device, never throws) wherever the device calls it. The {@link DeviceStats} meters read
 * {@link ValarmDevice#stats()} when the registry publishes (a short hold of the device's lock each).
 *
 * <p>Thread-safety: thread-safe. The listener may be called from any thread.
 */
public final class ValarmMetrics implements AutoCloseable {
    /** Gauge: live instances. */
    public static final String INSTANCES = "valarm.instances";
    /** Gauge: alarms armed over all instances. */
    public static final String ALARMS_ARMED = "valarm.alarms.armed";
    /** Function counter: SET calls accepted. */
    public static final String ALARMS_SET = "valarm.alarms.set";
    /** Function counter: alarms fired. */
    public static final String ALARMS_FIRED = "valarm.alarms.fired";
    /** Function counter: alarms fired later than the device's lateness threshold. */
    public static final String ALARMS_LATE = "valarm.alarms.late";
    /** Timer, tag {@code type}: how late alarms fired. */
    public static final String LATENESS = "valarm.alarm.lateness";
    /** Timer, tags {@code instance} and {@code type}: how late a bound instance's alarms fired. */
    public static final String INSTANCE_LATENESS = "valarm.instance.alarm.lateness";
    /** Function counter: wake alarms written to the RTC backend. */
    public static final String HARDWARE_WRITES = "valarm.hardware.writes";
    /** Function counter: wake alarms cancelled in the RTC backend. */
    public static final String HARDWARE_CANCELS = "valarm.hardware.cancels";
    /** Function counter: wake alarms the backend reported firing. */
    public static final String HARDWARE_WAKES = "valarm.hardware.wakes";
    /** Counter, tags {@code decision} and {@code written}: decisions about the hardware wake alarm. */
    public static final String HARDWARE_DECISIONS = "valarm.hardware.decisions";
    /** Function counter: programmed wake alarms whose interrupt never came. */
    public static final String MISSED_INTERRUPTS = "valarm.hardware.missed.interrupts";
    /** Function counter: backend calls that failed. */
    public static final String BACKEND_FAULTS = "valarm.backend.faults";
    /** Function counter: backend calls retried after a failure. */
    public static final String BACKEND_RETRIES = "valarm.backend.retries";
    /** Function counter: host clock changes seen. */
    public static final String CLOCK_CHANGES = "valarm.clock.changes";

    private static final AlarmType[] TYPES = AlarmType.values();
    private static final InstanceMetrics[] NO_INSTANCES = new InstanceMetrics[0];

    private final MeterRegistry registry;
    private final Tags tags;
    private final boolean histogram;
    private final Timer[] lateness = new Timer[TYPES.length];
    private final Counter programWritten;
    private final Counter programDecided;
    private final Counter keep;
    private final Counter cancelWritten;
    private final Counter cancelDecided;
    private final Listener listener = new Listener();
    /** Every meter this binding registered (per-instance ones live in their {@link InstanceMetrics}). */
    private final List<Meter> meters = new ArrayList<>();
    /** Bound instances by minor; replaced, never changed, under {@code this}. */
    private volatile InstanceMetrics[] byMinor = NO_INSTANCES;
    private ValarmDevice device;
    private boolean closed;

    private ValarmMetrics(final Builder b) {
        this.registry = b.registry;
        this.tags = b.tags;
        this.histogram = b.histogram;
        for (final AlarmType t : TYPES) {
            lateness[t.ordinal()] = register(latenessTimer(LATENESS, Tags.of("type", t.name())));
        }
        programWritten = register(decisions("program", true));
        programDecided = register(decisions("program", false));
        keep = register(decisions("keep", false));
        cancelWritten = register(decisions("cancel", true));
        cancelDecided = register(decisions("cancel", false));
    }

    /**
     * A builder for a binding to {@code registry}.
     *
     * @param registry where the meters go, not null
     * @return a builder with no common tags and no histogram
     */
    public static Builder builder(final MeterRegistry registry) {
        return new Builder(registry);
    }

    /**
     * The listener to give the device's builder ({@code Valarm.Builder#listener}); the timers and the
     * decision counters count from then on. It is the same object on every call.
     *
     * @return the listener
     */
    public DeviceListener listener() {
        return listener;
    }

    /**
     * Registers the {@link DeviceStats} meters of {@code device} (once per binding): the device whose
     * builder was given {@link #listener()}.
     *
     * @param device the device, not null
     * @return this binding
     * @throws IllegalStateException if a device is already bound, or this binding is closed
     */
    public synchronized ValarmMetrics bind(final ValarmDevice device) {
        Objects.requireNonNull(device, "device");
        checkOpen();
        if (this.device != null) {
            throw new IllegalStateException("a device is already bound: " + this.device.describe());
        }
        this.device = device;
        gauge(INSTANCES, device, d -> d.stats().instances(), "live instances");
        gauge(ALARMS_ARMED, device, d -> d.stats().armedAlarms(), "alarms armed over all instances");
        counter(ALARMS_SET, device, d -> d.stats().alarmsSet(), "SET calls accepted");
        counter(ALARMS_FIRED, device, d -> d.stats().alarmsFired(), "alarms fired");
        counter(ALARMS_LATE, device, d -> d.stats().lateDeliveries(), "alarms fired later than the lateness threshold");
        counter(HARDWARE_WRITES, device, d -> d.stats().hardwareWrites(), "wake alarms written to the RTC backend");
        counter(HARDWARE_CANCELS, device, d -> d.stats().hardwareCancels(), "wake alarms cancelled in the RTC backend");
        counter(HARDWARE_WAKES, device, d -> d.stats().hardwareWakes(), "wake alarms the backend reported firing");
        counter(MISSED_INTERRUPTS, device, d -> d.stats().missedWakeInterrupts(),
                "programmed wake alarms whose interrupt never came");
        counter(BACKEND_FAULTS, device, d -> d.stats().backendFaults(), "backend calls that failed");
        counter(BACKEND_RETRIES, device, d -> d.stats().backendRetries(), "backend calls retried after a failure");
        counter(CLOCK_CHANGES, device, d -> d.stats().clockChanges(), "host clock changes seen");
        return this;
    }

    /**
     * Opts one instance in to its own lateness timers ({@value #INSTANCE_LATENESS}, tagged with its name
     * and the type). Close the returned binding when the instance is destroyed, before its minor can be
     * reused: the listener knows instances only by minor.
     *
     * @param instance an instance of the device this binding observes, not null
     * @return the per-instance binding; closing it removes its timers
     * @throws IllegalStateException if the instance's minor is already bound, or this binding is closed
     */
    public synchronized InstanceMetrics bindInstance(final ValarmInstance instance) {
        Objects.requireNonNull(instance, "instance");
        checkOpen();
        final int minor = instance.minor();
        final InstanceMetrics[] now = byMinor;
        if (minor < now.length && now[minor] != null) {
            throw new IllegalStateException("minor " + minor + " is already bound (as instance \""
                    + now[minor].name() + "\"); close that binding first");
        }
        final Timer[] timers = new Timer[TYPES.length];
        for (final AlarmType t : TYPES) {
            timers[t.ordinal()] = latenessTimer(INSTANCE_LATENESS, Tags.of("instance", instance.name(), "type", t.name()));
        }
        final InstanceMetrics m = new InstanceMetrics(this, minor, instance.name(), timers);
        final InstanceMetrics[] next = Arrays.copyOf(now, Math.max(now.length, minor + 1));
        next[minor] = m;
        byMinor = next;
        return m;
    }

    /** Removes a per-instance binding (from {@link InstanceMetrics#close()}). */
    synchronized void unbind(final InstanceMetrics m) {
        final InstanceMetrics[] now = byMinor;
        if (m.minor() < now.length && now[m.minor()] == m) {
            final InstanceMetrics[] next = now.clone();
            next[m.minor()] = null;
            byMinor = next;
        }
        for (final Timer t : m.timers()) {
            registry.remove(t);
        }
    }

    /**
     * Removes every meter of this binding (and of its bound instances) from the registry. The listener
     * keeps working but its meters are no longer published. Idempotent.
     */
    @Override
    public void close() {
        final InstanceMetrics[] bound;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            bound = byMinor;
            for (final Meter m : meters) {
                registry.remove(m);
            }
            meters.clear();
        }
        for (final InstanceMetrics m : bound) {
            if (m != null) {
                m.close();
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this ValarmMetrics binding is closed");
        }
    }

    private Timer latenessTimer(final String name, final Tags extra) {
        return Timer.builder(name).tags(tags).tags(extra).publishPercentileHistogram(histogram)
                .description("how late alarms fired after the time they were set for").register(registry);
    }

    private Counter decisions(final String decision, final boolean written) {
        return Counter.builder(HARDWARE_DECISIONS).tags(tags).tag("decision", decision)
                .tag("written", Boolean.toString(written)).description("decisions about the hardware wake alarm")
                .register(registry);
    }

    private void gauge(final String name, final ValarmDevice d, final ToDoubleFunction<ValarmDevice> f,
            final String description) {
        register(Gauge.builder(name, d, f).tags(tags).description(description).register(registry));
    }

    private void counter(final String name, final ValarmDevice d, final ToDoubleFunction<ValarmDevice> f,
            final String description) {
        register(FunctionCounter.builder(name, d, f).tags(tags).description(description).register(registry));
    }

    private <M extends Meter> M register(final M meter) {
        meters.add(meter);
        return meter;
    }

    /** The device listener: records into preregistered meters only. */
    private final class Listener implements DeviceListener {
        @Override
        public void alarmFired(final int minor, final AlarmType type, final long hostDeadlineNanos,
                final long hostNowNanos) {
            final long late = hostNowNanos > hostDeadlineNanos ? hostNowNanos - hostDeadlineNanos : 0L;
            final long nanos = late < 0 ? Long.MAX_VALUE : late; // a difference past the long range
            final int t = type.ordinal();
            lateness[t].record(nanos, TimeUnit.NANOSECONDS);
            final InstanceMetrics[] bound = byMinor;
            if (minor >= 0 && minor < bound.length) {
                final InstanceMetrics m = bound[minor];
                if (m != null) {
                    m.timers()[t].record(nanos, TimeUnit.NANOSECONDS);
                }
            }
        }

        @Override
        public void hardwareProgrammed(final Timespec rtcTime, final boolean clamped,
                final long remainingNanos, final boolean written) {
            (written ? programWritten : programDecided).increment();
        }

        @Override
        public void hardwareUnchanged(final Timespec rtcTime) {
            keep.increment();
        }

        @Override
        public void hardwareCancelled(final boolean written) {
            (written ? cancelWritten : cancelDecided).increment();
        }
    }

    /** Builds a {@link ValarmMetrics}. Not thread-safe. */
    public static final class Builder {
        private final MeterRegistry registry;
        private Tags tags = Tags.empty();
        private boolean histogram;

        private Builder(final MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /**
         * Adds a tag to every meter, such as the device's or the host's name.
         *
         * @param key the tag key, not null
         * @param value the tag value, not null
         * @return this builder
         */
        public Builder tag(final String key, final String value) {
            tags = tags.and(Tag.of(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value")));
            return this;
        }

        /**
         * Adds tags to every meter.
         *
         * @param extra the tags, not null
         * @return this builder
         */
        public Builder tags(final Iterable<Tag> extra) {
            tags = tags.and(Objects.requireNonNull(extra, "extra"));
            return this;
        }

        /**
         * Whether the lateness timers publish a percentile histogram (buckets for server-side percentiles,
         * such as Prometheus' {@code histogram_quantile}); default false: count, total and max only.
         *
         * @param publish whether to publish it
         * @return this builder
         */
        public Builder latenessHistogram(final boolean publish) {
            this.histogram = publish;
            return this;
        }

        /**
         * Registers the listener-fed meters (the lateness timers and the decision counters) and returns the
         * binding; the {@link DeviceStats} meters follow with {@link ValarmMetrics#bind}.
         *
         * @return the binding
         */
        public ValarmMetrics build() {
            return new ValarmMetrics(this);
        }
    }
}
