package dev.valarm.impl.reliability;

import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC_WAKEUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SimulatedRtc;
import dev.valarm.impl.sim.SuspendOutcome;
import dev.valarm.spi.WakeAlarm;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The hardware wake alarm converges on "exactly the wanted alarm, or none" whatever fails on the way
 * (issue 15, defect 1): a failed CANCEL or PROGRAM leaves the hardware in an unknown state, and the
 * programmer keeps retrying until it knows the hardware holds what it should.
 */
class HardwareConvergenceTest {
    private static final long SEC = 1_000_000_000L;

    private SimulatedMachine machine;
    private ValarmDevice device;

    @AfterEach
    void stop() {
        if (device != null) {
            device.close();
        }
    }

    private ValarmInstance start() {
        machine = SimulatedMachine.builder().build();
        device = machine.newDevice();
        return device.createInstance();
    }

    private static Timespec in(final ValarmInstance inst, final AlarmType type, final long seconds) {
        return Timespec.ofNanos(inst.now(type).toNanos() + seconds * SEC);
    }

    /** The scenario of the issue: CANCEL fails once, the alarm is cleared, the stale alarm must not wake. */
    @Test
    void aFailedCancelIsRetriedSoTheClearedAlarmNeverWakesTheMachine() {
        final ValarmInstance inst = start();
        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
        h.set(RTC_WAKEUP, in(inst, RTC_WAKEUP, 100));
        machine.awaitIdle();
        assertTrue(machine.rtc().alarm().enabled(), "programmed");
        machine.rtc().failNext(SimulatedRtc.Op.CANCEL, 1, Errno.EIO);
        h.clear(RTC_WAKEUP);
        machine.advance(Duration.ofSeconds(30));
        assertFalse(machine.rtc().alarm().enabled(), "the cancel was retried: " + machine.rtc().alarm());
        final SuspendOutcome o = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.LIMIT_REACHED, o.result(), "no stale wake: " + o);
        assertEquals(2, machine.rtc().calls(SimulatedRtc.Op.CANCEL).size(), "one failed cancel, one retry");
    }

    /** A failed PROGRAM may have left the earlier alarm in the hardware; a CLEAR before the retry must cancel it. */
    @Test
    void aFailedProgramFollowedByAClearCancelsTheAlarmWrittenEarlier() {
        final ValarmInstance inst = start();
        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
        h.set(RTC_WAKEUP, in(inst, RTC_WAKEUP, 100));
        machine.awaitIdle();
        machine.rtc().failNext(SimulatedRtc.Op.PROGRAM, 1, Errno.EIO);
        h.set(RTC_WAKEUP, in(inst, RTC_WAKEUP, 200));
        machine.awaitIdle();
        h.clear(RTC_WAKEUP);
        machine.advance(Duration.ofSeconds(30));
        assertFalse(machine.rtc().alarm().enabled(), "the alarm written earlier was cancelled: " + machine.rtc().alarm());
        assertEquals(SuspendOutcome.Result.LIMIT_REACHED, machine.suspend(Duration.ofHours(1)).result());
    }

    /** A failed RTC read changes nothing in the hardware: the programmer must not forget what it holds. */
    @Test
    void aFailedReadDoesNotMakeTheProgrammerForgetTheProgrammedAlarm() {
        final ValarmInstance inst = start();
        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
        h.set(RTC_WAKEUP, in(inst, RTC_WAKEUP, 100));
        machine.awaitIdle();
        machine.rtc().failNext(SimulatedRtc.Op.READ_TIME, 1, Errno.EIO);
        h.set(RTC_WAKEUP, in(inst, RTC_WAKEUP, 200)); // needs a read before programming: it fails
        machine.awaitIdle();
        h.clear(RTC_WAKEUP);
        machine.advance(Duration.ofSeconds(30));
        assertFalse(machine.rtc().alarm().enabled(), "cancelled: " + machine.rtc().alarm());
        assertEquals(SuspendOutcome.Result.LIMIT_REACHED, machine.suspend(Duration.ofHours(1)).result());
    }

    /**
     * Random SET, CLEAR and fault bursts on PROGRAM, CANCEL and READ_TIME: once the faults stop and the
     * retries had time, the hardware holds exactly the alarm the armed wakeup alarms want, or none.
     */
    @Test
    void underRandomFaultsTheHardwareAlwaysConvergesOnTheWantedAlarm() {
        final ValarmInstance a = start();
        final ValarmInstance b = device.createInstance();
        final AlarmHandle ha = a.open(OpenMode.READ_WRITE);
        final AlarmHandle hb = b.open(OpenMode.READ_WRITE);
        final Random rnd = new Random(15_1);
        final SimulatedRtc.Op[] ops = {SimulatedRtc.Op.PROGRAM, SimulatedRtc.Op.CANCEL, SimulatedRtc.Op.READ_TIME};
        for (int round = 0; round < 300; round++) {
            for (int i = 0; i < 1 + rnd.nextInt(4); i++) {
                if (rnd.nextInt(3) == 0) {
                    machine.rtc().failNext(ops[rnd.nextInt(ops.length)], 1 + rnd.nextInt(3),
                            rnd.nextBoolean() ? Errno.EIO : Errno.EBUSY);
                }
                final AlarmHandle h = rnd.nextBoolean() ? ha : hb;
                final AlarmType type = rnd.nextBoolean() ? RTC_WAKEUP : ELAPSED_REALTIME_WAKEUP;
                final ValarmInstance inst = h == ha ? a : b;
                if (rnd.nextInt(2) == 0) {
                    h.clear(type);
                } else {
                    h.set(type, in(inst, type, 50 + rnd.nextInt(5000)));
                }
                machine.awaitIdle();
            }
            if (rnd.nextInt(4) == 0) {
                // End some rounds with nothing wanted, a fault possibly still armed: the case that went stale.
                for (final AlarmHandle h : new AlarmHandle[] {ha, hb}) {
                    h.clear(RTC_WAKEUP);
                    h.clear(ELAPSED_REALTIME_WAKEUP);
                }
                machine.awaitIdle();
            }
            for (final SimulatedRtc.Op op : ops) {
                machine.rtc().failNext(op, 0, Errno.EIO);
            }
            // Retries back off to at most 30 s of MONOTONIC time; 61 s covers two of them.
            machine.advance(Duration.ofSeconds(61));
            assertEquals(wanted(a, b), machine.rtc().alarm(), "round " + round);
        }
    }

    /** The hardware alarm the armed wakeup alarms of a and b want (1 s RTC, no drift, no clamping here). */
    private WakeAlarm wanted(final ValarmInstance a, final ValarmInstance b) {
        long best = Long.MAX_VALUE;
        for (final ValarmInstance inst : new ValarmInstance[] {a, b}) {
            for (final AlarmType type : new AlarmType[] {RTC_WAKEUP, ELAPSED_REALTIME_WAKEUP}) {
                final var at = inst.snapshot().alarm(type);
                if (at.isPresent()) {
                    final long remaining = at.get().toNanos() - inst.now(type).toNanos();
                    best = Math.min(best, Math.max(0, remaining));
                }
            }
        }
        if (best == Long.MAX_VALUE) {
            return WakeAlarm.DISABLED;
        }
        final long wantedRtc = machine.nanos(ClockBase.REALTIME) + best;
        final long up = Math.floorDiv(wantedRtc + SEC - 1, SEC) * SEC;
        return new WakeAlarm(true, false, Timespec.ofNanos(up));
    }
}
