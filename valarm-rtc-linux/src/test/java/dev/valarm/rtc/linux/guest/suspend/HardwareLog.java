package dev.valarm.rtc.linux.guest.suspend;

import dev.valarm.Timespec;
import dev.valarm.impl.DeviceListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Records the device's hardware decisions ({@link DeviceListener}): every programming of the wake alarm (with
 * whether it was clamped), every cancel, every fired report, each with the guest's BOOTTIME.
 *
 * <p>Thread-safety: thread-safe (the device calls it from its dispatcher).
 */
final class HardwareLog implements DeviceListener {

    /** What happened. */
    enum Kind { PROGRAMMED, UNCHANGED, CANCELLED, FIRED, FAULT }

    /**
     * One decision.
     *
     * @param kind what happened
     * @param rtcTime the alarm time on the RTC's clock (programmed, unchanged), else null
     * @param clamped whether a programming was clamped to the RTC's furthest alarm
     * @param remainingNanos how far ahead the earliest wakeup deadline was (programmed)
     * @param boot the guest's BOOTTIME when it happened
     * @param seq its position in the log
     */
    record Entry(Kind kind, Timespec rtcTime, boolean clamped, long remainingNanos, long boot, int seq) {
    }

    private final List<Entry> entries = new ArrayList<>();

    private synchronized void add(final Kind kind, final Timespec rtc, final boolean clamped, final long remaining) {
        entries.add(new Entry(kind, rtc, clamped, remaining, GuestClocks.boot(), entries.size()));
        notifyAll();
    }

    @Override
    public void hardwareProgrammed(final Timespec rtcTime, final boolean clamped, final long remainingNanos,
            final boolean written) {
        add(Kind.PROGRAMMED, rtcTime, clamped, remainingNanos);
    }

    @Override
    public void hardwareUnchanged(final Timespec rtcTime) {
        add(Kind.UNCHANGED, rtcTime, false, 0);
    }

    @Override
    public void hardwareCancelled(final boolean written) {
        add(Kind.CANCELLED, null, false, 0);
    }

    @Override
    public void hardwareFired() {
        add(Kind.FIRED, null, false, 0);
    }

    @Override
    public void backendFault(final String operation, final RuntimeException error) {
        System.out.println("[hardware] backend fault in " + operation + ": " + error);
        add(Kind.FAULT, null, false, 0);
    }

    /** The next entry after position {@code after} that matches, waiting at most {@code timeout}; or null. */
    synchronized Entry await(final int after, final Predicate<Entry> match, final Duration timeout)
            throws InterruptedException {
        final long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (int i = Math.max(0, after + 1); i < entries.size(); i++) {
                if (match.test(entries.get(i))) {
                    return entries.get(i);
                }
            }
            final long left = end - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** The position of the last entry (-1 if none). */
    synchronized int last() {
        return entries.size() - 1;
    }

    synchronized List<Entry> all() {
        return List.copyOf(entries);
    }
}
