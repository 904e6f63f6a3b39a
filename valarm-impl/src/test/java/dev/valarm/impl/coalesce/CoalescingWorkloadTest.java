package dev.valarm.impl.coalesce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The coalescing target, measured end to end on the simulated machine: within 10 % of the optimum. */
class CoalescingWorkloadTest {

    static Stream<CoalescingWorkload> workloads() {
        return CoalescingBenchmark.workloads(true).stream();
    }

    @ParameterizedTest
    @MethodSource("workloads")
    void coalescedWakesAreWithinTenPercentOfTheOptimumAndEveryAlarmIsDelivered(final CoalescingWorkload w)
            throws Exception {
        final CoalescingWorkload.Result exact = w.run(true);
        final CoalescingWorkload.Result co = w.run(false);
        final int optimum = w.gridOptimum();
        final String report = w.name + ": exact " + exact + ", coalesced " + co + ", optimum on a 1 s RTC " + optimum
                + ", continuous optimum " + w.optimum();
        assertEquals(w.alarms(), exact.delivered(), report);
        assertEquals(w.alarms(), co.delivered(), report);
        assertEquals(0, exact.outsideWindow(), report);
        assertEquals(0, co.outsideWindow(), report);
        assertEquals(0, co.emptyWakes(), "no wake without a delivery: " + report);
        assertTrue(co.hardwareWakes() <= Math.ceil(optimum * 1.10), report);
        if (w.wholeSeconds) {
            assertEquals(w.optimum(), optimum, "on whole seconds both optima agree: " + report);
        }
        assertTrue(co.hardwareWakes() < exact.hardwareWakes() * 0.6, "coalescing saves wakes: " + report);
        assertEquals(0, co.windowedPastEnd(), "a window holding a whole second is met: " + report);
    }
}
