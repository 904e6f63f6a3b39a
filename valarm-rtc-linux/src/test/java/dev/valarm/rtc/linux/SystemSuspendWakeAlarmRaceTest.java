package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SimulatedRtc;
import dev.valarm.rtc.linux.LinuxSuspendBlocker.Mechanism;
import dev.valarm.rtc.linux.internal.LinuxOnly;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A wakeup alarm set a moment before a suspend, through {@link SystemSuspend}: {@code set} returns before the
 * device's dispatcher has programmed the RTC, and until it has, the device holds its own wakelock,
 * {@value #TAG}, so an attempt right after {@code set} is refused and a deferring one waits for the write
 * instead of sleeping past the alarm. The device runs on the simulated machine (its RTC's PROGRAM gated, so the
 * test decides when the dispatcher's write completes) with the {@code process} {@link LinuxSuspendBlocker}
 * over a fake {@code /sys/power} (regular files: the state written shows whether the machine was suspended).
 */
final class SystemSuspendWakeAlarmRaceTest {
    private static final String TAG = "valarm[wake-alarm]";
    private static final long SEC = 1_000_000_000L;

    @TempDir
    Path dir;

    private Path power;
    private SimulatedMachine machine;
    private SimulatedRtc rtc;
    private LinuxSuspendBlocker blocker;
    private ValarmDevice device;
    private SystemSuspend suspender;
    private AlarmHandle handle;

    @BeforeEach
    void start() throws IOException {
        LinuxOnly.assumeLinux();
        power = Files.createDirectories(dir.resolve("power"));
        Files.writeString(power.resolve("state"), "");
        Files.writeString(power.resolve("wakeup_count"), "7\n");
        machine = SimulatedMachine.builder().build();
        rtc = machine.rtc();
        blocker = LinuxSuspendBlocker.open(Mechanism.PROCESS, power, Paths.get("/proc/self"));
        device = machine.newDevice(b -> b.suspendBlocker(blocker));
        suspender = new SystemSuspend(blocker, power);
        handle = device.createInstance().open(OpenMode.READ_WRITE);
    }

    @AfterEach
    void stop() {
        if (device != null) {
            rtc.openGate(SimulatedRtc.Op.PROGRAM);
            device.close(); // closes the blocker too
        }
    }

    private String state() throws IOException {
        return Files.readString(power.resolve("state"));
    }

    private long setWakeup(final long seconds) {
        final long due = rtc.readTime().seconds() + seconds;
        handle.set(AlarmType.RTC_WAKEUP, Timespec.ofNanos(handle.getTime(AlarmType.RTC_WAKEUP).toNanos() + seconds * SEC));
        return due;
    }

    private void awaitProgram() throws InterruptedException {
        assertTrue(rtc.awaitAtGate(SimulatedRtc.Op.PROGRAM, Duration.ofSeconds(10)), "the dispatcher never called PROGRAM");
    }

    @Test
    void anAttemptRightAfterAWakeupAlarmIsSetIsRefusedUntilTheRtcHasIt() throws Exception {
        rtc.closeGate(SimulatedRtc.Op.PROGRAM);
        final long due = setWakeup(60);
        final SuspendAttempt early = suspender.trySuspend();
        assertEquals(SuspendAttempt.Outcome.REFUSED, early.outcome(), "suspended with the RTC holding "
                + rtc.alarm() + " instead of the alarm just set: " + early.detail());
        assertEquals(Set.of(TAG), early.heldTags());
        assertEquals("", state(), "a refused attempt wrote the state file");

        awaitProgram();
        assertEquals(SuspendAttempt.Outcome.REFUSED, suspender.trySuspend().outcome(), "refused while the write is under way");
        rtc.letThrough(SimulatedRtc.Op.PROGRAM);
        machine.awaitIdle();
        assertEquals(Timespec.ofSeconds(due), rtc.alarm().time());
        final SuspendAttempt ok = suspender.trySuspend();
        assertEquals(SuspendAttempt.Outcome.RESUMED, ok.outcome(), ok.detail());
        assertEquals("mem", state());
    }

    @Test
    void aDeferringSuspendWaitsForTheWriteAndThenSuspendsWithTheAlarmInTheRtc() throws Exception {
        rtc.closeGate(SimulatedRtc.Op.PROGRAM);
        final long due = setWakeup(60);
        final AtomicReference<SuspendAttempt> result = new AtomicReference<>();
        final Thread suspending = new Thread(() -> {
            try {
                result.set(suspender.suspend(Duration.ofSeconds(30)));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "suspending");
        suspending.start();
        awaitProgram();
        // Until the attempt has either suspended (the race lost) or waits for the release (in awaitReleased).
        final long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (suspending.isAlive() && suspending.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(System.nanoTime() - end < 0, "the attempt neither finished nor waited: " + suspending.getState());
            LockSupport.parkNanos(1_000_000L);
        }
        assertEquals("", state(), "suspended while the dispatcher was still writing the wake alarm: " + result.get());
        assertTrue(suspending.isAlive(), "the attempt ended: " + result.get());
        rtc.letThrough(SimulatedRtc.Op.PROGRAM);
        suspending.join(Duration.ofSeconds(30).toMillis());
        assertFalse(suspending.isAlive(), "the attempt did not end after the release");
        final SuspendAttempt a = result.get();
        assertEquals(SuspendAttempt.Outcome.RESUMED, a.outcome(), a.detail());
        assertEquals("mem", state());
        assertTrue(rtc.alarm().enabled());
        assertEquals(Timespec.ofSeconds(due), rtc.alarm().time(), "the RTC holds the alarm the suspend waited for");
    }
}
