package dev.valarm.impl;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC;
import static dev.valarm.AlarmType.RTC_WAKEUP;
import static dev.valarm.AlarmType.SYSTEMTIME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.ClockRangeException;
import dev.valarm.DeviceStats;
import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.InstanceSnapshot;
import dev.valarm.InvalidSnapshotException;
import dev.valarm.OpenMode;
import dev.valarm.RestoreOptions;
import dev.valarm.Timespec;
import dev.valarm.ValarmClosedException;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmException;
import dev.valarm.ValarmInstance;
import dev.valarm.ValarmLimitException;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SuspendOutcome;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Snapshot, restore and unshare on simulated machines. */
class MigrationTest extends SimFixture {
    private static final int TC = AlarmEvents.TIME_CHANGE_MASK;

    /** Remaining seconds per type armed by {@link #armAll}. */
    private static final Map<AlarmType, Integer> REMAINING = new EnumMap<>(Map.of(
            RTC_WAKEUP, 50, RTC, 40, ELAPSED_REALTIME_WAKEUP, 30, ELAPSED_REALTIME, 20, SYSTEMTIME, 10));

    private final List<ValarmDevice> extraDevices = new ArrayList<>();

    @AfterEach
    void closeExtraDevices() {
        extraDevices.forEach(ValarmDevice::close);
    }

    private SimulatedMachine otherMachine(final SimulatedMachine.Builder b) {
        return b.build();
    }

    private ValarmDevice deviceOn(final SimulatedMachine m) {
        return deviceOn(m, 1 << 20);
    }

    private ValarmDevice deviceOn(final SimulatedMachine m, final int maxInstances) {
        final ValarmDevice d = m.newDevice(b -> b.threadName("valarm-target").maxInstances(maxInstances));
        extraDevices.add(d);
        return d;
    }

    private static void armAll(final AlarmHandle h) {
        for (final AlarmType t : AlarmType.values()) {
            h.set(t, in(h, t, REMAINING.get(t)));
        }
    }

    /** Advances {@code m} through every alarm of {@link #armAll}, checking each fires exactly on time. */
    private static void expectArmAllFiring(final SimulatedMachine m, final AlarmHandle h) throws Exception {
        int elapsed = 0;
        for (final int secs : new int[] {10, 20, 30, 40, 50}) {
            m.advance(Duration.ofSeconds(secs - elapsed).minusMillis(1));
            assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO), "nothing early before " + secs + " s");
            m.advance(Duration.ofMillis(1));
            final AlarmEvents ev = h.await(Duration.ZERO);
            final AlarmType expected = REMAINING.entrySet().stream().filter(e -> e.getValue() == secs)
                    .findFirst().orElseThrow().getKey();
            assertEquals(expected.mask(), ev.mask(), "at " + secs + " s");
            elapsed = secs;
        }
    }

    @Nested
    class Snapshot {
        @Test
        void describesTheInstanceAndLeavesItUnchanged() throws Exception {
            armAll(rw);
            rw.setRtc(Timespec.ofSeconds(rw.getTime(RTC).seconds() - 3600)); // offset -1 h, TC pending
            final InstanceSnapshot s = inst.snapshot();
            assertEquals(inst.minor(), s.minor());
            assertEquals(inst.name(), s.name());
            for (final AlarmType t : AlarmType.values()) {
                assertEquals(inst.now(t), s.now(t), t + " clock");
            }
            assertEquals(inst.wallClockOffset(), s.wallClockOffset());
            assertEquals(host(ClockBase.REALTIME) + s.wallClockOffset().toNanos(), s.realtime().toNanos());
            assertEquals(AlarmType.ALL_TYPES_MASK, s.armedMask());
            for (final AlarmType t : AlarmType.values()) {
                final long expected = t.clockBase() == ClockBase.REALTIME
                        ? REMAINING.get(t) * SEC + 3600 * SEC : REMAINING.get(t) * SEC;
                assertEquals(Optional.of(Duration.ofNanos(expected)), s.remaining(t), t.toString());
            }
            assertEquals(AlarmEvents.of(TC), s.pendingEvents());
            assertFalse(s.waitResultOutstanding());
            assertEquals(s, InstanceSnapshot.fromBytes(s.toBytes()));
            // The source is untouched: its events and alarms are all still there.
            assertEquals(TC, rw.await(Duration.ZERO).mask());
            assertEquals(5, device.stats().armedAlarms());
            assertTrue(inst.snapshot().waitResultOutstanding(), "a WAIT result is now outstanding");
        }

        @Test
        void recordsFiredButUncollectedEvents() throws Exception {
            rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 1));
            advanceSeconds(1);
            final InstanceSnapshot s = inst.snapshot();
            assertEquals(SYSTEMTIME.mask(), s.pendingEvents().mask());
            assertEquals(0, s.armedMask());
        }

        @Test
        void isAtomicWhileAlarmsFire() throws Exception {
            for (int round = 0; round < 50; round++) {
                for (final AlarmType t : AlarmType.values()) {
                    rw.set(t, in(rw, t, 0.001 * (t.number() + 1)));
                }
                final Thread time = new Thread(() -> machine.advance(Duration.ofMillis(10)), "advance");
                time.start();
                int seen = 0;
                while (time.isAlive() || seen == 0) {
                    final InstanceSnapshot s = inst.snapshot();
                    final int fired = s.pendingEvents().typeMask();
                    assertEquals(0, s.armedMask() & fired, "a type is either armed or fired, never both: " + s);
                    assertEquals(AlarmType.ALL_TYPES_MASK, s.armedMask() | fired, "no type is lost: " + s);
                    seen++;
                }
                time.join(WAIT.toMillis());
                assertEquals(AlarmType.ALL_TYPES_MASK, rw.await(Duration.ZERO).mask());
            }
        }

        @Test
        void aClosedInstanceCannotBeSnapshotted() {
            inst.close();
            assertEquals(Errno.ENODEV, assertThrows(ValarmClosedException.class, inst::snapshot).errno());
        }
    }

    @Nested
    class RestoreOnTheSameMachine {
        @Test
        void aRoundTripKeepsClocksAlarmsAndEvents() throws Exception {
            armAll(rw);
            rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 0)); // fires at once: SYSTEMTIME pending, now disarmed
            machine.awaitIdle();
            rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 10));
            final byte[] bytes = inst.snapshot().toBytes();
            inst.close();
            final ValarmInstance back = device.restore(InstanceSnapshot.fromBytes(bytes));
            machine.awaitIdle();
            final InstanceSnapshot s = InstanceSnapshot.fromBytes(bytes);
            assertEquals(s.minor(), back.minor());
            assertEquals(s.name(), back.name());
            for (final AlarmType t : AlarmType.values()) {
                assertEquals(s.now(t), back.now(t), "no time passed: " + t);
            }
            assertEquals(s.wallClockOffset(), back.wallClockOffset());
            final AlarmHandle h = back.open(OpenMode.READ_WRITE);
            assertFalse(h.isOwner(), "a restored instance has no owner");
            assertEquals(SYSTEMTIME.mask(), h.await(Duration.ZERO).mask(),
                    "the first WAIT returns the pending events; no time-change since the wall clock did not move");
            expectArmAllFiring(machine, h);
            assertEquals(s, InstanceSnapshot.fromBytes(s.toBytes()));
        }

        @Test
        void suspendBetweenSnapshotAndRestore() throws Exception {
            armAll(rw);
            final InstanceSnapshot s = inst.snapshot();
            inst.close();
            final SuspendOutcome out = machine.suspend(Duration.ofSeconds(45));
            assertEquals(SuspendOutcome.Result.LIMIT_REACHED, out.result(), "the closed instance armed nothing");
            final ValarmInstance back = device.restore(s);
            machine.awaitIdle();
            // ELAPSED and SYSTEMTIME continue from the snapshot: the 45 s do not count on them.
            assertEquals(s.boottime(), back.now(ELAPSED_REALTIME));
            assertEquals(s.monotonic(), back.now(SYSTEMTIME));
            // The wall clock followed the host through the suspend.
            assertEquals(s.realtime().toNanos() + 45 * SEC, back.now(RTC).toNanos());
            final AlarmHandle h = back.open(OpenMode.READ_WRITE);
            assertEquals(RTC.mask() | TC, h.await(Duration.ZERO).mask(),
                    "RTC (40 s) passed during the suspend and fires at once; the wall clock moved: time-change");
            advanceSeconds(4.999);
            assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO));
            advanceSeconds(0.001);
            assertEquals(RTC_WAKEUP.mask(), h.await(Duration.ZERO).mask(), "RTC_WAKEUP kept its wall time");
            advanceSeconds(5);
            assertEquals(SYSTEMTIME.mask(), h.await(Duration.ZERO).mask(), "SYSTEMTIME kept its 10 s");
            advanceSeconds(10);
            assertEquals(ELAPSED_REALTIME.mask(), h.await(Duration.ZERO).mask(), "ELAPSED kept its 20 s");
            assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO), "acknowledges: the suspend blocker is released");
            // The restored wakeup alarm reaches the hardware: a suspend now ends at its time.
            final SuspendOutcome again = machine.suspend(Duration.ofHours(1));
            assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, again.result());
            assertEquals(Duration.ofSeconds(10), again.slept());
            assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), h.await(WAIT).mask());
        }

        @Test
        void continueKeepsTheWallClockFromTheSnapshot() throws Exception {
            rw.set(RTC, in(rw, RTC, 30));
            final InstanceSnapshot s = inst.snapshot();
            inst.close();
            machine.suspend(Duration.ofMinutes(10));
            final ValarmInstance back = device.restore(s,
                    RestoreOptions.builder().wallClock(RestoreOptions.WallClock.CONTINUE).build());
            assertEquals(s.realtime(), back.now(RTC));
            final AlarmHandle h = back.open(OpenMode.READ_WRITE);
            assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO), "no time-change under CONTINUE");
            advanceSeconds(29.999);
            assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO));
            advanceSeconds(0.001);
            assertEquals(RTC.mask(), h.await(Duration.ZERO).mask(), "the RTC alarm kept its remaining time");
        }

        @Test
        void toleranceWindowsSurviveTheMove() throws Exception {
            rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 10), Duration.ofSeconds(20));
            final InstanceSnapshot s = inst.snapshot();
            assertEquals(Optional.of(Duration.ofSeconds(20)), s.window(ELAPSED_REALTIME_WAKEUP));
            inst.close();
            final ValarmInstance back = device.restore(InstanceSnapshot.fromBytes(s.toBytes()));
            assertEquals(s.window(ELAPSED_REALTIME_WAKEUP), back.snapshot().window(ELAPSED_REALTIME_WAKEUP));
            final AlarmHandle h = back.open(OpenMode.READ_WRITE);
            advanceSeconds(29.999);
            assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO), "alone, a windowed alarm fires at its end");
            advanceSeconds(0.001);
            assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), h.await(Duration.ZERO).mask());
            // The child of an unshare inherits windows too.
            h.set(RTC_WAKEUP, in(h, RTC_WAKEUP, 5), Duration.ofSeconds(7));
            final ValarmInstance child = back.unshare(InstanceConfig.defaults(), true);
            assertEquals(Optional.of(Duration.ofSeconds(7)), child.snapshot().window(RTC_WAKEUP));
        }

        @Test
        void optionsChooseTheMinorAndName() {
            final InstanceSnapshot s = inst.snapshot();
            final ValarmInstance any = device.restore(s, RestoreOptions.builder().minor(InstanceConfig.ANY_MINOR).build());
            assertNotSame(inst, any);
            assertEquals(1, any.minor());
            assertEquals(s.name(), any.name());
            final ValarmInstance named = device.restore(s, RestoreOptions.builder().minor(77).name("moved").build());
            assertEquals(77, named.minor());
            assertEquals("moved", named.name());
            assertEquals(3, device.instances().size());
        }

        @Test
        void theNewOwnerIsWhoeverAsksFirstAndItsCloseDiscardsEverything() throws Exception {
            armAll(rw);
            final InstanceSnapshot s = inst.snapshot();
            inst.close();
            final ValarmInstance back = device.restore(s);
            final AlarmHandle a = back.open(OpenMode.READ_WRITE);
            final AlarmHandle b = back.open(OpenMode.READ_WRITE);
            b.clear(RTC);
            assertTrue(b.isOwner());
            assertEquals(Errno.EBUSY, assertThrows(ValarmException.class, () -> a.clear(RTC)).errno());
            assertEquals(4, device.stats().armedAlarms());
            b.close();
            assertEquals(0, device.stats().armedAlarms(), "the owner's close cancels the restored alarms");
        }
    }

    @Nested
    class RestoreOnAnotherMachine {
        @Test
        void clocksContinueOnAHostWithAnotherBootAndWallClock() throws Exception {
            armAll(rw);
            final InstanceSnapshot s = inst.snapshot();
            // Booted 5 s ago (far less than the source's 1000 s), wall clock a year later.
            final SimulatedMachine target = otherMachine(SimulatedMachine.builder()
                    .realtime(Instant.parse("2027-01-01T00:00:00Z")).sinceBoot(Duration.ofSeconds(5)));
            final ValarmDevice dev2 = deviceOn(target);
            final ValarmInstance back = dev2.restore(InstanceSnapshot.fromBytes(s.toBytes()));
            target.awaitIdle();
            assertEquals(s.boottime(), back.now(ELAPSED_REALTIME_WAKEUP), "boottime never goes backwards");
            assertEquals(s.monotonic(), back.now(SYSTEMTIME));
            assertEquals(target.nanos(ClockBase.REALTIME) + s.wallClockOffset().toNanos(), back.now(RTC).toNanos());
            final AlarmHandle h = back.open(OpenMode.READ_WRITE);
            assertEquals(RTC_WAKEUP.mask() | RTC.mask() | TC, h.await(Duration.ZERO).mask(),
                    "a year later both wall-clock alarms are overdue; the wall clock moved");
            target.advance(Duration.ofSeconds(10));
            assertEquals(SYSTEMTIME.mask(), h.await(Duration.ZERO).mask());
            target.advance(Duration.ofSeconds(9));
            assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO));
            target.advance(Duration.ofSeconds(1));
            assertEquals(ELAPSED_REALTIME.mask(), h.await(Duration.ZERO).mask());
            assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO), "acknowledges: the suspend blocker is released");
            final SuspendOutcome out = target.suspend(Duration.ofHours(1));
            assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, out.result());
            assertEquals(Duration.ofSeconds(10), out.slept(), "the target's RTC wakes it for ELAPSED_WAKEUP");
            assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), h.await(WAIT).mask());
            assertEquals(s.boottime().toNanos() + 30 * SEC, back.now(ELAPSED_REALTIME).toNanos());
        }

        @Test
        void anEarlierHostWallClockDelaysWallClockAlarmsByTheDifference() throws Exception {
            rw.set(RTC, in(rw, RTC, 60));
            rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 60));
            final InstanceSnapshot s = inst.snapshot();
            final SimulatedMachine target = otherMachine(SimulatedMachine.builder()
                    .realtime(Instant.parse("2025-12-31T23:00:00Z")).sinceBoot(Duration.ofDays(30)));
            final ValarmDevice dev2 = deviceOn(target);
            final ValarmInstance back = dev2.restore(s);
            final AlarmHandle h = back.open(OpenMode.READ_WRITE);
            assertEquals(TC, h.await(Duration.ZERO).mask(), "the wall clock moved back an hour");
            target.advance(Duration.ofSeconds(60));
            assertEquals(ELAPSED_REALTIME.mask(), h.await(Duration.ZERO).mask(), "ELAPSED keeps its remaining time");
            target.advance(Duration.ofSeconds(3599));
            assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO));
            target.advance(Duration.ofSeconds(1));
            assertEquals(RTC.mask(), h.await(Duration.ZERO).mask(), "RTC keeps its wall-clock time");
        }

        @Test
        void aRoundTripThroughTwoMachinesAndBackLosesNothing() throws Exception {
            armAll(rw);
            final SimulatedMachine target = otherMachine(SimulatedMachine.builder().sinceBoot(Duration.ofSeconds(1)));
            final ValarmDevice dev2 = deviceOn(target);
            final ValarmInstance there = dev2.restore(inst.snapshot(),
                    RestoreOptions.builder().wallClock(RestoreOptions.WallClock.CONTINUE).build());
            inst.close();
            target.advance(Duration.ofSeconds(5));
            final InstanceSnapshot s2 = there.snapshot();
            there.close();
            final ValarmInstance home = device.restore(s2,
                    RestoreOptions.builder().wallClock(RestoreOptions.WallClock.CONTINUE).build());
            final AlarmHandle h = home.open(OpenMode.READ_WRITE);
            assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO));
            // 5 s were spent on the target: every alarm has 5 s less to go.
            for (final AlarmType t : AlarmType.values()) {
                assertEquals(Optional.of(Duration.ofSeconds(REMAINING.get(t) - 5)), s2.remaining(t), t.toString());
            }
            advanceSeconds(5);
            assertEquals(SYSTEMTIME.mask(), h.await(Duration.ZERO).mask());
        }
    }

    @Nested
    class Rejections {
        private List<ValarmInstance> before;
        private DeviceStats statsBefore;

        private void remember(final ValarmDevice d) {
            before = d.instances();
            statsBefore = d.stats();
        }

        private void assertUnchanged(final ValarmDevice d) {
            assertSameInstancesAndAlarms(d);
            assertEquals(statsBefore.alarmsSet(), d.stats().alarmsSet());
        }

        private void assertSameInstancesAndAlarms(final ValarmDevice d) {
            assertEquals(before, d.instances());
            assertEquals(statsBefore.armedAlarms(), d.stats().armedAlarms());
        }

        @Test
        void aTakenMinorIsEexistAndChangesNothing() {
            armAll(rw);
            final InstanceSnapshot s = inst.snapshot();
            remember(device);
            final ValarmLimitException e = assertThrows(ValarmLimitException.class, () -> device.restore(s));
            assertEquals(Errno.EEXIST, e.errno());
            assertTrue(e.getMessage().contains(Integer.toString(s.minor())), e.getMessage());
            assertUnchanged(device);
        }

        @Test
        void theInstanceLimitIsEnospcAndChangesNothing() {
            final ValarmDevice small = deviceOn(otherMachine(SimulatedMachine.builder()), 1);
            small.createInstance(InstanceConfig.builder().minor(5).build());
            armAll(rw);
            remember(small);
            assertEquals(Errno.ENOSPC, assertThrows(ValarmLimitException.class,
                    () -> small.restore(inst.snapshot())).errno());
            assertUnchanged(small);
        }

        @Test
        void anOffsetOverflowIsErangeAndChangesNothing() {
            final InstanceSnapshot s = InstanceSnapshot.builder().minor(9).name("far")
                    .clocks(Timespec.ZERO, Timespec.ofNanos(Long.MIN_VALUE), Timespec.ZERO)
                    .alarm(RTC, Timespec.ofSeconds(1)).build();
            remember(device);
            final ClockRangeException e = assertThrows(ClockRangeException.class, () -> device.restore(s));
            assertEquals(Errno.ERANGE, e.errno());
            assertTrue(e.getMessage().contains("boot-time"), e.getMessage());
            assertUnchanged(device);
            assertTrue(device.instance(9).isEmpty());
        }

        @Test
        void aClosedDeviceIsEnodev() {
            final InstanceSnapshot s = inst.snapshot();
            inst.close();
            device.close();
            assertEquals(Errno.ENODEV, assertThrows(ValarmClosedException.class, () -> device.restore(s)).errno());
        }

        @Test
        void fuzzedSnapshotsRestoreOrFailCleanlyWithoutSideEffects() {
            armAll(rw);
            rw.setRtc(Timespec.ofSeconds(1_900_000_000L));
            final byte[] good = inst.snapshot().toBytes();
            inst.close();
            final SplittableRandom rnd = new SplittableRandom(6);
            int restored = 0;
            int rejected = 0;
            for (int i = 0; i < 1500; i++) {
                final byte[] bytes = good.clone();
                final int changes = 1 + rnd.nextInt(3);
                for (int c = 0; c < changes; c++) {
                    bytes[4 + rnd.nextInt(bytes.length - 8)] = (byte) rnd.nextInt(256);
                }
                if (rnd.nextInt(4) != 0) {
                    reseal(bytes); // mostly reach field validation and the device's checks
                }
                remember(device);
                final ValarmInstance in;
                try {
                    in = device.restore(InstanceSnapshot.fromBytes(bytes));
                } catch (final ValarmException e) {
                    assertTrue(e instanceof InvalidSnapshotException || e instanceof ValarmLimitException
                            || e instanceof ClockRangeException, e.toString());
                    assertUnchanged(device);
                    rejected++;
                    continue;
                }
                restored++;
                assertEquals(before.size() + 1, device.instances().size());
                in.close();
                assertSameInstancesAndAlarms(device);
            }
            assertTrue(restored > 0 && rejected > 0, "restored " + restored + ", rejected " + rejected);
            machine.awaitIdle();
        }

        private void reseal(final byte[] bytes) {
            final CRC32 crc = new CRC32();
            crc.update(bytes, 0, bytes.length - 4);
            ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());
        }
    }

    @Nested
    class Unshare {
        @Test
        void theChildSeesTheParentsClocks() {
            rw.setRtc(Timespec.ofSeconds(2_000_000_000L));
            final ValarmInstance child = inst.unshare(InstanceConfig.defaults(), false);
            assertNotSame(inst, child);
            assertEquals(1, child.minor());
            for (final AlarmType t : AlarmType.values()) {
                assertEquals(inst.now(t), child.now(t), t.toString());
            }
            assertEquals(inst.wallClockOffset(), child.wallClockOffset());
            assertEquals(0, child.snapshot().armedMask());
            assertEquals(AlarmEvents.NONE, child.snapshot().pendingEvents(), "events are never inherited");
        }

        @Test
        void childOffsetsAreRelativeToTheParent() {
            final ValarmInstance parent = device.createInstance(InstanceConfig.builder()
                    .boottimeOffset(Duration.ofHours(1)).monotonicOffset(Duration.ofHours(2)).build());
            final ValarmInstance child = parent.unshare(InstanceConfig.builder().minor(30).name("kid")
                    .wallClockOffset(Duration.ofSeconds(-7)).boottimeOffset(Duration.ofSeconds(10))
                    .monotonicOffset(Duration.ofSeconds(-20)).build(), false);
            assertEquals(30, child.minor());
            assertEquals("kid", child.name());
            assertEquals(parent.now(RTC).toNanos() - 7 * SEC, child.now(RTC).toNanos());
            assertEquals(parent.now(ELAPSED_REALTIME).toNanos() + 10 * SEC, child.now(ELAPSED_REALTIME).toNanos());
            assertEquals(parent.now(SYSTEMTIME).toNanos() - 20 * SEC, child.now(SYSTEMTIME).toNanos());
        }

        @Test
        void copiedAlarmsFireWithTheParentsAndTheTwoAreIndependent() throws Exception {
            armAll(rw);
            final ValarmInstance child = inst.unshare(InstanceConfig.builder()
                    .wallClockOffset(Duration.ofHours(1)).boottimeOffset(Duration.ofSeconds(100)).build(), true);
            final InstanceSnapshot cs = child.snapshot();
            for (final AlarmType t : AlarmType.values()) {
                assertEquals(Optional.of(Duration.ofSeconds(REMAINING.get(t))), cs.remaining(t),
                        t + " keeps its remaining time in the child");
            }
            final InstanceSnapshot ps = inst.snapshot();
            assertEquals(ps.alarm(RTC).orElseThrow().toNanos() + 3600 * SEC, cs.alarm(RTC).orElseThrow().toNanos(),
                    "the RTC alarm was shifted by the child's wall-clock offset");
            assertEquals(ps.alarm(ELAPSED_REALTIME).orElseThrow().toNanos() + 100 * SEC,
                    cs.alarm(ELAPSED_REALTIME).orElseThrow().toNanos(), "the ELAPSED alarm by its boot-time offset");
            assertEquals(ps.alarm(SYSTEMTIME), cs.alarm(SYSTEMTIME), "SYSTEMTIME not at all (zero offset)");
            assertEquals(10, device.stats().armedAlarms());
            final AlarmHandle ch = child.open(OpenMode.READ_WRITE);
            // Independence: the parent's SET_RTC and owner close leave the child alone.
            rw.setRtc(Timespec.ofSeconds(rw.getTime(RTC).seconds() + 7200));
            rw.close();
            assertEquals(5, device.stats().armedAlarms());
            assertEquals(AlarmEvents.NONE, ch.await(Duration.ZERO), "no time-change reached the child");
            assertEquals(cs.wallClockOffset(), child.wallClockOffset());
            expectArmAllFiring(machine, ch);
            inst.close();
            assertFalse(child.isClosed());
        }

        @Test
        void withoutCopyTheChildHasNoAlarmsAndTheParentKeepsItsOwn() throws Exception {
            rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 1));
            final ValarmInstance child = inst.unshare(InstanceConfig.defaults(), false);
            final AlarmHandle ch = child.open(OpenMode.READ_WRITE);
            ch.set(SYSTEMTIME, in(ch, SYSTEMTIME, 1));
            advanceSeconds(1);
            assertEquals(ELAPSED_REALTIME.mask(), rw.await(Duration.ZERO).mask());
            assertEquals(SYSTEMTIME.mask(), ch.await(Duration.ZERO).mask());
        }

        @Test
        void limitsAndClosedParentsAreReported() {
            inst.unshare(InstanceConfig.builder().minor(3).build(), false);
            assertEquals(Errno.EEXIST, assertThrows(ValarmLimitException.class,
                    () -> inst.unshare(InstanceConfig.builder().minor(3).build(), true)).errno());
            // 100 years is inside the clock range; the child's 100 + 100 years is not.
            final InstanceConfig huge = InstanceConfig.builder().boottimeOffset(Duration.ofDays(36_500)).build();
            final ValarmInstance far = device.createInstance(huge);
            assertEquals(Errno.ERANGE, assertThrows(ClockRangeException.class, () -> far.unshare(huge, false)).errno());
            assertEquals(3, device.instances().size());
            inst.close();
            assertEquals(Errno.ENODEV, assertThrows(ValarmClosedException.class,
                    () -> inst.unshare(InstanceConfig.defaults(), false)).errno());
        }
    }
}
