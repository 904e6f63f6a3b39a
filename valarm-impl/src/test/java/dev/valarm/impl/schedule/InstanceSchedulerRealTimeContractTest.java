package dev.valarm.impl.schedule;

import dev.valarm.AlarmType;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.jdk.JdkHostClocks;
import dev.valarm.impl.jdk.NoWakeRtcBackend;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract on {@link InstanceScheduler} over a device on the JDK's real clocks (the portable backend),
 * one device for the class, a fresh instance per executor.
 */
class InstanceSchedulerRealTimeContractTest extends ScheduledExecutorContract {
    private static ValarmDevice device;
    private ValarmInstance firstInstance;

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
    ScheduledExecutorService create(final int threads) {
        final ValarmInstance instance = device.createInstance();
        if (firstInstance == null) {
            firstInstance = instance;
        }
        return InstanceScheduler.builder(instance).threads(threads).build();
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

    @Override
    long now() {
        return firstInstance.now(AlarmType.ELAPSED_REALTIME).toNanos();
    }

    @Override
    int queued(final ScheduledExecutorService e) {
        return ((InstanceScheduler) e).queuedTasks();
    }
}
