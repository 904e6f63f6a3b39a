package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SimulatedRtc;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** README.md's simulated-machine example, verbatim between the markers (valarm's ReadmeSnippetsTest). */
class MachineTest {

    @Test
    void theSimulatedMachineMovesOnlyWhenTold() throws Exception {
        // --- README simulated machine ---
        SimulatedMachine machine = SimulatedMachine.builder().build();
        ValarmDevice device = machine.newDevice();
        machine.advance(Duration.ofSeconds(5));     // returns once everything due has fired
        machine.suspend(Duration.ofHours(1));       // ends at the programmed RTC wake alarm
        machine.rtc().calls(SimulatedRtc.Op.PROGRAM);  // every hardware programming, logged
        // --- end ---
        try (device) {
            final var alarm = device.createInstance().open(OpenMode.READ_WRITE);
            final long now = alarm.getTime(AlarmType.ELAPSED_REALTIME_WAKEUP).toNanos();
            alarm.set(AlarmType.ELAPSED_REALTIME_WAKEUP, Timespec.ofNanos(now + Duration.ofMinutes(10).toNanos()));
            final Duration slept = machine.suspend(Duration.ofHours(1)).slept();
            assertTrue(slept.compareTo(Duration.ofMinutes(10)) >= 0 && slept.compareTo(Duration.ofSeconds(601)) <= 0,
                    "the wake alarm ended the suspend: " + slept);
            assertEquals(1, machine.rtc().calls(SimulatedRtc.Op.PROGRAM).size());
        }
    }
}
