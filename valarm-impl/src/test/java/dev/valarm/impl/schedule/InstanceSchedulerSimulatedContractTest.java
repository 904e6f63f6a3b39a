package dev.valarm.impl.schedule;

import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SimulatedMachine;
import java.time.Duration;

/**
 * The contract on {@link InstanceScheduler} over a simulated machine: time moves only through
 * {@link #pass}, so every delay is exact in simulated terms and no test waits for real time to pass.
 */
class InstanceSchedulerSimulatedContractTest extends InstanceSchedulerContract {
    private final SimulatedMachine machine = SimulatedMachine.builder().build();
    private ValarmDevice device;

    @Override
    ValarmInstance newInstance() {
        if (device == null) {
            device = machine.newDevice();
        }
        return device.createInstance();
    }

    @Override
    void release() {
        if (device != null) {
            device.close();
        }
    }

    @Override
    void pass(final Duration d) {
        machine.advance(d);
    }
}
