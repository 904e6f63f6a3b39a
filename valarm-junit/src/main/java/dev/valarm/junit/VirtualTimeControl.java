package dev.valarm.junit;

import dev.valarm.ClockBase;
import dev.valarm.ClockRangeException;
import dev.valarm.InstanceConfig;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The controls of a test's virtual time: let time pass, jump the host wall clock, suspend the machine,
 * and create more instances with their own clocks. Every control returns only once the device has
 * fired everything that became due and everything that caused has run: {@code awaitAsync()} futures
 * completed, with the callbacks that depend on them on the device's callback executor, listener calls, and
 * blocking waiters woken returned from WAIT. So a test can assert right after it. (A callback must not call
 * a control itself: it would wait for its own end.)
 *
 * <p>Obtained as a test-method parameter under {@link VirtualTime}. Valid for one test: the device is
 * closed after it.
 *
 * <p>Thread-safety: thread-safe, but meant to be driven from the test's thread; the instances and
 * clocks it hands out may be used from any thread.
 */
public final class VirtualTimeControl {
    private final SimulatedMachine machine;
    private final ValarmDevice device;
    private ValarmInstance defaultInstance; // guarded by this

    VirtualTimeControl(final SimulatedMachine machine, final ValarmDevice device) {
        this.machine = machine;
        this.device = device;
    }

    /**
     * Lets time pass while the machine is awake: every clock advances by {@code duration}, and alarms
     * fire at their times on the way; returns once the callbacks that caused have run (see above).
     *
     * @param duration how long, not null, not negative
     * @throws IllegalArgumentException if {@code duration} is negative
     * @throws dev.valarm.ClockRangeException if a clock would leave the clock range (the simulated
     *         machine's limit); nothing moves
     */
    public void advance(final Duration duration) {
        Objects.requireNonNull(duration, "duration");
        machine.advance(duration);
    }

    /**
     * Sets the host wall clock forward or back by {@code delta}, as an administrator or NTP would: every
     * instance's wall clock moves with it and gets the time-change event; elapsed clocks do not move.
     *
     * @param delta either sign, not null
     */
    public void jumpWallClock(final Duration delta) {
        Objects.requireNonNull(delta, "delta");
        machine.jumpRealtime(delta);
    }

    /**
     * Sets the host wall clock to {@code instant} (a jump by the difference).
     *
     * @param instant the new host time, not null
     * @throws dev.valarm.ClockRangeException if {@code instant} is outside the clock range (the simulated
     *         machine's limit); nothing moves
     */
    public void setWallClock(final Instant instant) {
        Objects.requireNonNull(instant, "instant");
        final Timespec target = Timespec.of(instant);
        if (target.compareTo(Timespec.CLOCK_MIN) < 0 || target.compareTo(Timespec.CLOCK_MAX) > 0) {
            throw new ClockRangeException("setWallClock: " + target + " is outside the clock range " + Timespec.CLOCK_MIN
                    + " to " + Timespec.CLOCK_MAX + " (the simulated machine's limit)");
        }
        machine.jumpRealtime(Duration.ofNanos(target.toNanos() - machine.nanos(ClockBase.REALTIME)));
    }

    /**
     * Suspends the machine until a wakeup alarm ends the sleep (through the simulated RTC) or
     * {@code limit} passes; wall and boot time advance, monotonic time does not.
     *
     * @param limit the longest sleep, not null, not negative
     * @return how the suspend ended and how long it slept (refused while an alarm's event is uncollected)
     * @throws IllegalArgumentException if {@code limit} is negative
     */
    public SuspendOutcome suspend(final Duration limit) {
        Objects.requireNonNull(limit, "limit");
        return machine.suspend(limit);
    }

    /**
     * The host wall clock now.
     *
     * @return the host time
     */
    public Instant hostNow() {
        return device.hostTime().toInstant();
    }

    /**
     * The test's default instance (created on first use; the same one a {@link ValarmInstance}
     * parameter receives).
     *
     * @return the default instance
     */
    public synchronized ValarmInstance defaultInstance() {
        if (defaultInstance == null) {
            defaultInstance = device.createInstance(InstanceConfig.builder().name("test").build());
        }
        return defaultInstance;
    }

    /**
     * The wall clock of the default instance (what a {@link Clock} parameter receives).
     *
     * @return a UTC clock view that follows every change of that instance's wall clock
     */
    public Clock clock() {
        return defaultInstance().clock();
    }

    /**
     * Creates another instance whose wall clock is off the host's by {@code wallClockOffset}.
     *
     * @param name the instance's name, not null
     * @param wallClockOffset instance wall clock minus host wall clock, not null
     * @return the new instance
     */
    public ValarmInstance newInstance(final String name, final Duration wallClockOffset) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(wallClockOffset, "wallClockOffset");
        return device.createInstance(InstanceConfig.builder().name(name).wallClockOffset(wallClockOffset).build());
    }

    /**
     * The device.
     *
     * @return the device of this test
     */
    public ValarmDevice device() {
        return device;
    }

    /**
     * The simulated machine (its RTC's call log, fault injection, the suspend blocker).
     *
     * @return the machine of this test
     */
    public SimulatedMachine machine() {
        return machine;
    }

    @Override
    public String toString() {
        return "VirtualTimeControl[" + hostNow() + "]";
    }
}
