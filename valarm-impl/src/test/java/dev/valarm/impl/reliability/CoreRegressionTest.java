package dev.valarm.impl.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.Errno;
import dev.valarm.ClockRangeException;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.internal.InstanceState;
import dev.valarm.impl.sim.SimulatedMachine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Regression tests for core bugs the reliability work found. */
class CoreRegressionTest {
    private SimulatedMachine machine;
    private ValarmDevice device;
    private ValarmInstance inst;
    private AlarmHandle rw;

    @BeforeEach
    void start() {
        machine = SimulatedMachine.builder().build();
        device = machine.newDevice(b -> b.maxWaitersPerInstance(2));
        inst = device.createInstance();
        rw = inst.open(OpenMode.READ_WRITE);
    }

    @AfterEach
    void stop() {
        device.close();
    }

    /**
     * Found by ApiFuzzTest: SET_RTC to a time whose offset from the host clock overflowed 64 bits saturated
     * the offset and silently put the instance's clock somewhere else (setRtc(year -10^9) read 1733). Since
     * the clock-range rule (issue 15) such a time is ClockRangeException (ERANGE), state unchanged.
     */
    @Test
    void setRtcToAnUnrepresentableTimeFailsWithErangeAndChangesNothing() {
        final InstanceState before = DriverAccess.state(inst);
        final Timespec now = inst.now(AlarmType.RTC);
        for (final Timespec t : new Timespec[] {new Timespec(Long.MIN_VALUE, 0), Timespec.ofNanos(Long.MIN_VALUE),
            Timespec.ofSeconds(-8_000_000_000L), new Timespec(Long.MAX_VALUE, 999_999_999),
            Timespec.ofSeconds(Long.MAX_VALUE / 1_000_000_000L + 1), Timespec.ofSeconds(-5_000_000_000L),
            Timespec.ofSeconds(4_611_686_019L)}) {
            final ClockRangeException e = assertThrows(ClockRangeException.class, () -> rw.setRtc(t), t.toString());
            assertEquals(Errno.ERANGE, e.errno());
        }
        assertEquals(before, DriverAccess.state(inst));
        assertEquals(now, inst.now(AlarmType.RTC));
        rw.setRtc(Timespec.ofSeconds(-4_400_000_000L)); // 1830: inside the clock range, works
        assertEquals(-4_400_000_000L, inst.now(AlarmType.RTC).seconds());
    }

    /**
     * Found by review of the waiter bound: cancelled asynchronous waiters stayed in the instance's queue
     * until the next awaitAsync and counted against the limit, so a blocking WAIT was refused with ENOSPC
     * although nobody was waiting.
     */
    @Test
    void cancelledAsynchronousWaitersDoNotCountAgainstTheWaiterLimit() throws Exception {
        final java.util.concurrent.CompletableFuture<dev.valarm.AlarmEvents> a = rw.awaitAsync();
        final java.util.concurrent.CompletableFuture<dev.valarm.AlarmEvents> b = rw.awaitAsync();
        a.cancel(false);
        b.cancel(false);
        final java.util.concurrent.CompletableFuture<dev.valarm.AlarmEvents> blocked =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return rw.await(java.time.Duration.ofSeconds(30));
                    } catch (final InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
        while (DriverAccess.state(inst).blockingWaiters() == 0 && !blocked.isDone()) {
            Thread.onSpinWait();
        }
        inst.open(OpenMode.READ_WRITE).setRtc(inst.now(AlarmType.RTC));
        assertEquals(dev.valarm.AlarmEvents.TIME_CHANGE_MASK, blocked.get(10, java.util.concurrent.TimeUnit.SECONDS).mask());
        assertEquals(0, DriverAccess.state(inst).asyncWaiters(), "no cancelled waiter lingers");
    }
}
