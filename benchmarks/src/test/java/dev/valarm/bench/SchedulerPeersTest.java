package dev.valarm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every scheduler behind {@link SchedulerPeers} schedules, cancels, fires and repeats as the benchmarks assume. */
class SchedulerPeersTest {

    @ParameterizedTest
    @ValueSource(strings = {"valarm", "stpe", "nettyHwt"})
    void schedulesCancelsFiresAndRepeats(final String impl) {
        final AtomicLong fired = new AtomicLong();
        final SchedulerPeers.Task count = new SchedulerPeers.Task() {
            @Override
            public void run() {
                fired.incrementAndGet();
            }
        };
        try (SchedulerPeers.Peer peer = SchedulerPeers.create(impl, 16)) {
            final Object far = peer.schedule(count, TimeUnit.MINUTES.toNanos(5));
            assertTrue(peer.cancel(far), "a queued task cancels");
            assertFalse(peer.cancel(far), "once");
            for (int i = 0; i < 8; i++) {
                peer.schedule(count, 50_000L + i * 1_000L);
            }
            assertEquals(8, SchedulerBenchmarkBase.awaitCount(fired, 8, impl));
            peer.scheduleRepeating(count, 100_000L);
            assertTrue(SchedulerBenchmarkBase.awaitCount(fired, 12, impl) >= 12, "the periodic task repeats");
        }
        assertThrowsUnknown();
    }

    private static void assertThrowsUnknown() {
        final IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SchedulerPeers.create("nope", 1));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }
}
