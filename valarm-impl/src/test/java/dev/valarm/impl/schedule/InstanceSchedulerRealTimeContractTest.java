package dev.valarm.impl.schedule;

import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.jdk.JdkHostClocks;
import dev.valarm.impl.jdk.NoWakeRtcBackend;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract on {@link InstanceScheduler} over a device on the JDK's real clocks (the portable backend),
 * one device for the class, a fresh instance per executor.
 */
class InstanceSchedulerRealTimeContractTest extends InstanceSchedulerContract {
    private static ValarmDevice device;

    @BeforeAll
    static void openDevice() {
        final JdkHostClocks clocks = new JdkHostClocks();
        device = Valarm.builder().hostClocks(clocks).rtcBackend(new NoWakeRtcBackend(clocks)).build();
    }

    @AfterAll
    static void closeDevice() {
        device.close();
    }

    @Override
    ValarmInstance newInstance() {
        return device.createInstance();
    }

    @Override
    void release() {
        for (final ValarmInstance in : device.instances()) {
            in.close();
        }
    }

    @Override
    void pass(final Duration d) {
        // The real clock passes by itself while the test waits for the events.
    }
}
