package dev.valarm.rtc.linux.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.DeviceListener;
import dev.valarm.impl.Valarm;
import dev.valarm.rtc.linux.LinuxHostClocks;
import dev.valarm.rtc.linux.RtcDeviceBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tier 2: the device multiplexer ({@link Valarm}) over {@link RtcDeviceBackend} over the FUSE-emulated RTC
 * chip, with the Linux host clocks (timerfds). Many instances share the one hardware slot; the chip shows what
 * the device programmed. Deadlines are real time: far-away deadlines are only programmed, short ones are
 * waited for with generous timeouts.
 */
final class ValarmDeviceOverFuseRtcTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long SEC = 1_000_000_000L;

    private FuseRtcMount mount;
    private RtcDeviceBackend backend;
    private ValarmDevice device;
    private EmulatedRtcChip chip;
    private final Recorder recorder = new Recorder();

    /** Records the device's hardware decisions. */
    private static final class Recorder implements DeviceListener {
        final Queue<String> programmed = new ConcurrentLinkedQueue<>();
        final Queue<RuntimeException> faults = new ConcurrentLinkedQueue<>();

        @Override
        public void hardwareProgrammed(final Timespec rtcTime, final boolean clamped, final long remainingNanos,
                final boolean written) {
            programmed.add(rtcTime.seconds() + (clamped ? " clamped" : "") + (written ? "" : " not-written"));
        }

        @Override
        public void backendFault(final String operation, final RuntimeException error) {
            faults.add(error);
        }

        long clampedCount() {
            return programmed.stream().filter(s -> s.endsWith(" clamped")).count();
        }
    }

    @BeforeAll
    static void requireFuse() {
        final String reason = FuseRtcMount.unavailableReason();
        Assumptions.assumeTrue(reason == null, () -> "Tier 2 (FUSE RTC emulator) skipped: " + reason);
    }

    @AfterEach
    void tearDown() {
        try {
            if (device != null) {
                device.close();
            }
        } finally {
            if (mount != null) {
                mount.close();
            }
        }
    }

    private void start(final Duration chipOffset, final Duration chipMax, final Duration backendMax) throws Exception {
        chip = new EmulatedRtcChip(RtcTimeSource.host(), chipOffset, chipMax);
        mount = FuseRtcMount.mount(chip);
        // A FUSE file is not described by sysfs: declare that it can wake, as a user of such an RTC would.
        backend = new RtcDeviceBackend(mount.device(), backendMax, true);
        device = Valarm.builder().hostClocks(LinuxHostClocks.open()).rtcBackend(backend)
            .listener(recorder).build();
    }

    private static Timespec in(final AlarmHandle h, final AlarmType type, final long seconds) {
        return Timespec.ofNanos(h.getTime(type).toNanos() + seconds * SEC);
    }

    /** Waits until the chip holds an enabled alarm about {@code ahead} seconds after its clock. */
    private void awaitChipAlarmAhead(final String what, final long ahead) throws InterruptedException {
        chip.awaitState(what + " (chip alarm about now + " + ahead + " s)", () -> {
            final EmulatedRtcChip.AlarmSlot slot = chip.alarm();
            final long delta = slot.seconds() - chip.now().getEpochSecond();
            return slot.enabled() && delta >= ahead - 2 && delta <= ahead + 1;
        }, WAIT);
    }

    @Test
    void manyInstancesShareTheSlotAtTheEarliestWakeupDeadline() throws Exception {
        start(Duration.ofDays(1).plusHours(3).plusMillis(420), EmulatedRtcChip.MC146818_MAX_ALARM,
            RtcDeviceBackend.DEFAULT_MAX_ALARM_AHEAD);
        final int n = 48;
        final List<ValarmInstance> instances = new ArrayList<>();
        final AlarmHandle[] byRank = new AlarmHandle[n];
        final AlarmType[] typeByRank = new AlarmType[n];
        for (int i = 0; i < n; i++) {
            final ValarmInstance inst = device.createInstance();
            instances.add(inst);
            final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
            final int rank = (i * 29) % n; // a permutation of 0..n-1: deadlines arrive out of order
            final AlarmType type = i % 2 == 0 ? AlarmType.ELAPSED_REALTIME_WAKEUP : AlarmType.RTC_WAKEUP;
            h.set(type, in(h, type, 3600 + rank * 60L));
            byRank[rank] = h;
            typeByRank[rank] = type;
        }
        // alarms that do not wake must not reach the hardware, however early
        final AlarmHandle quiet = device.createInstance().open(OpenMode.READ_WRITE);
        quiet.set(AlarmType.ELAPSED_REALTIME, in(quiet, AlarmType.ELAPSED_REALTIME, 60));
        quiet.set(AlarmType.RTC, in(quiet, AlarmType.RTC, 90));

        awaitChipAlarmAhead("the earliest wakeup deadline of " + n + " instances", 3600);
        byRank[0].clear(typeByRank[0]);
        awaitChipAlarmAhead("the next one after clearing the earliest", 3660);
        instances.get(1).close(); // rank 29: not the head, no change
        byRank[1].clear(typeByRank[1]);
        awaitChipAlarmAhead("the third", 3720);
        assertTrue(device.stats().hardwareWrites() <= n + 3, "hardware writes " + device.stats().hardwareWrites());
        for (final ValarmInstance inst : instances) {
            inst.close();
        }
        chip.awaitState("the slot to be cancelled when no wakeup alarm is left", () -> !chip.alarm().enabled(), WAIT);
        assertEquals(0, chip.firedCount());
        assertEquals(0, chip.wkalmSetsRejected());
        assertEquals(0, backend.alarmsReplaced());
        chip.awaitState("the backend to close the device after cancelling (it never holds it)", () -> !chip.isOpen(),
            WAIT);
    }

    @Test
    void learnsAWindowBelowADayByHalvingInsteadOfRetryingForever() throws Exception {
        start(Duration.ZERO, Duration.ofHours(12), RtcDeviceBackend.DEFAULT_MAX_ALARM_AHEAD);
        final AlarmHandle h = device.createInstance().open(OpenMode.READ_WRITE);
        h.set(AlarmType.ELAPSED_REALTIME_WAKEUP, in(h, AlarmType.ELAPSED_REALTIME_WAKEUP, 20 * 3600));
        // 20 h is refused by a 12 h chip; the backend halves its window to 10 h and the chip takes it.
        awaitChipAlarmAhead("the alarm clamped to the learned window", 10 * 3600);
        assertEquals(Duration.ofHours(10), backend.capabilities().maxAlarmAhead());
        assertEquals(0, device.stats().backendFaults(), "learned inside one programming, no retry loop");
    }

    @Test
    void clampsToTheChipWindowAndReArmsOnEachEarlyWake() throws Exception {
        clampScenario();
    }

    /**
     * The same while the host clock is stepped every 100 ms (to its own reading: microseconds each time), as the CI
     * machines' clock keeping does. Every step is a host clock change after which the device reads the 1 s chip
     * again. Once, each such read moved the clamped alarm on to the new "now + 3 s", so the early wake never came.
     * Now a clamped alarm stays while it serves: one clamped programming per early wake. (Each read knows the
     * chip's time only to the second, so the exact alarm of the last seconds may still move by one second at a
     * step: the offsets are taken fresh from every read, as the wake's accuracy needs.)
     */
    @Test
    void clampsAndReArmsWhileTheHostClockIsSteppedTenTimesASecond() throws Exception {
        Assumptions.assumeTrue(FuseRtcMount.isRoot(), "stepping the host clock needs root");
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        final java.util.concurrent.atomic.AtomicLong steps = new java.util.concurrent.atomic.AtomicLong();
        final Thread stepper = new Thread(() -> {
            while (!stop.get()) {
                dev.valarm.rtc.linux.guest.RawRtc.clockSet(0, dev.valarm.rtc.linux.guest.RawRtc.clockNanos(0));
                steps.incrementAndGet();
                java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
            }
        }, "host-clock-stepper");
        stepper.setDaemon(true);
        stepper.start();
        try {
            clampScenario();
        } finally {
            stop.set(true);
            stepper.join(10_000);
        }
        assertTrue(steps.get() >= 20, "the host clock was stepped " + steps.get() + " times");
        assertTrue(device.stats().clockChanges() >= 10, device.stats().toString());
        assertTrue(recorder.clampedCount() <= chip.firedCount(), "one clamped programming per early wake, not one"
            + " per host clock step: " + chip.firedCount() + " wakes, programmed " + recorder.programmed);
    }

    private void clampScenario() throws Exception {
        start(Duration.ofMinutes(-17), Duration.ofSeconds(3), Duration.ofSeconds(3));
        final AlarmHandle h = device.createInstance().open(OpenMode.READ_WRITE);
        final Timespec deadline = in(h, AlarmType.ELAPSED_REALTIME_WAKEUP, 8);
        h.set(AlarmType.ELAPSED_REALTIME_WAKEUP, deadline);
        final long giveUp = System.nanoTime() + WAIT.toNanos();
        AlarmEvents events = AlarmEvents.NONE;
        while (!events.fired(AlarmType.ELAPSED_REALTIME_WAKEUP) && System.nanoTime() < giveUp) {
            events = h.await(WAIT); // TIME_CHANGE events come when other tests on this machine set the host clock
        }
        assertTrue(events.fired(AlarmType.ELAPSED_REALTIME_WAKEUP), "fired: " + events);
        assertTrue(h.getTime(AlarmType.ELAPSED_REALTIME_WAKEUP).compareTo(deadline) >= 0, "not early");
        assertTrue(chip.firedCount() >= 2, "the 3 s chip woke early at least twice: " + chip.firedCount()
            + ", programmed " + recorder.programmed);
        assertTrue(recorder.clampedCount() >= 2, "programmed " + recorder.programmed);
        assertTrue(device.stats().hardwareWakes() >= 2, device.stats().toString());
        assertEquals(0, device.stats().missedWakeInterrupts(), "every early wake was reported, none lost in a re-arm");
        assertEquals(0, chip.wkalmSetsRejected(), "never beyond the window");
        chip.awaitState("the slot to be cancelled after the last alarm", () -> !chip.alarm().enabled(), WAIT);
    }

    @Test
    void takesTheSlotBackFromRtcwake() throws Exception {
        start(Duration.ofHours(2), EmulatedRtcChip.MC146818_MAX_ALARM, RtcDeviceBackend.DEFAULT_MAX_ALARM_AHEAD);
        final AlarmHandle a = device.createInstance().open(OpenMode.READ_WRITE);
        a.set(AlarmType.ELAPSED_REALTIME_WAKEUP, in(a, AlarmType.ELAPSED_REALTIME_WAKEUP, 600));
        awaitChipAlarmAhead("our alarm", 600);

        Assumptions.assumeTrue(java.nio.file.Files.isExecutable(java.nio.file.Paths.get("/usr/sbin/rtcwake")),
            "rtcwake (util-linux) not installed");
        final Path dev = mount.bindUnderDev();
        final Process p = new ProcessBuilder("rtcwake", "-m", "no", "-u", "-d", dev.toString(), "-s", "5000")
            .redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "rtcwake hung: " + out);
        assertEquals(0, p.exitValue(), out);
        awaitChipAlarmAhead("rtcwake's alarm", 5001);

        final AlarmHandle b = device.createInstance().open(OpenMode.READ_WRITE);
        b.set(AlarmType.RTC_WAKEUP, in(b, AlarmType.RTC_WAKEUP, 300));
        awaitChipAlarmAhead("ours again at the next programming", 300);
        assertEquals(1, backend.alarmsReplaced(), "the read-back noticed rtcwake's alarm");
    }

    @Test
    void ridesOutEbusyFromASecondOpener() throws Exception {
        start(Duration.ZERO, EmulatedRtcChip.MC146818_MAX_ALARM, RtcDeviceBackend.DEFAULT_MAX_ALARM_AHEAD);
        final AlarmHandle h = device.createInstance().open(OpenMode.READ_WRITE);
        try (RtcClient holder = RtcClient.open(mount.device())) {
            assertTrue(chip.isOpen());
            h.set(AlarmType.ELAPSED_REALTIME_WAKEUP, in(h, AlarmType.ELAPSED_REALTIME_WAKEUP, 900));
            chip.awaitState("the device to report a busy backend", () -> !recorder.faults.isEmpty(), WAIT);
            assertTrue(chip.busyRejections() >= 2, "backend retried: " + chip.busyRejections());
            assertFalse(chip.alarm().enabled());
            assertEquals(0, holder.readWakeAlarm().getByte(0), "the holder sees no alarm yet");
        }
        awaitChipAlarmAhead("the device's retry after the holder closed", 900);
        assertTrue(device.stats().backendFaults() >= 1 && device.stats().backendRetries() >= 1,
            device.stats().toString());
    }

    @Test
    void closingTheDeviceCancelsTheSlot() throws Exception {
        start(Duration.ofSeconds(-30), EmulatedRtcChip.MC146818_MAX_ALARM, RtcDeviceBackend.DEFAULT_MAX_ALARM_AHEAD);
        final AlarmHandle h = device.createInstance().open(OpenMode.READ_WRITE);
        h.set(AlarmType.RTC_WAKEUP, in(h, AlarmType.RTC_WAKEUP, 7200));
        awaitChipAlarmAhead("the alarm", 7200);
        device.close();
        assertFalse(chip.alarm().enabled(), "closing the device cancels its wake alarm");
        assertEquals(0, backend.alarmsReplaced());
    }
}
