package dev.valarm.impl.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RepeatedEventLogTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void theFirstIsReportedAtOnceAndTheRestAtMostOncePerIntervalWithTheirCount() {
        final RepeatedEventLog log = new RepeatedEventLog(60 * SECOND);
        assertEquals(1, log.occurred(5 * SECOND));
        long held = 0;
        for (long t = 6 * SECOND; t < 65 * SECOND; t += SECOND / 4) {
            assertEquals(0, log.occurred(t), "within the interval at " + t);
            held++;
        }
        assertEquals(held + 1, log.occurred(65 * SECOND), "the first after the interval counts those held back");
        assertEquals(0, log.occurred(66 * SECOND));
        assertEquals(2, log.occurred(200 * SECOND), "a quiet stretch: the next is reported at once");
        assertEquals(1, log.occurred(300 * SECOND));
    }

    @Test
    void aNegativeMonotonicReadingIsJustAReading() {
        final RepeatedEventLog log = new RepeatedEventLog(SECOND);
        assertEquals(1, log.occurred(Long.MIN_VALUE + 5));
        assertEquals(0, log.occurred(Long.MIN_VALUE + 6));
        assertEquals(2, log.occurred(Long.MIN_VALUE + 5 + SECOND));
    }

    @Test
    void theIntervalMustBePositive() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RepeatedEventLog(0));
        assertEquals("interval must be positive: 0 ns", e.getMessage());
    }
}
