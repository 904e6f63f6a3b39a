package dev.valarm;

import java.time.Duration;
import java.util.Objects;

/**
 * How to create an instance: its minor number, its name and its clock offsets.
 *
 * <p>Every clock an instance sees is the host clock plus an offset: the wall-clock offset can later be
 * changed through {@link AlarmHandle#setRtc(Timespec)}; the boot-time and monotonic offsets are fixed at
 * creation (the rule Linux time namespaces use) so that those clocks never jump.
 *
 * <p>Offsets may be any duration here; the device checks them when it creates the instance: the host's
 * clock plus each offset must be inside the clock range ({@link ClockRangeException}).
 *
 * <p>Thread-safety: immutable; the builder is not thread-safe.
 */
public final class InstanceConfig {
    /** The minor value that asks the device to pick the lowest free minor. */
    public static final int ANY_MINOR = -1;

    private static final InstanceConfig DEFAULTS = builder().build();

    private final int minor;
    private final String name;
    private final Duration wallClockOffset;
    private final Duration boottimeOffset;
    private final Duration monotonicOffset;

    private InstanceConfig(final Builder b) {
        this.minor = b.minor;
        this.name = b.name;
        this.wallClockOffset = b.wallClockOffset;
        this.boottimeOffset = b.boottimeOffset;
        this.monotonicOffset = b.monotonicOffset;
    }

    /**
     * The default configuration: any minor, a generated name, zero offsets.
     *
     * @return the shared default configuration
     */
    public static InstanceConfig defaults() {
        return DEFAULTS;
    }

    /**
     * A new builder with the defaults.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The requested minor number.
     *
     * @return a minor in [0, 2^20), or {@link #ANY_MINOR}
     */
    public int minor() {
        return minor;
    }

    /**
     * The requested name.
     *
     * @return the name, or null to let the device name the instance {@code "valarm<minor>"}
     */
    public String name() {
        return name;
    }

    /**
     * The initial wall-clock offset: instance realtime = host realtime + offset.
     *
     * @return the offset, never null
     */
    public Duration wallClockOffset() {
        return wallClockOffset;
    }

    /**
     * The fixed boot-time offset: instance boottime = host boottime + offset.
     *
     * @return the offset, never null
     */
    public Duration boottimeOffset() {
        return boottimeOffset;
    }

    /**
     * The fixed monotonic offset: instance monotonic = host monotonic + offset.
     *
     * @return the offset, never null
     */
    public Duration monotonicOffset() {
        return monotonicOffset;
    }

    @Override
    public String toString() {
        return "InstanceConfig[minor=" + minor + ", name=" + name + ", wallClockOffset=" + TimeFormat.duration(wallClockOffset)
                + ", boottimeOffset=" + TimeFormat.duration(boottimeOffset) + ", monotonicOffset="
                + TimeFormat.duration(monotonicOffset) + ']';
    }

    /** Builds an {@link InstanceConfig}. Not thread-safe. */
    public static final class Builder {
        /** The largest minor number plus one (the kernel's MINORBITS = 20). */
        public static final int MINOR_LIMIT = 1 << 20;

        private int minor = ANY_MINOR;
        private String name;
        private Duration wallClockOffset = Duration.ZERO;
        private Duration boottimeOffset = Duration.ZERO;
        private Duration monotonicOffset = Duration.ZERO;

        private Builder() {
        }

        /**
         * Requests a specific minor number.
         *
         * @param minor in [0, 2^20), or {@link #ANY_MINOR}
         * @return this builder
         * @throws IllegalArgumentException if {@code minor} is out of range
         */
        public Builder minor(final int minor) {
            if (minor != ANY_MINOR && (minor < 0 || minor >= MINOR_LIMIT)) {
                throw new IllegalArgumentException("minor must be in [0, " + MINOR_LIMIT + ") or ANY_MINOR: " + minor);
            }
            this.minor = minor;
            return this;
        }

        /**
         * Names the instance (used in logs and suspend-blocker tags).
         *
         * @param name 1 to 64 characters ({@code char}s), no control characters, well-formed UTF-16 (no lone
         *        surrogate, so that a snapshot stores it exactly), or null for the default name
         * @return this builder
         * @throws IllegalArgumentException if the name is empty, longer than 64, has control characters or
         *         a lone surrogate
         */
        public Builder name(final String name) {
            if (name != null) {
                final String problem = InstanceNames.problem(name);
                if (problem != null) {
                    throw new IllegalArgumentException(problem);
                }
            }
            this.name = name;
            return this;
        }

        /**
         * Sets the initial wall-clock offset from host realtime.
         *
         * @param offset the offset, not null
         * @return this builder
         */
        public Builder wallClockOffset(final Duration offset) {
            this.wallClockOffset = Objects.requireNonNull(offset, "offset");
            return this;
        }

        /**
         * Sets the fixed boot-time offset from host boottime.
         *
         * @param offset the offset, not null
         * @return this builder
         */
        public Builder boottimeOffset(final Duration offset) {
            this.boottimeOffset = Objects.requireNonNull(offset, "offset");
            return this;
        }

        /**
         * Sets the fixed monotonic offset from host monotonic time.
         *
         * @param offset the offset, not null
         * @return this builder
         */
        public Builder monotonicOffset(final Duration offset) {
            this.monotonicOffset = Objects.requireNonNull(offset, "offset");
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return an immutable configuration
         */
        public InstanceConfig build() {
            return new InstanceConfig(this);
        }
    }
}
