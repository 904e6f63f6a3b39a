package dev.valarm.impl.schedule;

import dev.valarm.AlarmType;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SimulatedMachine;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The contract on {@link InstanceScheduler} over a simulated machine: time moves only through
 * {@link #pass}, so every delay is exact in simulated terms and no test waits for real time to pass.
 */
class InstanceSchedulerSimulatedContractTest extends ScheduledExecutorContract {
    private SimulatedMachine machine;
    private ValarmDevice device;
    private ValarmInstance firstInstance;

    @Override
    ScheduledExecutorService create(final int threads) {
        if (machine == null) {
            machine = SimulatedMachine.builder().build();
            device = machine.newDevice();
        }
        final ValarmInstance instance = device.createInstance();
        if (firstInstance == null) {
            firstInstance = instance;
        }
        return InstanceScheduler.builder(instance).threads(threads).build();
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

    @Override
    long now() {
        return firstInstance.now(AlarmType.ELAPSED_REALTIME).toNanos();
    }

    @Override
    int queued(final ScheduledExecutorService e) {
        return ((InstanceScheduler) e).queuedTasks();
    }
}
