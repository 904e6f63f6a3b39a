package dev.valarm.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.valarm.AlarmType;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;

/**
 * A wake alarm due at the same instant as the dispatcher's own deadline is still reported as a hardware
 * wake: the simulated machine delivers the interrupt before the dispatcher can cancel the alarm.
 */
class SimulatedWakeReportTest extends SimFixture {

    @RepeatedTest(20)
    void aWakeThatEndsASuspendIsReportedEvenWhenTheDispatcherIsDueAtTheSameInstant() throws Exception {
        device.close();
        final AtomicInteger wakes = new AtomicInteger();
        device = machine.newDevice(b -> b.listener(new DeviceListener() {
            @Override
            public void hardwareFired() {
                wakes.incrementAndGet();
            }
        }));
        rw = device.createInstance().open(dev.valarm.OpenMode.READ_WRITE);
        rw.set(AlarmType.ELAPSED_REALTIME_WAKEUP, in(rw, AlarmType.ELAPSED_REALTIME_WAKEUP, 3)); // whole seconds
        final long before = machine.rtc().firedCount();
        final SuspendOutcome out = machine.suspend(Duration.ofMinutes(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, out.result());
        assertEquals(before + 1, machine.rtc().firedCount(), "the RTC interrupt was delivered");
        machine.awaitIdle();
        assertEquals(1, wakes.get(), "the device saw the wake");
        assertEquals(1, device.stats().hardwareWakes());
        assertEquals(AlarmType.ELAPSED_REALTIME_WAKEUP.mask(), rw.await(Duration.ZERO).mask());
    }
}
