package dev.valarm.impl;

import dev.valarm.Errno;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.internal.Device;
import dev.valarm.impl.jdk.JdkBackendProvider;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.BackendProvider;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.SuspendBlocker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: builds a {@link ValarmDevice} over given host clocks and an RTC backend, or over the
 * best platform found through {@link ServiceLoader}.
 *
 * <pre>{@code
 * try (ValarmDevice device = Valarm.openDefault()) {
 *     ValarmInstance tenant = device.createInstance();
 *     AlarmHandle alarm = tenant.open(OpenMode.READ_WRITE);
 *     Timespec now = alarm.getTime(AlarmType.ELAPSED_REALTIME_WAKEUP);
 *     alarm.set(AlarmType.ELAPSED_REALTIME_WAKEUP, now.plus(Duration.ofSeconds(1)));
 *     AlarmEvents events = alarm.await();
 * }
 * }</pre>
 *
 * <p>Thread-safety: the static methods are thread-safe; a {@link Builder} is not.
 */
public final class Valarm {
    private static final Logger LOG = LoggerFactory.getLogger(Valarm.class);

    /** The system property naming the provider to use ({@code "linux"}, {@code "jdk"}). */
    public static final String BACKEND_PROPERTY = "valarm.backend";

    private Valarm() {
    }

    /**
     * A new builder.
     *
     * @return a builder with the defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Opens a device on the best available platform: the provider named by the system property
     * {@value #BACKEND_PROPERTY} if set, else the usable provider with the highest priority (the Linux
     * backend where it loads, else the portable JDK one), with that provider's RTC backend and suspend
     * blocker ({@link BackendProvider#openSuspendBlocker}). Needs no root.
     *
     * <p>Within the provider, its RTC backend is the one it was told to use (for Linux, the system
     * property {@code valarm.rtc.backend}), else the best one it finds. Only automatic choices fall back:
     * an unusable provider to the next, a provider without a usable RTC backend to the portable no-wake
     * backend, each with a log line saying why. An explicit choice that cannot be honoured is an
     * {@link RtcException} naming the choice and the reason, logged at ERROR.
     *
     * @return a running device
     * @throws RtcException if the named provider does not exist or cannot open, if an explicitly chosen
     *         RTC backend cannot be opened (or its provider is not usable here), or if a suspend blocker
     *         named through the provider's system property cannot work here
     */
    public static ValarmDevice openDefault() {
        return openDefault(b -> { });
    }

    /**
     * Opens a device on the best available platform, as {@link #openDefault()}, with extra builder settings
     * (a listener, limits, an executor).
     *
     * @param customizer adjusts the builder, which already has the platform's clocks and RTC backend
     * @return a running device
     * @throws RtcException as {@link #openDefault()}
     */
    public static ValarmDevice openDefault(final java.util.function.Consumer<Builder> customizer) {
        Objects.requireNonNull(customizer, "customizer");
        final BackendProvider provider = selectProvider();
        final HostClocks clocks = provider.openHostClocks();
        final RtcBackend rtc;
        final SuspendBlocker blocker;
        try {
            rtc = openRtc(provider);
        } catch (final RuntimeException e) {
            clocks.close();
            throw e;
        }
        try {
            blocker = provider.openSuspendBlocker(null);
        } catch (final RuntimeException e) {
            rtc.close();
            clocks.close();
            throw e;
        }
        final Builder b = builder().hostClocks(clocks).rtcBackend(rtc).suspendBlocker(blocker);
        try {
            customizer.accept(b);
            return b.build();
        } catch (final RuntimeException e) {
            rtc.close();
            clocks.close();
            blocker.close();
            throw e;
        }
    }

    /**
     * Opens the provider's RTC backend. Only an automatic choice falls back (to the portable no-wake
     * backend, with a warning saying why); an explicit one that fails is an error, logged.
     */
    private static RtcBackend openRtc(final BackendProvider provider) {
        final Optional<String> choice = provider.rtcBackendChoice();
        try {
            return provider.openRtcBackend(null);
        } catch (final RtcException | IllegalArgumentException e) {
            if (choice.isPresent()) {
                final int errno = e instanceof RtcException ? ((RtcException) e).errno() : Errno.EINVAL;
                final RtcException failure = new RtcException(errno, "open RTC backend " + choice.get(),
                        "provider " + provider.name() + " cannot open the RTC backend chosen explicitly, and an"
                                + " explicit choice does not fall back: " + e.getMessage(), e);
                LOG.error("{}", failure.getMessage());
                throw failure;
            }
            LOG.warn("provider {} has no usable RTC backend ({}); using the portable no-wake backend: wakeup"
                    + " alarms fire only while the machine is awake", provider.name(), e.getMessage());
            return new JdkBackendProvider().openRtcBackend(null);
        }
    }

    /**
     * The provider {@link #openDefault()} would use now, chosen the same way (and failing the same way);
     * nothing is opened. For diagnostics such as {@code ./valarm probe}.
     *
     * @return the provider named by {@value #BACKEND_PROPERTY}, else the usable one with the highest
     *         priority
     * @throws RtcException if the named provider does not exist, or an RTC backend was chosen explicitly
     *         for a provider that is not usable here
     */
    public static BackendProvider defaultProvider() {
        return selectProvider();
    }

    /**
     * The providers found through {@link ServiceLoader}, highest priority first.
     *
     * @return the providers
     */
    public static List<BackendProvider> providers() {
        final List<BackendProvider> list = new ArrayList<>();
        for (final BackendProvider p : ServiceLoader.load(BackendProvider.class, Valarm.class.getClassLoader())) {
            list.add(p);
        }
        if (list.stream().noneMatch(p -> p instanceof JdkBackendProvider)) {
            list.add(new JdkBackendProvider());
        }
        list.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
        return List.copyOf(list);
    }

    /**
     * Probes every backend of every provider on this machine.
     *
     * @return one entry per backend, usable or not, with the reason
     */
    public static List<BackendProbe> probe() {
        final List<BackendProbe> all = new ArrayList<>();
        for (final BackendProvider p : providers()) {
            try {
                all.addAll(p.probe());
            } catch (final RuntimeException | LinkageError e) {
                all.add(new BackendProbe(p.name(), "*", false, false, "probe failed: " + e));
            }
        }
        return List.copyOf(all);
    }

    /**
     * The provider named by {@value #BACKEND_PROPERTY}, else the first usable one. An automatic choice
     * moves past an unusable provider with a log line naming the reasons, unless that provider was told
     * explicitly which RTC backend to use: then the choice cannot be honoured, which is an error.
     */
    private static BackendProvider selectProvider() {
        final String wanted = System.getProperty(BACKEND_PROPERTY);
        final List<BackendProvider> providers = providers();
        if (wanted != null && !wanted.isBlank()) {
            for (final BackendProvider p : providers) {
                if (p.name().equals(wanted.trim())) {
                    return p;
                }
            }
            final RtcException failure = new RtcException(Errno.ENOENT, "select backend provider",
                    "no provider named \"" + wanted + "\" (system property " + BACKEND_PROPERTY + "); have "
                            + providers.stream().map(BackendProvider::name).toList());
            LOG.error("{}", failure.getMessage());
            throw failure;
        }
        for (final BackendProvider p : providers) {
            String reasons;
            try {
                final List<BackendProbe> probes = p.probe();
                if (probes.stream().anyMatch(BackendProbe::usable)) {
                    return p;
                }
                reasons = probes.stream().map(b -> b.backend() + ": " + b.reason()).collect(Collectors.joining("; "));
            } catch (final RuntimeException | LinkageError e) {
                reasons = "probe failed: " + e;
            }
            final Optional<String> choice = p.rtcBackendChoice();
            if (choice.isPresent()) {
                final RtcException failure = new RtcException(Errno.ENODEV, "select backend provider",
                        "the RTC backend " + choice.get() + " was chosen explicitly, but its provider " + p.name()
                                + " is not usable here (" + reasons + "); an explicit choice does not fall back");
                LOG.error("{}", failure.getMessage());
                throw failure;
            }
            LOG.info("backend provider {} is not usable here ({}); trying the next", p.name(), reasons);
        }
        return new JdkBackendProvider();
    }

    /**
     * Builds a {@link ValarmDevice}. Not thread-safe.
     */
    public static final class Builder {
        private HostClocks hostClocks;
        private RtcBackend rtcBackend;
        private SuspendBlocker suspendBlocker = SuspendBlocker.none();
        private Executor callbackExecutor = ForkJoinPool.commonPool();
        private int maxInstances = 1 << 20;
        private int maxWaitersPerInstance = 64;
        private Duration lateThreshold = Duration.ofSeconds(1);
        private String threadName = "valarm-dispatcher";
        private DeviceListener listener = DeviceListener.NONE;

        private Builder() {
        }

        /**
         * The host clocks (required). The device owns them and closes them on close.
         *
         * @param clocks the clocks, not null
         * @return this builder
         */
        public Builder hostClocks(final HostClocks clocks) {
            this.hostClocks = Objects.requireNonNull(clocks, "clocks");
            return this;
        }

        /**
         * The RTC backend (required). The device owns it and closes it on close.
         *
         * @param rtc the backend, not null
         * @return this builder
         */
        public Builder rtcBackend(final RtcBackend rtc) {
            this.rtcBackend = Objects.requireNonNull(rtc, "rtc");
            return this;
        }

        /**
         * The suspend blocker (default: none). The device owns it and closes it on close.
         *
         * @param blocker the blocker, not null
         * @return this builder
         */
        public Builder suspendBlocker(final SuspendBlocker blocker) {
            this.suspendBlocker = Objects.requireNonNull(blocker, "blocker");
            return this;
        }

        /**
         * Where asynchronous waits complete (default: the common fork-join pool). The device's delivery
         * thread calls {@code execute}, never the dispatcher and never under the device lock, so any
         * executor is safe, {@code Runnable::run} included (callbacks then run on the delivery thread, one
         * at a time, and a blocked callback delays later completions and listener calls, not firing). An
         * executor that rejects a completion fails that future with the rejection; the events it would have
         * taken stay pending on the instance.
         *
         * @param executor the executor, not null
         * @return this builder
         */
        public Builder callbackExecutor(final Executor executor) {
            this.callbackExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * The most instances the device holds (default 2^20).
         *
         * @param max in [1, 2^20]
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxInstances(final int max) {
            if (max < 1 || max > (1 << 20)) {
                throw new IllegalArgumentException("maxInstances must be in [1, 1048576]: " + max);
            }
            this.maxInstances = max;
            return this;
        }

        /**
         * The most concurrent waiters (blocking and asynchronous) per instance (default 64).
         *
         * @param max in [1, 65536]
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxWaitersPerInstance(final int max) {
            if (max < 1 || max > 65536) {
                throw new IllegalArgumentException("maxWaitersPerInstance must be in [1, 65536]: " + max);
            }
            this.maxWaitersPerInstance = max;
            return this;
        }

        /**
         * How late a firing must be to count in {@link dev.valarm.DeviceStats#lateDeliveries()} (default 1 s).
         *
         * @param threshold not negative
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder lateThreshold(final Duration threshold) {
            Objects.requireNonNull(threshold, "threshold");
            if (threshold.isNegative()) {
                throw new IllegalArgumentException("lateThreshold must not be negative: " + dev.valarm.TimeFormat.duration(threshold));
            }
            this.lateThreshold = threshold;
            return this;
        }

        /**
         * The dispatcher thread's name (default {@code "valarm-dispatcher"}); the delivery thread, which runs
         * listener calls and hands completions to the callback executor, gets this name plus
         * {@code "-delivery"}.
         *
         * @param name not null, not blank
         * @return this builder
         * @throws IllegalArgumentException if blank
         */
        public Builder threadName(final String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("threadName must not be blank: \"" + name + "\"");
            }
            this.threadName = name;
            return this;
        }

        /**
         * Observes firings and hardware decisions (default: none), on the device's delivery thread, never
         * under the device lock (see {@link DeviceListener}).
         *
         * @param listener the listener, not null
         * @return this builder
         */
        public Builder listener(final DeviceListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Builds the device and starts its dispatcher.
         *
         * @return a running device
         * @throws IllegalStateException if the host clocks or the RTC backend are missing
         */
        public ValarmDevice build() {
            if (hostClocks == null) {
                throw new IllegalStateException("hostClocks must be set");
            }
            if (rtcBackend == null) {
                throw new IllegalStateException("rtcBackend must be set");
            }
            return new Device(hostClocks, rtcBackend, suspendBlocker, callbackExecutor, maxInstances,
                    maxWaitersPerInstance, lateThreshold, threadName, listener);
        }
    }
}
