package dev.valarm.impl.reliability;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC;
import static dev.valarm.AlarmType.RTC_WAKEUP;
import static dev.valarm.AlarmType.SYSTEMTIME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.DeviceStats;
import dev.valarm.Errno;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.internal.InstanceState;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SimulatedRtc;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults of the simulated backend: programming and reading fail, the wake interrupt is late or lost, the
 * RTC drifts, the host clock jumps during load, and suspend/resume cycles. Each scenario proves that no
 * alarm is lost, that wakeup alarms end a suspend within the RTC's resolution when the hardware works,
 * and that every fault shows in the log and in {@link DeviceStats}.
 */
class FaultInjectionTest {
    private static final long SEC = 1_000_000_000L;

    private final Report report = new Report("faults");
    private SimulatedMachine machine;
    private ValarmDevice device;
    private LogCapture log;

    private void start(final SimulatedMachine.Builder b) {
        machine = b.build();
        device = machine.newDevice();
    }

    @BeforeEach
    void capture() {
        log = new LogCapture();
    }

    @AfterEach
    void stop() {
        if (device != null) {
            device.close();
        }
        log.close();
    }

    private static Timespec in(final ValarmInstance inst, final AlarmType type, final double seconds) {
        return Timespec.ofNanos(inst.now(type).toNanos() + (long) (seconds * SEC));
    }

    private long failedCalls(final SimulatedRtc.Op op) {
        return machine.rtc().calls(op).stream().filter(c -> !c.succeeded()).count();
    }

    @ParameterizedTest
    @ValueSource(ints = {Errno.EIO, Errno.EBUSY})
    void programmingFailsForNCallsThenSucceedsAndTheAlarmStillWakesTheMachine(final int errno) throws Exception {
        start(SimulatedMachine.builder());
        final ValarmInstance inst = device.createInstance();
        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
        final int n = 4;
        machine.rtc().failNext(SimulatedRtc.Op.PROGRAM, n, errno);
        h.set(RTC_WAKEUP, in(inst, RTC_WAKEUP, 600));
        // Retries back off on MONOTONIC time: 100, 200, 400, 800 ms.
        machine.advance(Duration.ofSeconds(2));
        final DeviceStats s = device.stats();
        assertEquals(n, s.backendFaults(), "every failure counted");
        assertEquals(n, s.backendRetries(), "every failure retried");
        assertEquals(1, s.hardwareWrites(), "then programmed once");
        assertEquals(n, failedCalls(SimulatedRtc.Op.PROGRAM));
        assertTrue(machine.rtc().alarm().enabled());
        assertEquals(n, log.count("program wake alarm failed on simulated-rtc"), log.text());
        assertTrue(log.text().contains(Errno.name(errno)), "the errno is in the log");
        final Timespec alarm = DriverAccess.state(inst).armedTimes().get(RTC_WAKEUP.number()) == null ? null
                : Timespec.ofNanos(DriverAccess.state(inst).armedTimes().get(RTC_WAKEUP.number()));
        final long remaining = alarm.toNanos() - inst.now(RTC_WAKEUP).toNanos();
        final SuspendOutcome o = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result());
        final long error = o.slept().toNanos() - remaining;
        assertTrue(error >= 0 && error <= SEC, "woke within the RTC's resolution: " + error + " ns");
        assertEquals(RTC_WAKEUP.mask(), h.await(Duration.ZERO).mask());
        report.add("injected.program." + Errno.name(errno), n);
    }

    @Test
    void readingTheRtcFailsThenSucceeds() throws Exception {
        start(SimulatedMachine.builder());
        final ValarmInstance inst = device.createInstance();
        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
        machine.rtc().failNext(SimulatedRtc.Op.READ_TIME, 3, Errno.EIO);
        h.set(ELAPSED_REALTIME_WAKEUP, in(inst, ELAPSED_REALTIME_WAKEUP, 30));
        machine.advance(Duration.ofSeconds(1));
        assertEquals(3, device.stats().backendFaults());
        assertEquals(3, device.stats().backendRetries());
        assertEquals(3, log.count("read RTC time failed on simulated-rtc"), log.text());
        final SuspendOutcome o = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result());
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), h.await(Duration.ZERO).mask());
        report.add("injected.readTime.EIO", 3);
    }

    @Test
    void programmingNeverSucceedsTheSuspendOverrunsButNothingIsLostAndTheLatenessIsCounted() throws Exception {
        start(SimulatedMachine.builder());
        final ValarmInstance inst = device.createInstance();
        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
        machine.rtc().failNext(SimulatedRtc.Op.PROGRAM, 1_000_000, Errno.EIO);
        h.set(RTC_WAKEUP, in(inst, RTC_WAKEUP, 60));
        h.set(RTC, in(inst, RTC, 90));
        machine.awaitIdle();
        final SuspendOutcome o = machine.suspend(Duration.ofMinutes(10));
        assertEquals(SuspendOutcome.Result.LIMIT_REACHED, o.result(), "nothing could wake the machine");
        assertEquals(RTC_WAKEUP.mask() | RTC.mask(), h.await(Duration.ZERO).mask(), "delivered on resume");
        final DeviceStats s = device.stats();
        assertEquals(2, s.lateDeliveries(), "both fired minutes late");
        assertTrue(s.backendFaults() >= 1 && log.count("program wake alarm failed") >= 1);
        report.add("injected.program.EIO.permanent", failedCalls(SimulatedRtc.Op.PROGRAM));
    }

    @Test
    void aLateWakeInterruptDeliversLateAndCountsIt() throws Exception {
        start(SimulatedMachine.builder());
        final ValarmInstance inst = device.createInstance();
        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
        machine.rtc().setInterruptDelay(Duration.ofSeconds(3));
        h.set(ELAPSED_REALTIME_WAKEUP, in(inst, ELAPSED_REALTIME_WAKEUP, 100));
        machine.awaitIdle();
        final SuspendOutcome o = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result());
        assertEquals(103 * SEC, o.slept().toNanos(), "the interrupt came 3 s after the alarm time");
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), h.await(Duration.ZERO).mask());
        assertEquals(1, device.stats().lateDeliveries());
        assertEquals(1, device.stats().hardwareWakes());
        report.add("injected.lateInterrupt", 1);
    }

    @Test
    void aLostWakeInterruptLosesNoAlarm() throws Exception {
        start(SimulatedMachine.builder());
        final ValarmInstance inst = device.createInstance();
        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
        machine.rtc().loseNextInterrupts(1);
        h.set(RTC_WAKEUP, in(inst, RTC_WAKEUP, 50));
        h.set(ELAPSED_REALTIME_WAKEUP, in(inst, ELAPSED_REALTIME_WAKEUP, 80));
        machine.awaitIdle();
        SuspendOutcome o = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result());
        assertEquals(50 * SEC, o.slept().toNanos());
        assertEquals(RTC_WAKEUP.mask(), h.await(Duration.ZERO).mask(), "fired without its interrupt");
        h.await(Duration.ZERO); // acknowledge: release the suspend blocker
        o = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result(), "the next wake alarm was programmed");
        assertEquals(30 * SEC, o.slept().toNanos());
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), h.await(Duration.ZERO).mask());
        assertEquals(0, device.stats().lateDeliveries());
        report.add("injected.lostInterrupt", 1);
    }

    @Test
    void aLostInterruptOfAClampedWakeAlarmStillReArmsTheHardware() throws Exception {
        // The RTC reaches at most 24 h - 1 s ahead: an alarm 30 h away is programmed at the limit and
        // re-armed when that early wake comes. If the early wake's interrupt is lost, nothing must stall.
        start(SimulatedMachine.builder());
        final ValarmInstance inst = device.createInstance();
        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
        h.set(ELAPSED_REALTIME_WAKEUP, in(inst, ELAPSED_REALTIME_WAKEUP, 30 * 3600));
        machine.awaitIdle();
        machine.rtc().loseNextInterrupts(1);
        SuspendOutcome o = machine.suspend(Duration.ofHours(48));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result());
        assertEquals(Duration.ofHours(24).minusSeconds(1), o.slept(), "the clamped early wake");
        o = machine.suspend(Duration.ofHours(48));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result(), "re-armed after the lost interrupt");
        assertEquals(Duration.ofHours(6).plusSeconds(1), o.slept());
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), h.await(Duration.ZERO).mask());
        assertEquals(0, device.stats().lateDeliveries());
        assertTrue(device.stats().missedWakeInterrupts() >= 1, "the missing interrupt is counted");
        assertTrue(log.count("passed without its interrupt") >= 1, log.text());
        report.add("injected.lostInterruptOfClampedAlarm", 1);
    }

    @ParameterizedTest
    @ValueSource(longs = {7_300_000_000L, -42_000_000_000L, 3_600_000_000_000L})
    void theRtcDriftsFromHostTimeAndWakesStillComeWithinItsResolution(final long driftNanos) throws Exception {
        start(SimulatedMachine.builder());
        machine.rtc().setDrift(Duration.ofNanos(driftNanos));
        final ValarmInstance inst = device.createInstance();
        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
        final Random rnd = new Random(driftNanos);
        long maxError = 0;
        for (int i = 0; i < 50; i++) {
            final double ahead = 10 + rnd.nextInt(5000) + rnd.nextDouble();
            final AlarmType type = rnd.nextBoolean() ? RTC_WAKEUP : ELAPSED_REALTIME_WAKEUP;
            h.set(type, in(inst, type, ahead));
            machine.awaitIdle();
            final SuspendOutcome o = machine.suspend(Duration.ofHours(3));
            assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result());
            final long error = o.slept().toNanos() - (long) (ahead * SEC);
            assertTrue(error >= 0 && error <= SEC, "woke " + error + " ns after the alarm (resolution 1 s)");
            maxError = Math.max(maxError, error);
            assertEquals(type.mask(), h.await(Duration.ZERO).mask());
            h.await(Duration.ZERO);
        }
        report.put("check.drift" + driftNanos + ".maxWakeErrorNanos", maxError);
        report.add("injected.drift", 1);
    }

    @Test
    void suspendResumeCyclesWithWakeupAndNonWakeupAlarmsPending() throws Exception {
        start(SimulatedMachine.builder());
        final Random rnd = new Random(Report.seed(0x5005_e4dL));
        final List<AlarmHandle> owners = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            final ValarmInstance inst = device.createInstance(dev.valarm.InstanceConfig.builder()
                    .wallClockOffset(Duration.ofSeconds(rnd.nextInt(100_000) - 50_000)).build());
            owners.add(inst.open(OpenMode.READ_WRITE));
        }
        final Map<AlarmType, Long> deliveredByType = new EnumMap<>(AlarmType.class);
        long set = 0;
        long delivered = 0;
        long wokenByAlarm = 0;
        long nonWakeupOnResume = 0;
        long maxWakeError = 0;
        final int cycles = (int) Math.max(20, 300 * Report.scale());
        for (int cycle = 0; cycle < cycles; cycle++) {
            // Re-arm every type that is not armed, at 1 s to 2 h ahead.
            for (final AlarmHandle h : owners) {
                final InstanceState st = DriverAccess.state(h.instance());
                for (final AlarmType t : AlarmType.values()) {
                    if ((st.enabled() & t.mask()) == 0 && rnd.nextInt(3) == 0) {
                        h.set(t, in(h.instance(), t, 1 + rnd.nextInt(7200) + rnd.nextDouble()));
                        set++;
                    }
                }
            }
            machine.awaitIdle();
            // The earliest wakeup alarm, as a distance on host time.
            long earliest = Long.MAX_VALUE;
            for (final AlarmHandle h : owners) {
                final InstanceState st = DriverAccess.state(h.instance());
                for (final AlarmType t : new AlarmType[] {RTC_WAKEUP, ELAPSED_REALTIME_WAKEUP}) {
                    if ((st.enabled() & t.mask()) != 0) {
                        earliest = Math.min(earliest, st.armedTimes().get(t.number()) - h.instance().now(t).toNanos());
                    }
                }
            }
            final SuspendOutcome o = machine.suspend(Duration.ofHours(3));
            if (earliest != Long.MAX_VALUE) {
                assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result(), "cycle " + cycle);
                final long error = o.slept().toNanos() - earliest;
                assertTrue(error >= 0 && error <= SEC, "cycle " + cycle + ": woke " + error + " ns after the earliest wakeup alarm");
                maxWakeError = Math.max(maxWakeError, error);
                wokenByAlarm++;
            }
            // On resume everything due has fired, wakeup or not; collect and acknowledge.
            for (final AlarmHandle h : owners) {
                final InstanceState st = DriverAccess.state(h.instance());
                for (final AlarmType t : AlarmType.values()) {
                    if ((st.enabled() & t.mask()) != 0) {
                        assertTrue(st.armedTimes().get(t.number()) > h.instance().now(t).toNanos(),
                                "cycle " + cycle + ": a due " + t + " alarm did not fire on resume");
                    }
                }
                final AlarmEvents ev = h.await(Duration.ZERO);
                for (final AlarmType t : ev.firedTypes()) {
                    deliveredByType.merge(t, 1L, Long::sum);
                    delivered++;
                    if (!t.isWakeup()) {
                        nonWakeupOnResume++;
                    }
                }
                h.await(Duration.ZERO);
            }
            assertTrue(machine.suspendBlocker().heldTags().isEmpty(), "acknowledged: nothing blocks the next suspend");
        }
        // Drain: let every remaining alarm come, awake.
        machine.advance(Duration.ofHours(3));
        for (final AlarmHandle h : owners) {
            for (final AlarmType t : h.await(Duration.ZERO).firedTypes()) {
                deliveredByType.merge(t, 1L, Long::sum);
                delivered++;
            }
        }
        assertEquals(set, delivered, "every alarm set was delivered: nothing lost");
        assertEquals(0, device.stats().armedAlarms());
        report.put("suspend.cycles", cycles).put("suspend.wokenByAlarm", wokenByAlarm).put("suspend.alarmsSet", set)
                .put("suspend.delivered", delivered).put("suspend.nonWakeupDeliveredOnResume", nonWakeupOnResume)
                .put("suspend.maxWakeErrorNanos", maxWakeError).put("suspend.hardwareWrites", device.stats().hardwareWrites())
                .put("suspend.hardwareWakes", device.stats().hardwareWakes());
        deliveredByType.forEach((t, n) -> report.put("suspend.delivered." + t, n));
        assertTrue(deliveredByType.getOrDefault(SYSTEMTIME, 0L) > 0 && deliveredByType.getOrDefault(RTC, 0L) > 0
                && deliveredByType.getOrDefault(ELAPSED_REALTIME, 0L) > 0);
    }

    @Test
    void hostClockJumpsADayForwardAndBackAndBackendFaultsDuringLoad() throws Exception {
        final long[] injected = new long[4];
        final Report r;
        try (LogCapture quiet = new LogCapture()) {
            r = LoadTest.runSimulated("load-host-jumps-and-faults", 2000,
                    Duration.ofMillis((long) (5000 * Math.max(0.25, Report.scale()))), true, (m, rnd) -> {
                        final int k = rnd.nextInt(400);
                        if (k == 0) {
                            m.rtc().failNext(SimulatedRtc.Op.PROGRAM, 1 + rnd.nextInt(4), rnd.nextBoolean() ? Errno.EIO : Errno.EBUSY);
                            injected[0]++;
                        } else if (k == 1) {
                            m.rtc().failNext(SimulatedRtc.Op.READ_TIME, 1 + rnd.nextInt(3), Errno.EIO);
                            injected[1]++;
                        } else if (k == 2) {
                            m.rtc().loseNextInterrupts(1);
                            injected[2]++;
                        } else if (k == 3) {
                            m.rtc().setDrift(Duration.ofMillis(rnd.nextInt(20_000) - 10_000));
                            injected[3]++;
                        }
                    });
            assertTrue((Long) r.get("hostClockJumps") >= 2, "the host clock jumped: " + r.get("hostClockJumps"));
            assertTrue(quiet.count("failed on simulated-rtc") >= (Long) r.get("backendFaults") || (Long) r.get("backendFaults") == 0);
        }
        report.put("load.programFaultBursts", injected[0]).put("load.readTimeFaultBursts", injected[1])
                .put("load.lostInterruptsArmed", injected[2]).put("load.driftChanges", injected[3])
                .put("load.backendFaults", r.get("backendFaults")).put("load.hostClockJumps", r.get("hostClockJumps"));
    }

    @AfterEach
    void writeReport() {
        // Each test adds its numbers; the file accumulates over the class run.
        ReportAccumulator.merge(report);
    }

    /** Keeps the fault numbers of every test of the class in one file. */
    static final class ReportAccumulator {
        private static final Report ALL = new Report("faults");

        static synchronized void merge(final Report r) {
            r.values().forEach((k, v) -> {
                if (v instanceof Long && ALL.get(k) instanceof Long && k.startsWith("injected.")) {
                    ALL.add(k, (Long) v);
                } else {
                    ALL.put(k, v);
                }
            });
            ALL.write();
        }
    }
}
