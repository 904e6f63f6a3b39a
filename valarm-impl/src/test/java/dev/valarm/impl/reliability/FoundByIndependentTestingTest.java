package dev.valarm.impl.reliability;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.RTC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SimulatedMachine;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for the defects of issue 15 ("found by independent testing"), each through the public
 * API as the tester found it. Defect 1 is {@link HardwareConvergenceTest}; the value-level part of defect
 * 2 is {@code TimespecBoundaryTest} in valarm-api.
 */
class FoundByIndependentTestingTest {
    private SimulatedMachine machine;
    private ValarmDevice device;
    private ValarmInstance inst;
    private AlarmHandle rw;

    @BeforeEach
    void start() {
        machine = SimulatedMachine.builder().build();
        device = machine.newDevice();
        inst = device.createInstance();
        rw = inst.open(OpenMode.READ_WRITE);
    }

    @AfterEach
    void stop() {
        device.close();
    }

    /** Defect 2: a time just below the 64-bit nanosecond range is in the past and fires at once. */
    @Test
    void defect2ATimeJustBelowTheNanosecondRangeFiresAtOnce() throws Exception {
        for (final AlarmType type : new AlarmType[] {RTC, ELAPSED_REALTIME}) {
            rw.set(type, new Timespec(-9_223_372_037L, 0));
            machine.awaitIdle();
            assertFalse(inst.snapshot().alarm(type).isPresent(), "fired, not armed for 2262: " + inst.snapshot());
            assertEquals(type.mask(), rw.await(Duration.ZERO).mask(), type + " fired at once");
        }
    }
}
