package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.ClockBase;
import dev.valarm.rtc.linux.internal.LinuxOnly;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.WakeReason;
import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Tier 1: the host kernel's clocks and timerfds through {@link LinuxHostClocks}. */
final class LinuxHostClocksTest {
    private static final long MS = 1_000_000L;
    /** Generous bound on how late a timerfd wake may be on a loaded 2-core CI machine. */
    private static final long MAX_LATENESS = 250 * MS;

    private LinuxHostClocks clocks;

    @BeforeEach
    void open() {
        LinuxOnly.assumeLinux();
        clocks = LinuxHostClocks.open();
    }

    @AfterEach
    void close() {
        if (clocks != null) {
            clocks.close();
        }
    }

    /**
     * {@code awaitDeadline} again while it reports a host clock change, which takes precedence over a deadline:
     * some machines step their clock several times a second (the CI machines do), and each step is a real
     * CLOCK_SET. Bounded, so an implementation that reports nothing else still fails.
     */
    private WakeReason awaitPastClockSets(final long realtime, final long boottime, final long monotonic) {
        WakeReason r = clocks.awaitDeadline(realtime, boottime, monotonic);
        for (int i = 0; i < 1000 && (r == WakeReason.CLOCK_SET || r == WakeReason.SPURIOUS); i++) {
            r = clocks.awaitDeadline(realtime, boottime, monotonic);
        }
        return r;
    }

    @Test
    void clocksAgreeWithTheJdk() {
        final long m0 = System.nanoTime();
        final long mono = clocks.nanos(ClockBase.MONOTONIC);
        final long m1 = System.nanoTime();
        assertTrue(m0 <= mono && mono <= m1, () -> m0 + " <= " + mono + " <= " + m1 + " (System.nanoTime is MONOTONIC)");

        final long r0 = System.currentTimeMillis();
        final long real = clocks.nanos(ClockBase.REALTIME);
        final long r1 = System.currentTimeMillis();
        assertTrue(r0 * MS - MS <= real && real <= r1 * MS + MS, () -> r0 + " ms <= " + real + " ns <= " + r1 + " ms");

        final long boot = clocks.nanos(ClockBase.BOOTTIME);
        assertTrue(boot >= clocks.nanos(ClockBase.MONOTONIC) - 10 * MS,
                "BOOTTIME counts suspend on top of MONOTONIC, never less");
    }

    @Test
    void readingTheClocksDoesNotAllocate() {
        final com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final long tid = Thread.currentThread().getId();
        long sink = 0;
        for (int i = 0; i < 20_000; i++) {
            sink += clocks.nanos(ClockBase.BOOTTIME);
        }
        final ClockBase[] bases = ClockBase.values(); // values() clones: keep it out of the loop
        final long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 100_000; i++) {
            sink += clocks.nanos(bases[i % 3]);
        }
        final long allocated = mx.getThreadAllocatedBytes(tid) - before;
        assertTrue(sink != 0);
        assertTrue(allocated < 10_000, "100 000 reads allocated " + allocated + " bytes");
    }

    @Test
    void theWaitAndWakeupPathDoesNotAllocate() {
        final com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final long tid = Thread.currentThread().getId();
        for (int i = 0; i < 5_000; i++) {
            clocks.wakeup();
            clocks.awaitDeadline(HostClocks.NO_DEADLINE, i, HostClocks.NO_DEADLINE);
        }
        final long before = mx.getThreadAllocatedBytes(tid);
        int deadlines = 0;
        int clockSets = 0;
        for (int i = 0; i < 20_000; i++) {
            clocks.wakeup();
            // A passed BOOTTIME deadline that changes every time: re-arm, poll, read, all without garbage.
            final WakeReason r = clocks.awaitDeadline(HostClocks.NO_DEADLINE, i, HostClocks.NO_DEADLINE);
            deadlines += r == WakeReason.DEADLINE ? 1 : 0;
            clockSets += r == WakeReason.CLOCK_SET ? 1 : 0; // a host clock step meanwhile takes precedence
        }
        final long allocated = mx.getThreadAllocatedBytes(tid) - before;
        assertEquals(20_000, deadlines + clockSets, deadlines + " deadlines, " + clockSets + " clock changes");
        assertTrue(clockSets < 1_000, clockSets + " of 20 000 waits reported a host clock change");
        assertTrue(allocated < 10_000, "20 000 waits allocated " + allocated + " bytes");
    }

    @ParameterizedTest
    @EnumSource(ClockBase.class)
    void aDeadlineOnEachBaseWakesOnTimeAndOnlyThatBase(final ClockBase base) {
        final long start = clocks.nanos(base);
        final long deadline = start + 60 * MS;
        final long[] deadlines = {HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE};
        deadlines[base.ordinal()] = deadline;
        WakeReason r;
        r = awaitPastClockSets(deadlines[0], deadlines[1], deadlines[2]);
        final long woke = clocks.nanos(base);
        assertEquals(WakeReason.DEADLINE, r);
        assertTrue(woke >= deadline, () -> "woke " + (deadline - woke) / 1e6 + " ms early on " + base);
        assertTrue(woke - deadline < MAX_LATENESS, () -> "woke " + (woke - deadline) / 1e6 + " ms late on " + base);
    }

    @Test
    void theEarliestOfSeveralDeadlinesWins() {
        final long boot = clocks.nanos(ClockBase.BOOTTIME);
        final long real = clocks.nanos(ClockBase.REALTIME);
        final long mono = clocks.nanos(ClockBase.MONOTONIC);
        assertEquals(WakeReason.DEADLINE, awaitPastClockSets(real + 10_000 * MS, boot + 40 * MS, mono + 10_000 * MS));
        final long elapsed = clocks.nanos(ClockBase.BOOTTIME) - boot;
        assertTrue(elapsed >= 40 * MS && elapsed < 40 * MS + MAX_LATENESS, () -> "elapsed " + elapsed / 1e6 + " ms");
        // The far deadlines stay armed; moving them in re-arms them.
        final long mono2 = clocks.nanos(ClockBase.MONOTONIC);
        assertEquals(WakeReason.DEADLINE,
                awaitPastClockSets(real + 10_000 * MS, HostClocks.NO_DEADLINE, mono2 + 30 * MS));
        assertTrue(clocks.nanos(ClockBase.MONOTONIC) >= mono2 + 30 * MS);
    }

    @Test
    void pastAndNegativeDeadlinesReturnAtOnce() {
        assertEquals(WakeReason.DEADLINE, awaitPastClockSets(HostClocks.NO_DEADLINE, 0, HostClocks.NO_DEADLINE));
        assertEquals(WakeReason.DEADLINE,
                awaitPastClockSets(Long.MIN_VALUE, HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE));
        final long past = clocks.nanos(ClockBase.MONOTONIC) - 1;
        assertEquals(WakeReason.DEADLINE, awaitPastClockSets(HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE, past));
        // The same passed deadline again still reports it (the timer is re-armed after firing).
        assertEquals(WakeReason.DEADLINE, awaitPastClockSets(HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE, past));
    }

    @Test
    void aWakeupBeforeTheWaitMakesItReturnAtOnce() {
        clocks.wakeup();
        clocks.wakeup();
        assertEquals(WakeReason.WOKEN,
                clocks.awaitDeadline(HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE));
        // Both wakeups were consumed by the one return.
        final long mono = clocks.nanos(ClockBase.MONOTONIC);
        assertEquals(WakeReason.DEADLINE,
                awaitPastClockSets(HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE, mono + 20 * MS));
    }

    @Test
    void aWakeupFromAnotherThreadEndsAnEndlessWait() throws Exception {
        final CompletableFuture<WakeReason> waiter = CompletableFuture.supplyAsync(
                () -> clocks.awaitDeadline(HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE));
        clocks.wakeup();
        final WakeReason r = waiter.get(10, TimeUnit.SECONDS);
        if (r == WakeReason.CLOCK_SET) {
            // A host clock step came first and takes precedence (some machines step theirs several times a second);
            // the wait it ended may have taken the wakeup with it. Wait endlessly again and wake again.
            final CompletableFuture<WakeReason> again = CompletableFuture.supplyAsync(() -> {
                WakeReason w;
                do {
                    w = clocks.awaitDeadline(HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE);
                } while (w == WakeReason.CLOCK_SET);
                return w;
            });
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!again.isDone() && System.nanoTime() - deadline < 0) {
                clocks.wakeup();
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            assertEquals(WakeReason.WOKEN, again.get(1, TimeUnit.SECONDS));
        } else {
            assertEquals(WakeReason.WOKEN, r);
        }
    }

    @Test
    void closeReleasesABlockedWaiter() throws Exception {
        final CompletableFuture<WakeReason> waiter = CompletableFuture.supplyAsync(
                () -> clocks.awaitDeadline(HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE, HostClocks.NO_DEADLINE));
        clocks.close();
        assertEquals(WakeReason.WOKEN, waiter.get(10, TimeUnit.SECONDS));
        assertEquals(WakeReason.WOKEN, clocks.awaitDeadline(0, 0, 0));
        clocks.close();
        clocks.wakeup();
    }

    @Test
    void anInterruptedWaiterReturnsWoken() {
        Thread.currentThread().interrupt();
        try {
            assertEquals(WakeReason.WOKEN, clocks.awaitDeadline(0, 0, 0));
        } finally {
            assertTrue(Thread.interrupted(), "the interrupt flag is left set");
        }
    }
}
