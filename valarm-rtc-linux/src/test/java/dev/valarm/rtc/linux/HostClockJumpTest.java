package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.ClockBase;
import dev.valarm.rtc.linux.internal.LinuxOnly;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.WakeReason;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Tier 1, root only: a real jump of the host realtime clock reaches a waiter as
 * {@link WakeReason#CLOCK_SET} (the REALTIME timerfd's read fails with ECANCELED), never as an error.
 * The clock is jumped by one second and restored at once from a CLOCK_MONOTONIC delta.
 */
final class HostClockJumpTest {
    private static final long MS = 1_000_000L;

    @Test
    void aHostClockJumpWakesTheWaiterWithClockSetAndTheClockIsRestored() throws Exception {
        LinuxOnly.assumeRoot();
        try (LinuxHostClocks clocks = LinuxHostClocks.open()) {
            final CompletableFuture<WakeReason> waiter = CompletableFuture.supplyAsync(() -> {
                WakeReason r;
                do {
                    r = clocks.awaitDeadline(HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE);
                } while (r == WakeReason.SPURIOUS);
                return r;
            });
            jumpAndRestore(clocks);
            assertEquals(WakeReason.CLOCK_SET, waiter.get(10, TimeUnit.SECONDS));

            // The restore was a second clock change: it may be reported once more (and any other step of the host's
            // meanwhile: some machines step their clock several times a second). Then the REALTIME timer is
            // re-armed: a realtime deadline still fires, and a jump between two waits is not lost.
            final long real = clocks.nanos(ClockBase.REALTIME);
            WakeReason r;
            int clockSets = 0;
            do {
                r = clocks.awaitDeadline(real + 30 * MS, HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE);
                clockSets += r == WakeReason.CLOCK_SET ? 1 : 0;
            } while (r != WakeReason.DEADLINE && clockSets <= 50);
            assertEquals(WakeReason.DEADLINE, r, "after " + clockSets + " CLOCK_SETs (the restore's, the host's)");
            assertTrue(clocks.nanos(ClockBase.REALTIME) >= real + 30 * MS);
            jumpAndRestore(clocks);
            final long real2 = clocks.nanos(ClockBase.REALTIME);
            assertEquals(WakeReason.CLOCK_SET,
                    clocks.awaitDeadline(real2 + 10_000 * MS, HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE));
        }
    }

    /** Jumps REALTIME forward by 1 s and puts it back; asserts the restored clock is within 20 ms. */
    private static void jumpAndRestore(final LinuxHostClocks clocks) {
        final long mono0 = clocks.nanos(ClockBase.MONOTONIC);
        final long real0 = clocks.nanos(ClockBase.REALTIME);
        try {
            clocks.setRealtime(real0 + (clocks.nanos(ClockBase.MONOTONIC) - mono0) + 1_000 * MS);
        } finally {
            clocks.setRealtime(real0 + (clocks.nanos(ClockBase.MONOTONIC) - mono0));
        }
        final long expected = real0 + (clocks.nanos(ClockBase.MONOTONIC) - mono0);
        final long actual = clocks.nanos(ClockBase.REALTIME);
        assertTrue(Math.abs(actual - expected) < 20 * MS,
                () -> "restored clock is off by " + (actual - expected) / 1e6 + " ms");
    }
}
