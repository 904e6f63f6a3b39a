package example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.valarm.ValarmDevice;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.micrometer.ValarmMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** valarm-micrometer resolves through the BOM and binds a device. */
class MetricsTest {

    @Test
    void aDeviceIsBoundToARegistry() {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final ValarmMetrics metrics = ValarmMetrics.builder(registry).build();
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        try (ValarmDevice device = machine.newDevice(b -> b.listener(metrics.listener()))) {
            metrics.bind(device);
            device.createInstance();
            assertEquals(1.0, registry.get(ValarmMetrics.INSTANCES).gauge().value());
        }
    }
}
