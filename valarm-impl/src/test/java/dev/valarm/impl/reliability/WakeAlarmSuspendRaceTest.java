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
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.WakeAlarm;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
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
    private GatedRtc rtc;
    private ValarmDevice device;
    private SimulatedSuspendBlocker blocker;
    private LogCapture log;

    /** The simulated RTC, with PROGRAM calls that wait for a permit while the gate is closed. */
    private static final class GatedRtc implements RtcBackend {
        private final SimulatedRtc rtc;
        private final Semaphore permits = new Semaphore(0);
        private final Semaphore entered = new Semaphore(0);
        private volatile boolean gated;

        GatedRtc(final SimulatedRtc rtc) {
            this.rtc = rtc;
        }

        void close(final boolean gate) {
            gated = gate;
        }

        /** Waits until a PROGRAM call waits at the gate. */
        void awaitEntered() throws InterruptedException {
            assertTrue(entered.tryAcquire(10, TimeUnit.SECONDS), "the dispatcher never called PROGRAM");
        }

        /** Lets one waiting PROGRAM call through. */
        void let() {
            permits.release();
        }

        @Override
        public String name() {
            return "gated-" + rtc.name();
        }

        @Override
        public RtcCapabilities capabilities() {
            return rtc.capabilities();
        }

        @Override
        public Timespec readTime() {
            return rtc.readTime();
        }

        @Override
        public void setTime(final Timespec time) {
            rtc.setTime(time);
        }

        @Override
        public void programAlarm(final Timespec time) {
            if (gated) {
                entered.release();
                permits.acquireUninterruptibly();
            }
            rtc.programAlarm(time);
        }

        @Override
        public void cancelAlarm() {
            rtc.cancelAlarm();
        }

        @Override
        public WakeAlarm readAlarm() {
            return rtc.readAlarm();
        }

        @Override
        public void setAlarmListener(final Runnable listener) {
            rtc.setAlarmListener(listener);
        }

        @Override
        public void close() {
            rtc.close();
        }
    }

    @BeforeEach
    void start() {
        log = new LogCapture();
        machine = SimulatedMachine.builder().build();
        rtc = new GatedRtc(machine.rtc());
        device = machine.newDevice(b -> b.rtcBackend(rtc));
        blocker = machine.suspendBlocker();
    }

    @AfterEach
    void stop() {
        rtc.close(false);
        rtc.let();
        rtc.let();
        device.close();
        log.close();
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
        rtc.close(true);
        final long due = rtcSeconds() + 60;
        h.set(RTC_WAKEUP, in(h, RTC_WAKEUP, 60));
        assertTrue(blocker.isHeld(TAG), "set returned with the hardware not programmed and no wakelock held");
        rtc.awaitEntered();
        assertTrue(blocker.isHeld(TAG), "released before the write completed");
        assertFalse(machine.rtc().alarm().enabled(), "the write was gated");
        rtc.let();
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
        rtc.close(true);
        final long acquired = blocker.acquisitions();
        a.set(ELAPSED_REALTIME_WAKEUP, in(a, ELAPSED_REALTIME_WAKEUP, 60));
        rtc.awaitEntered(); // the dispatcher writes A's alarm
        b.set(RTC_WAKEUP, in(b, RTC_WAKEUP, 30)); // earlier: the hardware needs another write
        rtc.let();
        rtc.awaitEntered(); // A's write is done; the dispatcher now writes B's
        assertTrue(blocker.isHeld(TAG), "released after A's write although B's change was not written yet");
        rtc.let();
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
        assertEquals(1, log.count("program wake alarm failed on gated-simulated-rtc"), log.text());
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
        rtc.close(true);
        h.set(RTC_WAKEUP, in(h, RTC_WAKEUP, 60));
        rtc.awaitEntered();
        rtc.let();
        machine.awaitIdle();
        h.set(RTC_WAKEUP, in(h, RTC_WAKEUP, 30));
        assertTrue(blocker.isHeld(TAG));
        rtc.close(false);
        rtc.let();
        device.close();
        assertFalse(blocker.isHeld(TAG), "a closed device holds nothing");
    }
}
