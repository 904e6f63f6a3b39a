package dev.valarm.impl.sim;

import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.TimeFormat;
import dev.valarm.Timespec;
import dev.valarm.impl.internal.Sat;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeAlarm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated hardware RTC with one wake alarm, driven by {@link SimulatedClocks}: its time is host
 * realtime plus a drift. It keeps a log of every call, validates programming like a chip would
 * (EINVAL for a time not on its resolution or beyond its furthest alarm), and injects faults: the next N
 * calls of an operation fail with a given errno, interrupts get lost, or arrive late.
 *
 * <p>Thread-safety: thread-safe; the alarm listener is called without any lock held.
 */
public final class SimulatedRtc implements RtcBackend {
    private static final Logger LOG = LoggerFactory.getLogger(SimulatedRtc.class);

    /** The operations, for the call log and fault injection. */
    public enum Op {
        /** {@link #readTime()}. */
        READ_TIME,
        /** {@link #setTime(Timespec)}. */
        SET_TIME,
        /** {@link #programAlarm(Timespec)}. */
        PROGRAM,
        /** {@link #cancelAlarm()}. */
        CANCEL,
        /** {@link #readAlarm()}. */
        READ_ALARM
    }

    private final SimulatedClocks clocks;
    private volatile RtcCapabilities caps;
    private final long resolution;
    private volatile long maxAhead;

    // Guarded by this.
    private final List<RtcCall> calls = new ArrayList<>();
    private final Map<Op, int[]> faults = new EnumMap<>(Op.class);
    private long drift;
    private boolean enabled;
    private long alarmAt;
    private int lostInterrupts;
    private long interruptDelay;
    private long firedCount;
    private Runnable listener;

    /**
     * Creates an RTC.
     *
     * @param clocks the host clocks it follows, not null
     * @param capabilities its resolution, furthest alarm and abilities, not null
     */
    public SimulatedRtc(final SimulatedClocks clocks, final RtcCapabilities capabilities) {
        this.clocks = Objects.requireNonNull(clocks, "clocks");
        this.caps = Objects.requireNonNull(capabilities, "capabilities");
        this.resolution = Sat.nanos(capabilities.resolution());
        this.maxAhead = Sat.nanos(capabilities.maxAlarmAhead());
    }

    @Override
    public String name() {
        return "simulated-rtc";
    }

    @Override
    public RtcCapabilities capabilities() {
        return caps;
    }

    /** The RTC's time in nanoseconds. Lock held or not: reads volatile clocks. */
    private long rtcNanos() {
        return Sat.add(clocks.nanos(ClockBase.REALTIME), drift);
    }

    private void checkFault(final Op op, final Timespec arg) {
        final int[] f = faults.get(op);
        if (f != null && f[0] > 0) {
            f[0]--;
            calls.add(new RtcCall(op, arg, Timespec.ofNanos(rtcNanos()), f[1]));
            LOG.info("simulated RTC: injected {} on {}", Errno.name(f[1]), op);
            throw new RtcException(f[1], "simulated RTC " + op, "injected fault (" + f[0] + " more to come)");
        }
    }

    @Override
    public synchronized Timespec readTime() {
        checkFault(Op.READ_TIME, null);
        final Timespec now = Timespec.ofNanos(rtcNanos());
        calls.add(new RtcCall(Op.READ_TIME, null, now, 0));
        return now;
    }

    @Override
    public synchronized void setTime(final Timespec time) {
        Objects.requireNonNull(time, "time");
        checkFault(Op.SET_TIME, time);
        if (!caps.canSetTime()) {
            calls.add(new RtcCall(Op.SET_TIME, time, Timespec.ofNanos(rtcNanos()), Errno.EOPNOTSUPP));
            throw new RtcException(Errno.EOPNOTSUPP, "simulated RTC SET_TIME", "this RTC cannot set time: " + time);
        }
        calls.add(new RtcCall(Op.SET_TIME, time, Timespec.ofNanos(rtcNanos()), 0));
        // The chip keeps whole seconds: the drift absorbs the difference from host realtime.
        drift = Sat.sub(Timespec.ofSeconds(time.seconds()).toNanos(), clocks.nanos(ClockBase.REALTIME));
    }

    @Override
    public void programAlarm(final Timespec time) {
        Objects.requireNonNull(time, "time");
        final Runnable fireNow;
        final Runnable latched;
        synchronized (this) {
            checkFault(Op.PROGRAM, time);
            final long now = rtcNanos();
            final long at = time.toNanos();
            final Timespec nowTs = Timespec.ofNanos(now);
            if (Math.floorMod(at, resolution) != 0) {
                calls.add(new RtcCall(Op.PROGRAM, time, nowTs, Errno.EINVAL));
                throw new RtcException(Errno.EINVAL, "simulated RTC PROGRAM",
                        "alarm time " + time + " is not a multiple of the resolution " + TimeFormat.duration(caps.resolution()));
            }
            if (Sat.sub(at, now) > maxAhead) {
                calls.add(new RtcCall(Op.PROGRAM, time, nowTs, Errno.EINVAL));
                throw new RtcException(Errno.EINVAL, "simulated RTC PROGRAM",
                        "alarm time " + time + " is more than " + TimeFormat.duration(caps.maxAlarmAhead()) + " after RTC time "
                                + nowTs);
            }
            // An interrupt of the replaced alarm that is already due is latched, as on hardware: it is
            // delivered, not dropped by the reprogramming.
            latched = takeDueInterrupt();
            calls.add(new RtcCall(Op.PROGRAM, time, nowTs, 0));
            enabled = true;
            alarmAt = at;
            fireNow = takeDueInterrupt();
        }
        if (latched != null) {
            latched.run();
        }
        if (fireNow != null) {
            fireNow.run();
        }
    }

    @Override
    public void cancelAlarm() {
        final Runnable latched;
        synchronized (this) {
            checkFault(Op.CANCEL, null);
            latched = takeDueInterrupt();
            calls.add(new RtcCall(Op.CANCEL, null, Timespec.ofNanos(rtcNanos()), 0));
            enabled = false;
        }
        if (latched != null) {
            latched.run();
        }
    }

    @Override
    public synchronized WakeAlarm readAlarm() {
        checkFault(Op.READ_ALARM, null);
        calls.add(new RtcCall(Op.READ_ALARM, null, Timespec.ofNanos(rtcNanos()), 0));
        return enabled ? new WakeAlarm(true, false, Timespec.ofNanos(alarmAt)) : WakeAlarm.DISABLED;
    }

    @Override
    public synchronized void setAlarmListener(final Runnable listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Detaches the listener; the programmed alarm stays, as on real hardware. */
    @Override
    public synchronized void close() {
        listener = null;
    }

    // ------------------------------------------------------------------ simulation controls

    /**
     * Changes the furthest alarm the chip takes (as when a backend learns the real limit from EINVAL);
     * {@link #capabilities()} reports it from now on.
     *
     * @param max positive
     * @throws IllegalArgumentException if not positive
     */
    public synchronized void setMaxAlarmAhead(final Duration max) {
        caps = new RtcCapabilities(caps.resolution(), max, caps.canWake(), caps.canSetTime());
        maxAhead = Sat.nanos(max);
    }

    /**
     * Makes the next {@code count} calls of {@code op} fail with {@code errno}.
     *
     * @param op the operation
     * @param count how many calls, not negative
     * @param errno the errno, positive
     * @throws IllegalArgumentException for a negative count or a non-positive errno
     */
    public synchronized void failNext(final Op op, final int count, final int errno) {
        Objects.requireNonNull(op, "op");
        if (count < 0) {
            throw new IllegalArgumentException("count must not be negative: " + count);
        }
        if (errno <= 0) {
            throw new IllegalArgumentException("errno must be positive: " + errno);
        }
        faults.put(op, new int[] {count, errno});
    }

    /**
     * Makes the next {@code count} alarm interrupts vanish (the alarm fires in hardware but nobody is
     * told, as with a lost interrupt).
     *
     * @param count not negative
     * @throws IllegalArgumentException if negative
     */
    public synchronized void loseNextInterrupts(final int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count must not be negative: " + count);
        }
        lostInterrupts = count;
    }

    /**
     * Delays every alarm interrupt by {@code delay} after the alarm's time.
     *
     * @param delay not negative
     * @throws IllegalArgumentException if negative
     */
    public synchronized void setInterruptDelay(final Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative: " + TimeFormat.duration(delay));
        }
        interruptDelay = Sat.nanos(delay);
    }

    /**
     * Sets the RTC's drift from host realtime (RTC time = host realtime + drift).
     *
     * @param driftFromHost the drift, not null
     */
    public synchronized void setDrift(final Duration driftFromHost) {
        drift = Sat.nanos(driftFromHost);
    }

    /**
     * The RTC's drift from host realtime.
     *
     * @return RTC time minus host realtime
     */
    public synchronized Duration drift() {
        return Duration.ofNanos(drift);
    }

    /**
     * Every call made so far, oldest first.
     *
     * @return an immutable copy
     */
    public synchronized List<RtcCall> calls() {
        return List.copyOf(calls);
    }

    /**
     * The calls of one operation.
     *
     * @param op the operation
     * @return an immutable list, oldest first
     */
    public synchronized List<RtcCall> calls(final Op op) {
        return calls.stream().filter(c -> c.op() == op).toList();
    }

    /** Forgets the call log. */
    public synchronized void clearCalls() {
        calls.clear();
    }

    /**
     * The alarm as the hardware holds it (without logging a call).
     *
     * @return the alarm state
     */
    public synchronized WakeAlarm alarm() {
        return enabled ? new WakeAlarm(true, false, Timespec.ofNanos(alarmAt)) : WakeAlarm.DISABLED;
    }

    /**
     * How many alarm interrupts fired (delivered or lost).
     *
     * @return the count
     */
    public synchronized long firedCount() {
        return firedCount;
    }

    /**
     * Nanoseconds until the programmed alarm's interrupt, or {@code Long.MAX_VALUE} if none is armed.
     *
     * @return the distance, 0 if due
     */
    public synchronized long nanosToInterrupt() {
        if (!enabled) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, Sat.sub(Sat.add(alarmAt, interruptDelay), rtcNanos()));
    }

    /** Fires the alarm if its time (plus any delay) has come. Called by the machine after time passes. */
    void poll() {
        final Runnable r;
        synchronized (this) {
            r = takeDueInterrupt();
        }
        if (r != null) {
            r.run();
        }
    }

    /** Lock held. @return the listener to call, or null */
    private Runnable takeDueInterrupt() {
        if (!enabled || rtcNanos() < Sat.add(alarmAt, interruptDelay)) {
            return null;
        }
        enabled = false;
        firedCount++;
        if (lostInterrupts > 0) {
            lostInterrupts--;
            LOG.info("simulated RTC: alarm at {} fired, interrupt lost ({} more to lose)", Timespec.ofNanos(alarmAt),
                    lostInterrupts);
            return null;
        }
        return listener;
    }

    /** Whether the alarm would end a suspend now (its time has come). */
    synchronized boolean wakesNow() {
        return enabled && rtcNanos() >= Sat.add(alarmAt, interruptDelay);
    }
}
