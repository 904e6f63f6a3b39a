package dev.valarm;

import java.util.Objects;

/**
 * How {@link ValarmDevice#restore(InstanceSnapshot, RestoreOptions)} places a snapshot on a device: which
 * minor and name the restored instance gets, and how its wall clock is translated.
 *
 * <p>The boot-time and monotonic clocks are not options: they always continue from the snapshot's values
 * (see {@link InstanceSnapshot}), so they never go backwards and armed ELAPSED and SYSTEMTIME alarms keep
 * their remaining time.
 *
 * <p>Thread-safety: immutable; the builder is not thread-safe.
 */
public final class RestoreOptions {
    /** The minor value that asks for the snapshot's own minor (the default). */
    public static final int SNAPSHOT_MINOR = -2;

    private static final RestoreOptions DEFAULTS = builder().build();

    /** How the restored instance's wall clock relates to the snapshot's. */
    public enum WallClock {
        /**
         * Keep the wall-clock offset: instance realtime = target host realtime + the snapshot's offset.
         * Wall-clock time flows on with real time across the move (assuming the hosts' clocks agree), so
         * RTC-type alarms keep their wall-clock time and one that passed meanwhile fires at once. The
         * instance gets the time-change event if its wall clock differs from the snapshot's value, since it
         * moved against the elapsed clock, which continues from its snapshot value. The default.
         */
        FOLLOW_HOST,
        /**
         * Continue from the snapshot's value: instance realtime at restore = the snapshot's realtime, as for
         * the other two clocks. Time between snapshot and restore does not count, RTC-type alarms keep
         * their remaining time, and no time-change event is added. Suits replays and tests.
         */
        CONTINUE
    }

    private final int minor;
    private final String name;
    private final WallClock wallClock;

    private RestoreOptions(final Builder b) {
        this.minor = b.minor;
        this.name = b.name;
        this.wallClock = b.wallClock;
    }

    /**
     * The default options: the snapshot's minor and name, {@link WallClock#FOLLOW_HOST}.
     *
     * @return the shared defaults
     */
    public static RestoreOptions defaults() {
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
     * The minor to restore at.
     *
     * @return {@link #SNAPSHOT_MINOR}, {@link InstanceConfig#ANY_MINOR} or a minor in [0, 2^20)
     */
    public int minor() {
        return minor;
    }

    /**
     * The name to give the restored instance.
     *
     * @return the name, or null for the snapshot's name
     */
    public String name() {
        return name;
    }

    /**
     * The wall-clock rule.
     *
     * @return the rule, never null
     */
    public WallClock wallClock() {
        return wallClock;
    }

    @Override
    public String toString() {
        return "RestoreOptions[minor=" + (minor == SNAPSHOT_MINOR ? "snapshot" : minor == InstanceConfig.ANY_MINOR
                ? "any" : Integer.toString(minor)) + ", name=" + name + ", wallClock=" + wallClock + ']';
    }

    /** Builds {@link RestoreOptions}. Not thread-safe. */
    public static final class Builder {
        private int minor = SNAPSHOT_MINOR;
        private String name;
        private WallClock wallClock = WallClock.FOLLOW_HOST;

        private Builder() {
        }

        /**
         * The minor to restore at.
         *
         * @param minor {@link #SNAPSHOT_MINOR}, {@link InstanceConfig#ANY_MINOR} or a minor in [0, 2^20)
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder minor(final int minor) {
            if (minor != SNAPSHOT_MINOR && minor != InstanceConfig.ANY_MINOR
                    && (minor < 0 || minor >= InstanceConfig.Builder.MINOR_LIMIT)) {
                throw new IllegalArgumentException("minor must be in [0, " + InstanceConfig.Builder.MINOR_LIMIT
                        + "), ANY_MINOR or SNAPSHOT_MINOR: " + minor);
            }
            this.minor = minor;
            return this;
        }

        /**
         * The name to give the restored instance.
         *
         * @param name 1 to 64 characters without control characters or lone surrogates (the rule of
         *        {@link InstanceConfig.Builder#name}), or null for the snapshot's name
         * @return this builder
         * @throws IllegalArgumentException if the name is invalid
         */
        public Builder name(final String name) {
            if (name != null) {
                InstanceConfig.builder().name(name); // the same rule as for a new instance
            }
            this.name = name;
            return this;
        }

        /**
         * The wall-clock rule (default {@link WallClock#FOLLOW_HOST}).
         *
         * @param rule the rule, not null
         * @return this builder
         */
        public Builder wallClock(final WallClock rule) {
            this.wallClock = Objects.requireNonNull(rule, "rule");
            return this;
        }

        /**
         * Builds the options.
         *
         * @return immutable options
         */
        public RestoreOptions build() {
            return new RestoreOptions(this);
        }
    }
}
