package dev.valarm.rtc.linux.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import dev.valarm.Timespec;
import dev.valarm.rtc.linux.RtcDeviceBackend;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeAlarm;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tier 2: {@link RtcDeviceBackend} against the FUSE-emulated RTC chip, checked through the chip's state.
 */
final class RtcDeviceBackendFuseTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final long DAY = 86_400;

    private FuseRtcMount mount;
    private RtcDeviceBackend backend;

    @BeforeAll
    static void requireFuse() {
        final String reason = FuseRtcMount.unavailableReason();
        Assumptions.assumeTrue(reason == null, () -> "Tier 2 (FUSE RTC emulator) skipped: " + reason);
    }

    @AfterEach
    void tearDown() {
        if (backend != null) {
            backend.close();
        }
        if (mount != null) {
            mount.close();
        }
    }

    private EmulatedRtcChip start(final EmulatedRtcChip chip, final Duration backendMax) throws Exception {
        mount = FuseRtcMount.mount(chip);
        backend = backendMax == null ? new RtcDeviceBackend(mount.device())
            : new RtcDeviceBackend(mount.device(), backendMax);
        return chip;
    }

    private static EmulatedRtcChip manual(final ManualTimeSource time) {
        return new EmulatedRtcChip(time, Duration.ZERO, EmulatedRtcChip.MC146818_MAX_ALARM);
    }

    private static ManualTimeSource time() {
        return new ManualTimeSource(LocalDateTime.of(2030, 6, 7, 8, 9, 10, 250_000_000).toInstant(ZoneOffset.UTC));
    }

    @Test
    void acceptsARegularFileAndReadsAndSetsTheTime() throws Exception {
        final ManualTimeSource time = time();
        final EmulatedRtcChip chip = start(manual(time), null);
        assertTrue(backend.name().contains(mount.device().toString()), backend.name());
        assertFalse(backend.capabilities().canWake(), "a FUSE file is not a /dev/rtcN that sysfs lets wake");
        assertEquals(Duration.ofSeconds(86_399), backend.capabilities().maxAlarmAhead());
        assertEquals(Duration.ofSeconds(1), backend.capabilities().resolution());
        assertEquals(Timespec.ofSeconds(chip.now().getEpochSecond()), backend.readTime());

        final long target = LocalDateTime.of(2035, 1, 2, 3, 4, 5).toEpochSecond(ZoneOffset.UTC);
        backend.setTime(Timespec.ofSeconds(target, 900_000_000));
        assertEquals(target, chip.now().getEpochSecond(), "sub-second part dropped");
        // FUSE delivers RELEASE after close(2) returns: wait for it rather than race it.
        chip.awaitState("the backend to let go of the device", () -> !chip.isOpen(), WAIT);
    }

    @Test
    void programsRoundedUpReadsBackAndCancels() throws Exception {
        final ManualTimeSource time = time();
        final EmulatedRtcChip chip = start(manual(time), null);
        final long now = chip.now().getEpochSecond();
        backend.programAlarm(Timespec.ofSeconds(now + 100, 1));
        assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + 101), chip.alarm(), "rounded up, never early");
        assertEquals(new WakeAlarm(true, false, Timespec.ofSeconds(now + 101)), backend.readAlarm());

        backend.programAlarm(Timespec.ofSeconds(now + 50));
        assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + 50), chip.alarm(), "replaced, not added");

        backend.cancelAlarm();
        assertFalse(chip.alarm().enabled());
        assertEquals(now + 50, chip.alarm().seconds(), "cancelled with a valid time (WKALM_SET enabled=0)");
        assertEquals(WakeAlarm.DISABLED.enabled(), backend.readAlarm().enabled());
        backend.cancelAlarm(); // nothing armed: harmless
        assertEquals(0, backend.alarmsReplaced());
        assertEquals(0, chip.firedCount());
        assertEquals(0, chip.wkalmSetsRejected());
        chip.awaitState("the backend to let go of the device", () -> !chip.isOpen(), WAIT);
    }

    @Test
    void clampsToTheFurthestAlarm() throws Exception {
        final ManualTimeSource time = time();
        final EmulatedRtcChip chip = start(manual(time), null);
        final long now = chip.now().getEpochSecond();
        backend.programAlarm(Timespec.ofSeconds(now + 3 * DAY));
        assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + DAY - 1), chip.alarm());
        assertEquals(0, chip.wkalmSetsRejected(), "clamped before the chip had to refuse");
    }

    @Test
    void learnsTheWindowFromEinval() throws Exception {
        final ManualTimeSource time = time();
        final EmulatedRtcChip chip = start(manual(time), Duration.ofDays(365).minusSeconds(1));
        final long now = chip.now().getEpochSecond();
        backend.programAlarm(Timespec.ofSeconds(now + 100 * DAY));
        assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + DAY - 1), chip.alarm());
        assertEquals(2, chip.wkalmSetsRejected(), "100 d and then 28 d - 1 s refused, 24 h - 1 s taken");
        assertEquals(Duration.ofSeconds(DAY - 1), backend.capabilities().maxAlarmAhead());
        backend.programAlarm(Timespec.ofSeconds(now + 2 * DAY));
        assertEquals(2, chip.wkalmSetsRejected(), "learned: no more refusals");
        assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + DAY - 1), chip.alarm());
    }

    @Test
    void learnsAMonthWindowToo() throws Exception {
        final ManualTimeSource time = time();
        final EmulatedRtcChip chip = new EmulatedRtcChip(time, Duration.ZERO, Duration.ofDays(28).minusSeconds(1));
        start(chip, Duration.ofDays(365).minusSeconds(1));
        final long now = chip.now().getEpochSecond();
        backend.programAlarm(Timespec.ofSeconds(now + 40 * DAY));
        assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + 28 * DAY - 1), chip.alarm());
        assertEquals(Duration.ofDays(28).minusSeconds(1), backend.capabilities().maxAlarmAhead());
    }

    @Test
    void noticesAnotherWriterStealingTheSlot() throws Exception {
        final ManualTimeSource time = time();
        final EmulatedRtcChip chip = start(manual(time), null);
        final long now = chip.now().getEpochSecond();
        backend.programAlarm(Timespec.ofSeconds(now + 600));
        assertEquals(0, chip.stealAlarm(true, chip.now().plusSeconds(3000)), "rtcwake -s 3000, say");

        assertEquals(new WakeAlarm(true, false, Timespec.ofSeconds(now + 3000)), backend.readAlarm(),
            "readAlarm shows what the chip holds");
        assertEquals(1, backend.alarmsReplaced(), "RTC_WKALM_RD read-back noticed the replacement");
        backend.cancelAlarm();
        assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + 3000), chip.alarm(),
            "cancel leaves someone else's alarm alone");

        backend.programAlarm(Timespec.ofSeconds(now + 700));
        assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + 700), chip.alarm(), "the next programming wins");
        chip.stealAlarm(false, chip.now().plusSeconds(700));
        backend.readAlarm();
        assertEquals(2, backend.alarmsReplaced(), "a disabled alarm before its time counts too");
    }

    @Test
    void retriesEbusyFromASecondOpenerWithBackoff() throws Exception {
        final ManualTimeSource time = time();
        final EmulatedRtcChip chip = start(manual(time), null);
        final long now = chip.now().getEpochSecond();
        final CompletableFuture<Void> programmed;
        try (RtcClient holder = RtcClient.open(mount.device())) {
            assertEquals(now, RtcAbi.tmToSeconds(holder.readTime()), "a chronyd-like holder uses the RTC");
            programmed = CompletableFuture.runAsync(() -> backend.programAlarm(Timespec.ofSeconds(now + 42)));
            chip.awaitState("the backend to be refused with EBUSY", () -> chip.busyRejections() >= 1, WAIT);
            assertFalse(programmed.isDone());
        } // the holder closes: the backend's next retry gets in
        programmed.get(WAIT.getSeconds(), TimeUnit.SECONDS);
        assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + 42), chip.alarm());
    }

    @Test
    void reportsEbusyWhenTheHolderNeverLetsGo() throws Exception {
        final ManualTimeSource time = time();
        final EmulatedRtcChip chip = start(manual(time), null);
        try (RtcClient holder = RtcClient.open(mount.device())) {
            assertEquals(chip.now().getEpochSecond(), RtcAbi.tmToSeconds(holder.readTime()));
            final RtcException e = assertThrows(RtcException.class,
                () -> backend.programAlarm(Timespec.ofSeconds(chip.now().getEpochSecond() + 42)));
            assertEquals(Errno.EBUSY, e.errno());
            assertTrue(e.operation().contains(mount.device().toString()), e.operation());
            assertTrue(chip.busyRejections() >= 2, "it retried: " + chip.busyRejections());
        }
        assertFalse(chip.alarm().enabled());
    }

    @Test
    void tellsTheListenerAfterTheAlarmSecond() throws Exception {
        final EmulatedRtcChip chip = start(EmulatedRtcChip.withHostClock(Duration.ofDays(-1).plusMillis(600)), null);
        final CountDownLatch told = new CountDownLatch(1);
        final AtomicLong chipNanosWhenTold = new AtomicLong();
        final AtomicLong firedWhenTold = new AtomicLong(-1);
        backend.setAlarmListener(() -> {
            chipNanosWhenTold.set(chip.nowNanos());
            firedWhenTold.set(chip.firedCount());
            told.countDown();
        });
        final long alarm = backend.readTime().seconds() + 2;
        backend.programAlarm(Timespec.ofSeconds(alarm));
        assertTrue(told.await(WAIT.getSeconds(), TimeUnit.SECONDS), "listener told");
        assertEquals(1, firedWhenTold.get(), "the chip had fired");
        final long late = chipNanosWhenTold.get() - alarm * 1_000_000_000L;
        assertTrue(late >= 0 && late < 2_000_000_000L, "told " + late + " ns after the alarm second");
        assertFalse(backend.readAlarm().enabled(), "fired alarms read back disabled");
    }
}
