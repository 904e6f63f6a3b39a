package dev.valarm.rtc.linux.guest.suspend;

import dev.valarm.rtc.linux.guest.RawRtc;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/**
 * The guest's three clocks, read through the tests' own binding ({@link RawRtc}), and a bounded wait for a
 * condition that another party (the host, the kernel) makes true.
 *
 * <p>Thread-safety: stateless.
 */
final class GuestClocks {

    private GuestClocks() {
    }

    static long real() {
        return RawRtc.clockNanos(RawRtc.CLOCK_REALTIME);
    }

    static long boot() {
        return RawRtc.clockNanos(RawRtc.CLOCK_BOOTTIME);
    }

    static long mono() {
        return RawRtc.clockNanos(RawRtc.CLOCK_MONOTONIC);
    }

    /** The three clocks read back to back. */
    record Reading(long real, long boot, long mono) {
        static Reading now() {
            return new Reading(GuestClocks.real(), GuestClocks.boot(), GuestClocks.mono());
        }
    }

    /**
     * Waits until {@code condition} holds, looking every millisecond, at most {@code timeout}.
     *
     * @return whether it held in time
     */
    static boolean await(final BooleanSupplier condition, final Duration timeout) {
        final long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                return condition.getAsBoolean();
            }
            LockSupport.parkNanos(1_000_000L);
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
        }
        return true;
    }

    /** Seconds with millisecond precision, signed, for messages and figures. */
    static String secs(final long nanos) {
        return String.format(java.util.Locale.ROOT, "%+.3f s", nanos / 1e9);
    }
}
