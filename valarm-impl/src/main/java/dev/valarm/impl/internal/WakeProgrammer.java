package dev.valarm.impl.internal;

import dev.valarm.ClockBase;
import dev.valarm.TimeFormat;
import dev.valarm.Timespec;
import dev.valarm.impl.DeviceListener;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.SuspendBlocker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the backend's one wake alarm at the earliest wakeup deadline over all instances. Confined to the
 * dispatcher thread (it alone calls the backend's programming methods), except {@link #wakeupMoved}, which
 * callers call: from then until the hardware is in line the device holds its wakelock ({@link WakeHold}).
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
 * when it closes.) A fire report names no alarm, so it consumes the armed alarm only when the RTC's clock
 * has reached it (estimated, or read when the estimate cannot tell): the report of an alarm replaced after its
 * time, which a backend gives right after writing the new one, leaves the new one armed (see
 * {@link #onFired}).
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
    /** Whether the armed alarm was clamped to the furthest alarm (an early wake, re-armed when it comes). */
    private boolean programmedClamped;
    private boolean haveOffset;
    private long rtcMinusBoottime;
    private long rtcMinusRealtime;
    private long retryAt = Long.MAX_VALUE;
    private long retryBackoff;
    /** A fire report the estimate could not place (see {@link #onFired}): decided on the next RTC read. */
    private boolean reportToCheck;
    /** RTC time of a hardware alarm whose time passed before its interrupt was seen, or MAX_VALUE. */
    private long unconfirmed = Long.MAX_VALUE;
    private final long grace;
    private final WakeHold hold;
    /** The hold's mark taken with the heads of this pass (see {@link WakeHold}). */
    private long holdMark;

    WakeProgrammer(final Device device, final RtcBackend rtc, final RtcCapabilities caps, final SuspendBlocker blocker) {
        this.device = device;
        this.rtc = rtc;
        this.canWake = caps.canWake();
        this.resolution = Math.max(1L, Sat.nanos(caps.resolution()));
        this.maxAhead = Sat.nanos(caps.maxAlarmAhead());
        this.grace = Math.max(resolution, 1_000_000_000L);
        this.hold = new WakeHold(blocker, device.clocks, canWake && blocker != SuspendBlocker.none());
    }

    /**
     * A caller's change moved the head of a wakeup heap (the hardware may need a new alarm): the device holds
     * its wakelock until the dispatcher's next pass has brought the hardware in line (or failed and logged).
     * Thread-safe; call once the change is visible to the dispatcher's next pass (queued), before the caller
     * returns (today: under the instance lock, right after the change is queued).
     */
    void wakeupMoved() {
        hold.hold();
    }

    /**
     * The hold's mark for this pass: taken by the dispatcher before it drains the change queue for the heads
     * it then gives {@link #capture}, so a change whose {@link #wakeupMoved} came after the mark keeps the
     * wakelock until a later pass has seen it (a change queued after the drain is never covered by this one).
     */
    void markHold() {
        holdMark = hold.mark();
    }

    /**
     * Records the heads (earliest window ends) of the RTC_WAKEUP and ELAPSED_REALTIME_WAKEUP heaps and the
     * heads of their wake-key heaps ({@code Long.MAX_VALUE} where none), on the types' host bases (heap lock
     * held, after {@link #markHold} and the drain of the change queue).
     */
    void capture(final long realtimeHead, final long realtimeKey, final long boottimeHead, final long boottimeKey) {
        rtHead = realtimeHead;
        rtKey = realtimeKey;
        btHead = boottimeHead;
        btKey = boottimeKey;
    }

    /**
     * The backend reported the alarm firing. A report names no alarm: it is the report of the alarm whose
     * time came and that awaits it ({@code unconfirmed}, however late the report is), or of the armed alarm
     * if the estimate says its time came. Otherwise the estimate cannot place it: it may be the report of an
     * earlier alarm that was replaced after its time (a backend that notices firings by the RTC's clock tells
     * that after the new alarm is written), or the RTC was moved behind the device's back and the armed alarm
     * came early. The next pass then decides on the RTC's own clock, so a stale report never consumes the alarm
     * just programmed (which would only be written again), and a genuine one always does.
     */
    void onFired() {
        settle(device.clocks.nanos(ClockBase.BOOTTIME), false);
        if (unconfirmed != Long.MAX_VALUE) {
            unconfirmed = Long.MAX_VALUE;
        } else if (hardware == Hardware.ARMED) {
            reportToCheck = true;
        } // NONE: an alarm already settled or cancelled; UNKNOWN stays unknown: the next apply writes it again
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

    /**
     * Consumes a hardware alarm whose time has passed, on the estimate from host boottime and the remembered
     * offset (nothing without one), and counts an interrupt that never came.
     *
     * @param overdueCounts whether an alarm awaiting its report for longer than the grace counts as missed
     *        (not while a report is being placed: it may be that very report, late)
     */
    private void settle(final long bt, final boolean overdueCounts) {
        if (haveOffset) {
            settleAt(Sat.add(bt, rtcMinusBoottime), overdueCounts);
        }
    }

    /** {@link #settle} at a time on the RTC's clock (estimated, or just read). */
    private void settleAt(final long rtcNow, final boolean overdueCounts) {
        final boolean passed = hardware == Hardware.ARMED && rtcNow >= programmedNanos;
        if (unconfirmed != Long.MAX_VALUE && (overdueCounts && rtcNow >= Sat.add(unconfirmed, grace) || passed)) {
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

    /**
     * Settles the past on the RTC time just read, and places a fire report {@link #onFired} could not: it was
     * the armed alarm's if the RTC has reached it, else an earlier alarm's, and the armed alarm stays.
     */
    private void placeReport(final long rtcNow) {
        final boolean check = reportToCheck;
        reportToCheck = false;
        settleAt(rtcNow, true);
        if (check && unconfirmed != Long.MAX_VALUE) {
            unconfirmed = Long.MAX_VALUE; // the armed alarm's time came: the report was its
        } else if (check && hardware == Hardware.ARMED && LOG.isDebugEnabled()) {
            LOG.debug("a wake alarm report for an earlier alarm (RTC {} before the armed {}): the armed alarm stays",
                    Timespec.ofNanos(rtcNow), Timespec.ofNanos(programmedNanos));
        }
    }

    /** The host clock changed: re-read the RTC before trusting the remembered offset. */
    void onClockChange() {
        haveOffset = false;
    }

    /**
     * Brings the hardware alarm in line with the captured heads, then releases the device's wakelock for the
     * changes they include (also after a failure, which is logged; alarms keep firing while awake).
     *
     * @return a monotonic deadline at which to retry a failed call, or {@code Long.MAX_VALUE}
     */
    long apply() {
        try {
            return bringInLine();
        } finally {
            hold.done(holdMark);
        }
    }

    private long bringInLine() {
        if (retryAt == Long.MAX_VALUE && rtHead == Long.MAX_VALUE && btHead == Long.MAX_VALUE && hardware == Hardware.NONE
                && unconfirmed == Long.MAX_VALUE) {
            return Long.MAX_VALUE; // no wakeup alarm, nothing programmed, nothing owed: no clock to read
        }
        final long mono = device.clocks.nanos(ClockBase.MONOTONIC);
        if (retryAt != Long.MAX_VALUE && mono < retryAt) {
            return retryAt;
        }
        final boolean retrying = retryAt != Long.MAX_VALUE;
        retryAt = Long.MAX_VALUE;
        final long rt = device.clocks.nanos(ClockBase.REALTIME);
        final long bt = device.clocks.nanos(ClockBase.BOOTTIME);
        settle(bt, true);
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
                reportToCheck = false; // whatever it was the report of, nothing stays armed
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
            if (!reportToCheck && haveOffset && hardware == Hardware.ARMED) {
                final long estimate = Sat.add(bt, rtcMinusBoottime);
                final long wanted = unclamped(estimate);
                final long target = target(estimate, wanted);
                if (holds(estimate, target, target < wanted)) {
                    retryBackoff = 0;
                    return Long.MAX_VALUE;
                }
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
            placeReport(rtcNow);
            final long wanted = unclamped(rtcNow);
            final long target = target(rtcNow, wanted);
            final boolean clamped = target < wanted;
            if (holds(rtcNow, target, clamped)) {
                listener.hardwareUnchanged(Timespec.ofNanos(programmedNanos));
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
            programmedClamped = clamped;
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
     * Whether the armed alarm serves as it is: it is the target, or both are clamped and it is still ahead and
     * not after the target (it wakes early, and the dispatcher re-arms it then). Moving a clamped alarm on
     * with the clock at every pass would write the chip on every change of any instance (or every host clock
     * step) and, on a host that steps its clock several times a second, put the early wake off for ever.
     *
     * @param rtcNow the RTC's time now (read, or estimated)
     * @param target the wake time at that time, clamped to the furthest alarm
     * @param clamped whether the target is clamped
     */
    private boolean holds(final long rtcNow, final long target, final boolean clamped) {
        if (hardware != Hardware.ARMED) {
            return false;
        }
        return target == programmedNanos
                || clamped && programmedClamped && programmedNanos > rtcNow && programmedNanos <= target;
    }

    /**
     * The wake time on the RTC's clock, clamped to the furthest alarm, with the remembered offsets.
     *
     * @param rtcNow the RTC's time now (read, or estimated from host boottime)
     * @param unclamped {@link #unclamped} at that time
     */
    private long target(final long rtcNow, final long unclamped) {
        return Math.min(unclamped, alignDown(Sat.add(rtcNow, maxAhead)));
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
            hold.close();
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
        } finally {
            hold.close();
        }
    }
}
