package dev.valarm.impl.reliability;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC_WAKEUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.Errno;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SimulatedRtc;
import dev.valarm.impl.sim.SimulatedSuspendBlocker;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A wakeup alarm set a moment before a suspend: the dispatcher programs the hardware after {@code set} returns,
 * so from the caller's change until that write (or its logged failure) the device holds its own wakelock,
 * {@value #TAG}, and a suspend that honours wakelocks waits instead of sleeping past the alarm. Deterministic:
 * the RTC's PROGRAM call is gated, so the test decides when the dispatcher's write completes.
 */
final class WakeAlarmSuspendRaceTest {
    private static final String TAG = "valarm[wake-alarm]";
    private static final long SEC = 1_000_000_000L;

    private SimulatedMachine machine;
    private SimulatedRtc rtc;
    private ValarmDevice device;
    private SimulatedSuspendBlocker blocker;
    private LogCapture log;

    @BeforeEach
    void start() {
        log = new LogCapture();
        machine = SimulatedMachine.builder().build();
        rtc = machine.rtc();
        device = machine.newDevice();
        blocker = machine.suspendBlocker();
    }

    @AfterEach
    void stop() {
        rtc.openGate(SimulatedRtc.Op.PROGRAM);
        device.close();
        log.close();
    }

    /** Waits until the dispatcher's PROGRAM call waits at the closed gate. */
    private void awaitProgram() throws InterruptedException {
        assertTrue(rtc.awaitAtGate(SimulatedRtc.Op.PROGRAM, Duration.ofSeconds(10)), "the dispatcher never called PROGRAM");
    }

    private static AlarmHandle owner(final ValarmDevice d) {
        return d.createInstance().open(OpenMode.READ_WRITE);
    }

    private static Timespec in(final AlarmHandle h, final AlarmType type, final long seconds) {
        return Timespec.ofNanos(h.getTime(type).toNanos() + seconds * SEC);
    }

    private long rtcSeconds() {
        return machine.rtc().readTime().seconds();
    }

    @Test
    void aWakeupAlarmSetAMomentBeforeASuspendHoldsTheWakelockUntilTheHardwareHasIt() throws Exception {
        final AlarmHandle h = owner(device);
        rtc.closeGate(SimulatedRtc.Op.PROGRAM);
        final long due = rtcSeconds() + 60;
        h.set(RTC_WAKEUP, in(h, RTC_WAKEUP, 60));
        assertTrue(blocker.isHeld(TAG), "set returned with the hardware not programmed and no wakelock held");
        awaitProgram();
        assertTrue(blocker.isHeld(TAG), "released before the write completed");
        assertFalse(machine.rtc().alarm().enabled(), "the write was gated");
        rtc.letThrough(SimulatedRtc.Op.PROGRAM);
        machine.awaitIdle();
        assertFalse(blocker.isHeld(TAG), "still held after the write");
        assertEquals(Timespec.ofSeconds(due), machine.rtc().alarm().time());
        // The suspend that waited for the release does not sleep past the alarm.
        final SuspendOutcome o = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result());
        assertEquals(Duration.ofSeconds(60), o.slept());
        assertTrue(h.await(Duration.ZERO).fired(RTC_WAKEUP));
    }

    @Test
    void aChangeWhileTheDispatcherWritesKeepsTheWakelockUntilThatChangeIsWrittenToo() throws Exception {
        final AlarmHandle a = owner(device);
        final AlarmHandle b = owner(device);
        rtc.closeGate(SimulatedRtc.Op.PROGRAM);
        final long acquired = blocker.acquisitions();
        a.set(ELAPSED_REALTIME_WAKEUP, in(a, ELAPSED_REALTIME_WAKEUP, 60));
        awaitProgram(); // the dispatcher writes A's alarm
        b.set(RTC_WAKEUP, in(b, RTC_WAKEUP, 30)); // earlier: the hardware needs another write
        rtc.letThrough(SimulatedRtc.Op.PROGRAM);
        awaitProgram(); // A's write is done; the dispatcher now writes B's
        assertTrue(blocker.isHeld(TAG), "released after A's write although B's change was not written yet");
        rtc.letThrough(SimulatedRtc.Op.PROGRAM);
        machine.awaitIdle();
        assertFalse(blocker.isHeld(TAG));
        assertEquals(Timespec.ofSeconds(rtcSeconds() + 30), machine.rtc().alarm().time());
        assertEquals(1, blocker.acquisitions() - acquired, "acquired once for both changes");
    }

    @Test
    void aFailedWriteReleasesTheWakelockAndSaysSo() {
        final AlarmHandle h = owner(device);
        machine.rtc().failNext(SimulatedRtc.Op.PROGRAM, 1, Errno.EIO);
        h.set(RTC_WAKEUP, in(h, RTC_WAKEUP, 60));
        machine.awaitIdle();
        assertFalse(blocker.isHeld(TAG), "the dispatcher gave up (for now): the wakelock must not stay held");
        assertEquals(1, log.count("program wake alarm failed on simulated-rtc"), log.text());
        machine.advance(Duration.ofSeconds(1)); // the retry writes it
        assertTrue(machine.rtc().alarm().enabled());
        assertFalse(blocker.isHeld(TAG));
    }

    @Test
    void changesThatDoNotMoveTheEarliestWakeupTakeNoWakelock() {
        final AlarmHandle a = owner(device);
        final AlarmHandle b = owner(device);
        a.set(RTC_WAKEUP, in(a, RTC_WAKEUP, 60));
        machine.awaitIdle();
        final long acquired = blocker.acquisitions();
        b.set(RTC_WAKEUP, in(b, RTC_WAKEUP, 600)); // later than its type's head
        b.set(ELAPSED_REALTIME, in(b, ELAPSED_REALTIME, 5)); // not a wakeup alarm
        machine.awaitIdle();
        assertEquals(acquired, blocker.acquisitions());
        b.clear(RTC_WAKEUP); // was not the head either
        machine.awaitIdle();
        assertEquals(acquired, blocker.acquisitions());
        a.clear(RTC_WAKEUP); // the head: the hardware alarm is cancelled, under the wakelock
        assertTrue(blocker.isHeld(TAG) || !machine.rtc().alarm().enabled(), "neither held nor cancelled yet");
        machine.awaitIdle();
        assertFalse(blocker.isHeld(TAG));
        assertFalse(machine.rtc().alarm().enabled());
    }

    @Test
    void aBackendThatCannotWakeTakesNoWakelock() {
        final SimulatedMachine m = SimulatedMachine.builder().rtcCanWake(false).build();
        try (ValarmDevice d = m.newDevice()) {
            final AlarmHandle h = owner(d);
            h.set(RTC_WAKEUP, in(h, RTC_WAKEUP, 60));
            assertFalse(m.suspendBlocker().isHeld(TAG), "nothing is written to a backend that cannot wake");
            m.awaitIdle();
            assertEquals(0, m.suspendBlocker().acquisitions());
        }
    }

    @Test
    void closingTheDeviceWhileAChangeWaitsReleasesTheWakelock() throws Exception {
        final AlarmHandle h = owner(device);
        rtc.closeGate(SimulatedRtc.Op.PROGRAM);
        h.set(RTC_WAKEUP, in(h, RTC_WAKEUP, 60));
        awaitProgram(); // the dispatcher writes the first change
        h.set(RTC_WAKEUP, in(h, RTC_WAKEUP, 30)); // a second one, which no pass will write: the device closes
        final Thread closer = new Thread(device::close, "closer");
        closer.start();
        final long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!device.isClosed()) {
            assertTrue(System.nanoTime() - end < 0, "close() did not begin");
            LockSupport.parkNanos(1_000_000L);
        }
        assertTrue(blocker.isHeld(TAG));
        rtc.letThrough(SimulatedRtc.Op.PROGRAM); // the first write completes; the dispatcher then stops
        closer.join(Duration.ofSeconds(20).toMillis());
        assertFalse(closer.isAlive(), "close() did not return");
        assertFalse(blocker.isHeld(TAG), "a closed device holds nothing");
    }
}
