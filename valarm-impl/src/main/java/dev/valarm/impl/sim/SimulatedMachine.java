package dev.valarm.impl.sim;

import dev.valarm.ClockBase;
import dev.valarm.ClockRangeException;
import dev.valarm.TimeFormat;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.internal.Device;
import dev.valarm.impl.internal.Sat;
import dev.valarm.spi.RtcCapabilities;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A whole simulated machine: host clocks, an RTC, a suspend blocker, and controls to let time pass,
 * jump the host clock and suspend. Time never passes by itself.
 *
 * <p>Every control returns only once the device's dispatcher has fired everything due and everything
 * that caused has run: listener calls, asynchronous-wait completions with the callbacks that depend on
 * them on the device's callback executor, and blocking waiters woken, until they return from WAIT (see
 * {@link SimulatedClocks#awaitIdle()}). {@link #advance} stops at every deadline on the way, so alarms
 * fire exactly at their time in simulated terms. A control must not be called from such a callback.
 *
 * <p>Limit: every clock of the machine stays in the clock range, {@link Timespec#CLOCK_MIN} to
 * {@link Timespec#CLOCK_MAX} (a wall clock from 1823-11-12T00:06:22Z to 2116-02-20T23:53:38Z): building,
 * advancing, suspending or jumping beyond it throws {@link ClockRangeException} and moves nothing; up to
 * and at the limit the machine works as anywhere else.
 *
 * <p>Thread-safety: thread-safe; controls are meant to be called from one test thread.
 */
public final class SimulatedMachine {
    private final SimulatedClocks clocks;
    private final SimulatedRtc rtc;
    private final SimulatedSuspendBlocker blocker;

    private SimulatedMachine(final Builder b) {
        this.clocks = new SimulatedClocks(Timespec.of(b.realtime).toNanos(), Sat.nanos(b.boottime), Sat.nanos(b.monotonic));
        this.rtc = new SimulatedRtc(clocks, new RtcCapabilities(b.resolution, b.maxAlarmAhead, b.canWake, b.canSetTime));
        this.blocker = new SimulatedSuspendBlocker(clocks);
    }

    /**
     * A builder with the defaults: wall clock 2026-01-01T00:00:00Z, 1000 s since boot, a 1-second RTC whose
     * furthest alarm is 24 h - 1 s, which can wake and set time.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The host clocks.
     *
     * @return the clocks
     */
    public SimulatedClocks clocks() {
        return clocks;
    }

    /**
     * The RTC.
     *
     * @return the RTC
     */
    public SimulatedRtc rtc() {
        return rtc;
    }

    /**
     * The suspend blocker.
     *
     * @return the blocker
     */
    public SimulatedSuspendBlocker suspendBlocker() {
        return blocker;
    }

    /**
     * Builds a device on this machine and waits until its dispatcher runs.
     *
     * @return a running device
     */
    public ValarmDevice newDevice() {
        return newDevice(b -> { });
    }

    /**
     * Builds a device on this machine with extra settings and waits until its dispatcher runs.
     *
     * @param customizer adjusts the builder (already given this machine's clocks, RTC and blocker)
     * @return a running device
     */
    public ValarmDevice newDevice(final Consumer<Valarm.Builder> customizer) {
        Objects.requireNonNull(customizer, "customizer");
        final Valarm.Builder b = Valarm.builder().hostClocks(clocks).rtcBackend(rtc).suspendBlocker(blocker);
        customizer.accept(b);
        final ValarmDevice device = b.build();
        // The customizer may have wrapped the clocks: the device still reports to this machine's handshake.
        ((Device) device).observeDeliveries(clocks.deliveries());
        clocks.awaitAttached();
        clocks.awaitIdle();
        return device;
    }

    /**
     * The host time on a base.
     *
     * @param base the base
     * @return nanoseconds
     */
    public long nanos(final ClockBase base) {
        return clocks.nanos(base);
    }

    /**
     * Lets time pass while the machine is awake, stopping at every deadline of the dispatcher and at the
     * RTC's alarm on the way, and returns once everything due has fired.
     *
     * @param duration not negative
     * @throws IllegalArgumentException if negative
     * @throws ClockRangeException if a clock would leave the clock range (nothing moves)
     */
    public void advance(final Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("duration must not be negative: " + TimeFormat.duration(duration));
        }
        long remaining = Sat.nanos(duration);
        clocks.checkPass(remaining, false);
        for (int guard = 0; ; guard++) {
            clocks.awaitIdle();
            final long step = Math.min(clocks.nanosToNextDeadline(false), rtc.nanosToInterrupt());
            if (step >= remaining || guard > 10_000_000) {
                clocks.passThen(remaining, false, rtc::poll);
                break;
            }
            clocks.passThen(step, false, rtc::poll);
            remaining -= step;
        }
        clocks.awaitIdle();
    }

    /**
     * Sets the host clock forward or back by {@code delta}, as another program would; every device on
     * this machine sees a host clock change.
     *
     * @param delta either sign
     * @throws ClockRangeException if realtime would leave the clock range (nothing moves)
     */
    public void jumpRealtime(final Duration delta) {
        clocks.jumpRealtime(Sat.nanos(delta));
        clocks.awaitIdle();
    }

    /**
     * Suspends the machine: REALTIME and BOOTTIME advance, MONOTONIC does not, nothing fires, until the
     * RTC's wake alarm (if the RTC can wake) or {@code limit}, whichever comes first; then the machine
     * resumes and the device fires everything due (non-wakeup alarms included). A held suspend blocker
     * refuses the suspend.
     *
     * @param limit the longest sleep, not negative
     * @return how it ended
     * @throws IllegalArgumentException if {@code limit} is negative
     * @throws ClockRangeException if a clock would leave the clock range (nothing moves)
     */
    public SuspendOutcome suspend(final Duration limit) {
        if (limit.isNegative()) {
            throw new IllegalArgumentException("limit must not be negative: " + TimeFormat.duration(limit));
        }
        clocks.awaitIdle();
        final Set<String> held = blocker.heldTags();
        if (!held.isEmpty()) {
            return new SuspendOutcome(SuspendOutcome.Result.REFUSED, Duration.ZERO, held);
        }
        final long max = Sat.nanos(limit);
        final long alarm = rtc.capabilities().canWake() ? rtc.nanosToInterrupt() : Long.MAX_VALUE;
        final boolean byAlarm = alarm <= max;
        final long slept = byAlarm ? alarm : max;
        clocks.checkPass(slept, true);
        // The RTC interrupt is what ends the suspend: it is raised before the dispatcher sees the new time.
        clocks.passThen(slept, true, rtc::poll);
        clocks.awaitIdle();
        return new SuspendOutcome(byAlarm && slept == alarm ? SuspendOutcome.Result.WOKEN_BY_ALARM
                : SuspendOutcome.Result.LIMIT_REACHED, Duration.ofNanos(slept), Set.of());
    }

    /** Waits until the dispatcher has fired everything due. */
    public void awaitIdle() {
        clocks.awaitIdle();
    }

    /** Builds a {@link SimulatedMachine}. Not thread-safe. */
    public static final class Builder {
        private Instant realtime = Instant.parse("2026-01-01T00:00:00Z");
        private Duration boottime = Duration.ofSeconds(1000);
        private Duration monotonic = Duration.ofSeconds(1000);
        private Duration resolution = Duration.ofSeconds(1);
        private Duration maxAlarmAhead = Duration.ofHours(24).minusSeconds(1);
        private boolean canWake = true;
        private boolean canSetTime = true;

        private Builder() {
        }

        /**
         * The initial host wall clock (checked by {@link #build}: inside the clock range).
         *
         * @param time not null
         * @return this builder
         */
        public Builder realtime(final Instant time) {
            this.realtime = Objects.requireNonNull(time, "time");
            return this;
        }

        /**
         * The initial host boottime and monotonic time (equal: no suspend yet).
         *
         * @param sinceBoot not negative
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder sinceBoot(final Duration sinceBoot) {
            if (sinceBoot.isNegative()) {
                throw new IllegalArgumentException("sinceBoot must not be negative: " + sinceBoot);
            }
            this.boottime = sinceBoot;
            this.monotonic = sinceBoot;
            return this;
        }

        /**
         * The RTC's alarm resolution (default 1 s).
         *
         * @param resolution positive
         * @return this builder
         */
        public Builder rtcResolution(final Duration resolution) {
            this.resolution = Objects.requireNonNull(resolution, "resolution");
            return this;
        }

        /**
         * The RTC's furthest alarm ahead (default 24 h - 1 s).
         *
         * @param max positive
         * @return this builder
         */
        public Builder rtcMaxAlarmAhead(final Duration max) {
            this.maxAlarmAhead = Objects.requireNonNull(max, "max");
            return this;
        }

        /**
         * Whether the RTC can wake the machine (default true).
         *
         * @param canWake whether it can
         * @return this builder
         */
        public Builder rtcCanWake(final boolean canWake) {
            this.canWake = canWake;
            return this;
        }

        /**
         * Whether the RTC's time can be set (default true).
         *
         * @param canSetTime whether it can
         * @return this builder
         */
        public Builder rtcCanSetTime(final boolean canSetTime) {
            this.canSetTime = canSetTime;
            return this;
        }

        /**
         * Builds the machine.
         *
         * @return the machine
         * @throws IllegalArgumentException if the RTC capabilities are invalid
         * @throws ClockRangeException if a clock would start outside the clock range
         */
        public SimulatedMachine build() {
            return new SimulatedMachine(this);
        }
    }
}
