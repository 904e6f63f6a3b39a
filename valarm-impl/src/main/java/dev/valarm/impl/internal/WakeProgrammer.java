package dev.valarm.impl.internal;

import dev.valarm.ClockBase;
import dev.valarm.TimeFormat;
import dev.valarm.Timespec;
import dev.valarm.impl.DeviceListener;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.RtcException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the backend's one wake alarm at the earliest wakeup deadline over all instances. Confined to the
 * dispatcher thread (it alone calls the backend's programming methods).
 *
 * <p>On a backend that cannot wake the machine the same decisions are made against host realtime and
 * reported to the {@link DeviceListener} as not written; the backend is never called.
 *
 * <p>The wake time is computed on the RTC's own clock, rounded up to the RTC's resolution and clamped
 * to its furthest alarm; a clamped alarm wakes early and the dispatcher re-arms it. A host deadline is
 * moved onto the RTC's clock with the RTC's offsets from host realtime and boottime, both taken from one
 * RTC read and the host samples of that same pass. To avoid touching the hardware when nothing changed,
 * those offsets are remembered: if the target they give is the programmed one, nothing is read or
 * written. Because a deadline's target depends only on the deadline and the remembered offsets (never on
 * when the clocks were sampled), an alarm that does not move the earliest wakeup leaves the decision
 * exactly as it was, even on a 1 ns RTC whose reads jitter; the offsets are re-read only when the target
 * changes (or the host clock was set). A failed call is counted, reported, and retried with exponential
 * backoff; alarms keep firing in software meanwhile.
 *
 * <p>Convergence: the programmer tracks what the hardware holds as {@link Hardware#NONE},
 * {@link Hardware#ARMED} (at {@code programmedNanos}) or {@link Hardware#UNKNOWN}. A PROGRAM or CANCEL that
 * fails may or may not have reached the chip, so it leaves the state unknown, and an unknown state is
 * always written again (programmed with what is wanted now, or cancelled if nothing is) at the next retry,
 * whether or not the wanted alarm changed meanwhile. A failed read of the RTC's time changes nothing in
 * the hardware and leaves the state as it was. So once the backend works again the hardware holds exactly
 * the wanted alarm, or none. (At start the hardware is taken to hold nothing: the device cancels its alarm
 * when it closes.)
 *
 * <p>With tolerance windows each wakeup alarm's own wake time is the latest instant on the RTC's
 * resolution inside its window, or, when its window holds none (an exact alarm), the first one after it
 * (the driver's rounding up). The hardware alarm goes to the earliest of those, which is {@code F}, the
 * last resolution instant at or before the earliest window end, if the smallest wake key
 * ({@code max(start, end - resolution + 1 ns)}, kept by the device in a heap per wakeup type, see
 * {@link Device}) is at or before {@code F}, and the first instant after the earliest end otherwise: an
 * exact O(1) decision over every windowed alarm, without a walk or a cap. The wake then serves every alarm
 * whose window started by then, inside its window.
 */
final class WakeProgrammer {
    private static final Logger LOG = LoggerFactory.getLogger(WakeProgrammer.class);

    private final Device device;
    private final RtcBackend rtc;
    private final boolean canWake;
    private final long resolution;
    private long maxAhead;
    DeviceListener listener = DeviceListener.NONE;

    private long rtHead = Long.MAX_VALUE;
    private long btHead = Long.MAX_VALUE;
    private long rtKey = Long.MAX_VALUE;
    private long btKey = Long.MAX_VALUE;

    /** What the hardware's one wake alarm holds, as far as the programmer knows. */
    enum Hardware {
        /** Nothing: never programmed, cancelled, or consumed by its firing. */
        NONE,
        /** The alarm at {@code programmedNanos}. */
        ARMED,
        /** Anything: a PROGRAM or CANCEL failed, so it may hold the old alarm, the new one, or none. */
        UNKNOWN
    }

    private Hardware hardware = Hardware.NONE;
    /** The alarm time on the RTC's clock while {@link #hardware} is {@link Hardware#ARMED}. */
    private long programmedNanos;
    private boolean haveOffset;
    private long rtcMinusBoottime;
    private long rtcMinusRealtime;
    private long retryAt = Long.MAX_VALUE;
    private long retryBackoff;
    /** RTC time of a hardware alarm whose time passed before its interrupt was seen, or MAX_VALUE. */
    private long unconfirmed = Long.MAX_VALUE;
    private final long grace;

    WakeProgrammer(final Device device, final RtcBackend rtc, final RtcCapabilities caps) {
        this.device = device;
        this.rtc = rtc;
        this.canWake = caps.canWake();
        this.resolution = Math.max(1L, Sat.nanos(caps.resolution()));
        this.maxAhead = Sat.nanos(caps.maxAlarmAhead());
        this.grace = Math.max(resolution, 1_000_000_000L);
    }

    /**
     * Records the heads (earliest window ends) of the RTC_WAKEUP and ELAPSED_REALTIME_WAKEUP heaps and the
     * heads of their wake-key heaps ({@code Long.MAX_VALUE} where none), on the types' host bases (lock
     * held).
     */
    void capture(final long realtimeHead, final long realtimeKey, final long boottimeHead, final long boottimeKey) {
        rtHead = realtimeHead;
        rtKey = realtimeKey;
        btHead = boottimeHead;
        btKey = boottimeKey;
    }

    /** The backend reported the alarm firing: it is consumed (unless it was an older alarm's interrupt). */
    void onFired() {
        // First settle the past: count an older interrupt that is overdue, consume an alarm whose time came.
        checkPassed(device.clocks.nanos(ClockBase.BOOTTIME));
        if (unconfirmed != Long.MAX_VALUE) {
            // This is the interrupt of the alarm whose time came; one programmed since stays armed.
            unconfirmed = Long.MAX_VALUE;
        } else if (hardware == Hardware.ARMED) {
            hardware = Hardware.NONE;
        } // UNKNOWN stays unknown: the next apply writes the hardware again
        listener.hardwareFired();
    }

    /**
     * The BOOTTIME at which the dispatcher must look at the hardware alarm even if no interrupt comes:
     * the programmed alarm's time (then it is consumed and must be re-armed), or the end of the grace
     * period of one whose interrupt has not come (then the interrupt counts as missed).
     *
     * @return a boottime deadline, or {@code Long.MAX_VALUE}
     */
    long checkDeadline() {
        if (!canWake || !haveOffset) {
            return Long.MAX_VALUE;
        }
        long c = hardware == Hardware.ARMED ? programmedNanos : Long.MAX_VALUE;
        if (unconfirmed != Long.MAX_VALUE) {
            c = Math.min(c, Sat.add(unconfirmed, grace));
        }
        return c == Long.MAX_VALUE ? c : Sat.sub(c, rtcMinusBoottime);
    }

    /** Consumes a hardware alarm whose time has passed and counts an interrupt that never came. */
    private void checkPassed(final long bt) {
        if (!haveOffset) {
            return;
        }
        final long estNow = Sat.add(bt, rtcMinusBoottime);
        final boolean passed = hardware == Hardware.ARMED && estNow >= programmedNanos;
        if (unconfirmed != Long.MAX_VALUE && (estNow >= Sat.add(unconfirmed, grace) || passed)) {
            // Overdue, or a later alarm's time came too: the earlier interrupt is not coming.
            device.missedWakeInterrupts.incrementAndGet();
            LOG.warn("wake alarm at RTC {} on {} passed without its interrupt (lost or more than {} ms late); "
                    + "the hardware was re-armed", Timespec.ofNanos(unconfirmed), rtc.name(), grace / 1_000_000);
            unconfirmed = Long.MAX_VALUE;
        }
        if (passed) {
            // The hardware consumed it whether or not its interrupt reached us: re-arm from scratch.
            hardware = Hardware.NONE;
            // Only an alarm that was written can owe an interrupt; a backend that cannot wake was never
            // written to (its decisions are only reported), so nothing is awaited and nothing is missed.
            unconfirmed = canWake ? programmedNanos : Long.MAX_VALUE;
        }
    }

    /** The host clock changed: re-read the RTC before trusting the remembered offset. */
    void onClockChange() {
        haveOffset = false;
    }

    /**
     * Brings the hardware alarm in line with the captured heads.
     *
     * @return a monotonic deadline at which to retry a failed call, or {@code Long.MAX_VALUE}
     */
    long apply() {
        final long mono = device.clocks.nanos(ClockBase.MONOTONIC);
        if (retryAt != Long.MAX_VALUE && mono < retryAt) {
            return retryAt;
        }
        final boolean retrying = retryAt != Long.MAX_VALUE;
        retryAt = Long.MAX_VALUE;
        final long rt = device.clocks.nanos(ClockBase.REALTIME);
        final long bt = device.clocks.nanos(ClockBase.BOOTTIME);
        checkPassed(bt);
        // How far ahead the earliest wakeup deadline (window end) is: for the listener, and none left?
        long remaining = Long.MAX_VALUE;
        if (rtHead != Long.MAX_VALUE) {
            remaining = Sat.sub(rtHead, rt);
        }
        if (btHead != Long.MAX_VALUE) {
            remaining = Math.min(remaining, Sat.sub(btHead, bt));
        }
        String op = "";
        try {
            if (retrying) {
                device.backendRetries.incrementAndGet();
            }
            if (remaining == Long.MAX_VALUE) {
                if (hardware != Hardware.NONE) {
                    op = "cancel wake alarm";
                    if (canWake) {
                        hardware = Hardware.UNKNOWN; // until the call returns
                        rtc.cancelAlarm();
                        device.hardwareCancels.incrementAndGet();
                    }
                    hardware = Hardware.NONE;
                    listener.hardwareCancelled(canWake);
                    LOG.debug("wake alarm cancelled: no wakeup alarm left");
                }
                retryBackoff = 0;
                return Long.MAX_VALUE;
            }
            remaining = Math.max(0L, remaining);
            if (haveOffset && hardware == Hardware.ARMED && target(Sat.add(bt, rtcMinusBoottime)) == programmedNanos) {
                retryBackoff = 0;
                return Long.MAX_VALUE;
            }
            op = "read RTC time";
            // A backend that cannot wake is never touched: decisions are made against host realtime.
            final long rtcNow = canWake ? rtc.readTime().toNanos() : rt;
            if (canWake) {
                // The furthest alarm may shrink once the backend learns the chip's limit.
                maxAhead = Sat.nanos(rtc.capabilities().maxAlarmAhead());
            }
            // Both offsets from this one RTC read and this pass's host samples (see the class comment).
            rtcMinusRealtime = Sat.sub(rtcNow, rt);
            rtcMinusBoottime = Sat.sub(rtcNow, bt);
            haveOffset = true;
            final long target = target(rtcNow);
            final boolean clamped = target < unclamped(rtcNow);
            if (hardware == Hardware.ARMED && target == programmedNanos) {
                listener.hardwareUnchanged(Timespec.ofNanos(target));
                retryBackoff = 0;
                return Long.MAX_VALUE;
            }
            op = "program wake alarm";
            final Timespec at = Timespec.ofNanos(target);
            if (canWake) {
                hardware = Hardware.UNKNOWN; // until the call returns
                rtc.programAlarm(at);
                device.hardwareWrites.incrementAndGet();
            }
            hardware = Hardware.ARMED;
            programmedNanos = target;
            listener.hardwareProgrammed(at, clamped, remaining, canWake);
            if (LOG.isDebugEnabled()) {
                LOG.debug("wake alarm programmed at RTC {} ({} ahead{})", at, TimeFormat.duration(Timespec.ofNanos(remaining)),
                        clamped ? ", clamped" : "");
            }
            retryBackoff = 0;
            return Long.MAX_VALUE;
        } catch (final RtcException e) {
            // A failed PROGRAM or CANCEL left the state UNKNOWN (set before the call); a failed read left it
            // as it was. Either way the retry compares against it.
            haveOffset = false;
            device.backendFaults.incrementAndGet();
            retryBackoff = Device.backoff(retryBackoff);
            retryAt = Sat.add(mono, retryBackoff);
            listener.backendFault(op, e);
            LOG.warn("{} failed on {} ({}); retrying in {} ms; alarms keep firing while awake", op, rtc.name(),
                    e.getMessage(), retryBackoff / 1_000_000);
            return retryAt;
        }
    }

    /**
     * The wake time on the RTC's clock, clamped to the furthest alarm, with the remembered offsets.
     *
     * @param rtcNow the RTC's time now (read, or estimated from host boottime)
     */
    private long target(final long rtcNow) {
        final long limit = alignDown(Sat.add(rtcNow, maxAhead));
        return Math.min(unclamped(rtcNow), limit);
    }

    /**
     * The earliest own wake time over every wakeup alarm (some head is armed), before clamping, on the
     * RTC's clock (an overdue end or key counts from now): {@code F}, the last resolution instant at or
     * before the earliest end, when the earliest wake key is at or before it (some window holds {@code F}
     * and ends before the next instant), else the first instant at or after the earliest end (the driver's
     * rounding up).
     */
    private long unclamped(final long rtcNow) {
        long end = Long.MAX_VALUE;
        if (rtHead != Long.MAX_VALUE) {
            end = onRtc(rtHead, true);
        }
        if (btHead != Long.MAX_VALUE) {
            end = Math.min(end, onRtc(btHead, false));
        }
        final long e = Math.max(end, rtcNow);
        final long down = alignDown(e);
        long key = Long.MAX_VALUE;
        if (rtKey != Long.MAX_VALUE) {
            key = onRtc(rtKey, true);
        }
        if (btKey != Long.MAX_VALUE) {
            key = Math.min(key, onRtc(btKey, false));
        }
        if (key != Long.MAX_VALUE && down >= Math.max(key, rtcNow)) {
            return down;
        }
        return alignUp(e);
    }

    /** A host time (realtime or boottime) on the RTC's clock, with the remembered offsets. */
    private long onRtc(final long hostNanos, final boolean realtime) {
        return Sat.add(hostNanos, realtime ? rtcMinusRealtime : rtcMinusBoottime);
    }

    private long alignUp(final long nanos) {
        final long r = Math.floorMod(nanos, resolution);
        return r == 0 ? nanos : Sat.add(nanos, resolution - r);
    }

    private long alignDown(final long nanos) {
        return nanos - Math.floorMod(nanos, resolution);
    }

    /** Cancels a programmed alarm when the device closes. */
    void cancelOnClose() {
        if (!canWake || hardware == Hardware.NONE) {
            return;
        }
        try {
            rtc.cancelAlarm();
            hardware = Hardware.NONE;
            device.hardwareCancels.incrementAndGet();
            listener.hardwareCancelled(true);
        } catch (final RtcException e) {
            device.backendFaults.incrementAndGet();
            LOG.error("could not cancel the wake alarm on {} while closing: {}", rtc.name(), e.getMessage());
        }
    }
}
