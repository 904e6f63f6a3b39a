package dev.valarm.impl.internal;

import dev.valarm.ClockBase;
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
 * <p>The wake time is computed relative to the RTC's own clock ({@code rtc_now + remaining}), rounded
 * up to the RTC's resolution and clamped to its furthest alarm; a clamped alarm wakes early and the
 * dispatcher re-arms it. To avoid touching the hardware when nothing changed, the RTC's offset from host
 * boottime is remembered from the last read: if the estimated target is the programmed one, nothing is
 * read or written. A failed call is counted, reported, and retried with exponential backoff; alarms keep
 * firing in software meanwhile.
 *
 * <p>With tolerance windows the head is the earliest window end; if the head's window holds an instant
 * on the RTC's resolution, the wake is rounded down into the window instead of up past it, so the wake
 * serves the head (and everything whose window started by then) on time. An exact head rounds up, as
 * the driver does.
 */
final class WakeProgrammer {
    private static final Logger LOG = LoggerFactory.getLogger(WakeProgrammer.class);

    private final Device device;
    private final RtcBackend rtc;
    private final boolean canWake;
    private final long resolution;
    private final long maxAhead;
    DeviceListener listener = DeviceListener.NONE;

    private long rtHead = Long.MAX_VALUE;
    private long btHead = Long.MAX_VALUE;
    private long rtHeadStart = Long.MAX_VALUE;
    private long btHeadStart = Long.MAX_VALUE;
    private boolean programmed;
    private long programmedNanos;
    private boolean haveOffset;
    private long rtcMinusBoottime;
    private long retryAt = Long.MAX_VALUE;
    private long retryBackoff;

    WakeProgrammer(final Device device, final RtcBackend rtc, final RtcCapabilities caps) {
        this.device = device;
        this.rtc = rtc;
        this.canWake = caps.canWake();
        this.resolution = Math.max(1L, caps.resolution().toNanos());
        this.maxAhead = caps.maxAlarmAhead().toNanos();
    }

    /** Records the heads of the RTC_WAKEUP and ELAPSED_REALTIME_WAKEUP heaps, exact alarms (lock held). */
    void capture(final long realtimeHead, final long boottimeHead) {
        capture(realtimeHead, realtimeHead, boottimeHead, boottimeHead);
    }

    /**
     * Records the heads (earliest window ends) of the RTC_WAKEUP and ELAPSED_REALTIME_WAKEUP heaps and
     * the window starts of those heads (lock held).
     */
    void capture(final long realtimeHead, final long realtimeHeadStart, final long boottimeHead,
            final long boottimeHeadStart) {
        rtHead = realtimeHead;
        rtHeadStart = realtimeHeadStart;
        btHead = boottimeHead;
        btHeadStart = boottimeHeadStart;
    }

    /** The backend reported the alarm firing: it is consumed. */
    void onFired() {
        programmed = false;
        listener.hardwareFired();
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
        long remaining = Long.MAX_VALUE;
        long remainingStart = Long.MAX_VALUE;
        if (rtHead != Long.MAX_VALUE) {
            final long rt = device.clocks.nanos(ClockBase.REALTIME);
            remaining = Sat.sub(rtHead, rt);
            remainingStart = Sat.sub(rtHeadStart, rt);
        }
        final long bt = device.clocks.nanos(ClockBase.BOOTTIME);
        if (btHead != Long.MAX_VALUE) {
            final long btRemaining = Sat.sub(btHead, bt);
            if (btRemaining < remaining) {
                remaining = btRemaining;
                remainingStart = Sat.sub(btHeadStart, bt);
            }
        }
        String op = "";
        try {
            if (retrying) {
                device.backendRetries.incrementAndGet();
            }
            if (remaining == Long.MAX_VALUE) {
                if (programmed) {
                    op = "cancel wake alarm";
                    if (canWake) {
                        rtc.cancelAlarm();
                        device.hardwareCancels.incrementAndGet();
                    }
                    programmed = false;
                    listener.hardwareCancelled(canWake);
                    LOG.debug("wake alarm cancelled: no wakeup alarm left");
                }
                retryBackoff = 0;
                return Long.MAX_VALUE;
            }
            if (remaining < 0) {
                remaining = 0;
            }
            remainingStart = Math.max(0L, Math.min(remainingStart, remaining));
            if (haveOffset && programmed) {
                final long estNow = Sat.add(bt, rtcMinusBoottime);
                if (target(estNow, remaining, remainingStart) == programmedNanos) {
                    retryBackoff = 0;
                    return Long.MAX_VALUE;
                }
            }
            op = "read RTC time";
            // A backend that cannot wake is never touched: decisions are made against host realtime.
            final long rtcNow = canWake ? rtc.readTime().toNanos() : device.clocks.nanos(ClockBase.REALTIME);
            rtcMinusBoottime = Sat.sub(rtcNow, device.clocks.nanos(ClockBase.BOOTTIME));
            haveOffset = true;
            final long target = target(rtcNow, remaining, remainingStart);
            final boolean clamped = target < unclamped(rtcNow, remaining, remainingStart);
            if (programmed && target == programmedNanos) {
                listener.hardwareUnchanged(Timespec.ofNanos(target));
                retryBackoff = 0;
                return Long.MAX_VALUE;
            }
            op = "program wake alarm";
            final Timespec at = Timespec.ofNanos(target);
            if (canWake) {
                rtc.programAlarm(at);
                device.hardwareWrites.incrementAndGet();
            }
            programmed = true;
            programmedNanos = target;
            listener.hardwareProgrammed(at, clamped, remaining, canWake);
            if (LOG.isDebugEnabled()) {
                LOG.debug("wake alarm programmed at RTC {} ({} ns ahead{})", at, remaining, clamped ? ", clamped" : "");
            }
            retryBackoff = 0;
            return Long.MAX_VALUE;
        } catch (final RtcException e) {
            programmed = false;
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

    /** The wake time on the RTC's clock, clamped to the furthest alarm. */
    private long target(final long rtcNow, final long remaining, final long remainingStart) {
        final long limit = alignDown(Sat.add(rtcNow, maxAhead));
        return Math.min(unclamped(rtcNow, remaining, remainingStart), limit);
    }

    /**
     * The latest instant on the RTC's resolution inside {@code [start, end]} of the head's window, or the
     * first one after its end when the window holds none (an exact alarm: the driver's rounding up).
     */
    private long unclamped(final long rtcNow, final long remaining, final long remainingStart) {
        final long wanted = Sat.add(rtcNow, remaining);
        final long down = alignDown(wanted);
        if (down >= Sat.add(rtcNow, remainingStart)) {
            return down;
        }
        return alignUp(wanted);
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
        if (!canWake || !programmed) {
            return;
        }
        try {
            rtc.cancelAlarm();
            programmed = false;
            device.hardwareCancels.incrementAndGet();
            listener.hardwareCancelled(true);
        } catch (final RtcException e) {
            device.backendFaults.incrementAndGet();
            LOG.error("could not cancel the wake alarm on {} while closing: {}", rtc.name(), e.getMessage());
        }
    }
}
