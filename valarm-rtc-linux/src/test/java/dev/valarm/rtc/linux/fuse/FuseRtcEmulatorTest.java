package dev.valarm.rtc.linux.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tier 2: the emulated RTC chip served through FUSE, checked through raw libc calls on the mounted file.
 */
final class FuseRtcEmulatorTest {
    private static final Instant START = LocalDateTime.of(2030, 1, 2, 3, 4, 5).toInstant(ZoneOffset.UTC);
    private static final Duration WAIT = Duration.ofSeconds(20);

    @BeforeAll
    static void requireFuse() {
        final String reason = FuseRtcMount.unavailableReason();
        Assumptions.assumeTrue(reason == null, () -> "Tier 2 (FUSE RTC emulator) skipped: " + reason);
    }

    private static FuseRtcMount manualChip(final ManualTimeSource time) throws Exception {
        return FuseRtcMount.mount(new EmulatedRtcChip(time, Duration.ZERO, EmulatedRtcChip.MC146818_MAX_ALARM));
    }

    private static long seconds(final int[] tm) {
        return RtcAbi.tmToSeconds(tm);
    }

    @Test
    void readTimeFollowsTheHostPlusOffsetInWholeSeconds() throws Exception {
        final Duration offset = Duration.ofDays(3).plusHours(5).plusSeconds(7);
        try (FuseRtcMount m = FuseRtcMount.mount(EmulatedRtcChip.withHostClock(offset));
                RtcClient c = RtcClient.open(m.device())) {
            final long before = Instant.now().plus(offset).getEpochSecond();
            final int[] tm = c.readTime();
            final long after = Instant.now().plus(offset).getEpochSecond();
            final long got = seconds(tm);
            assertTrue(got >= before && got <= after, "RTC " + got + " not in [" + before + ", " + after + "]");
            assertEquals(RtcAbi.secondsToTm(got)[6], tm[6], "wday");
            assertEquals(RtcAbi.secondsToTm(got)[7], tm[7], "yday");
            assertEquals(0, tm[8], "isdst");
        }
    }

    @Test
    void setTimeValidatesLikeTheKernel() throws Exception {
        final ManualTimeSource time = new ManualTimeSource(START);
        try (FuseRtcMount m = manualChip(time); RtcClient c = RtcClient.open(m.device())) {
            final long target = LocalDateTime.of(2031, 2, 28, 23, 59, 58).toEpochSecond(ZoneOffset.UTC);
            assertEquals(0, c.setTime(RtcAbi.tmForSet(target)));
            assertEquals(target, seconds(c.readTime()));
            assertEquals(Instant.ofEpochSecond(target), m.chip().now());
            time.advance(Duration.ofMillis(2500));
            assertEquals(target + 2, seconds(c.readTime()), "runs on from the set time");

            final int[][] bad = {
                {60, 0, 0, 1, 0, 131, -1, -1, -1}, // sec 60
                {0, 60, 0, 1, 0, 131, -1, -1, -1}, // min 60
                {0, 0, 24, 1, 0, 131, -1, -1, -1}, // hour 24
                {0, 0, 0, 0, 0, 131, -1, -1, -1}, // mday 0
                {0, 0, 0, 29, 1, 131, -1, -1, -1}, // 29 Feb 2031
                {0, 0, 0, 1, 12, 131, -1, -1, -1}, // month 12
                {0, 0, 0, 1, -1, 131, -1, -1, -1}, // month -1
                {0, 0, 0, 1, 0, 69, -1, -1, -1}, // 1969
            };
            for (final int[] tm : bad) {
                assertEquals(Errno.EINVAL, c.setTime(tm), () -> java.util.Arrays.toString(tm));
            }
            assertEquals(Errno.ERANGE, c.setTime(new int[] {0, 0, 0, 1, 0, 200, -1, -1, -1}), "2100");
            assertEquals(target + 2, seconds(c.readTime()), "bad input left the clock alone");
            assertEquals(0, c.setTime(new int[] {0, 0, 0, 29, 1, 132, -1, -1, -1}), "29 Feb 2032 is fine");
        }
    }

    @Test
    void wakeAlarmRoundTripsAndHonoursTheFurthestAlarm() throws Exception {
        final ManualTimeSource time = new ManualTimeSource(START);
        try (FuseRtcMount m = manualChip(time); RtcClient c = RtcClient.open(m.device())) {
            final long now = START.getEpochSecond();
            assertEquals(0, c.setWakeAlarm(true, RtcAbi.tmForSet(now + 3600)));
            Pointer rd = c.readWakeAlarm();
            assertEquals(1, rd.getByte(0), "enabled");
            assertEquals(0, rd.getByte(1), "pending");
            assertEquals(now + 3600, seconds(RtcAbi.getTm(rd, 4)));
            assertEquals(RtcAbi.secondsToTm(now + 3600)[6], RtcAbi.getTm(rd, 4)[6], "wday filled in");
            assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + 3600), m.chip().alarm());

            final long max = now + Duration.ofHours(24).minusSeconds(1).getSeconds();
            assertEquals(0, c.setWakeAlarm(true, RtcAbi.tmForSet(max)), "24 h - 1 s is the furthest");
            assertEquals(new EmulatedRtcChip.AlarmSlot(true, max), m.chip().alarm());
            assertEquals(Errno.EINVAL, c.setWakeAlarm(true, RtcAbi.tmForSet(max + 1)), "24 h is too far");
            rd = c.readWakeAlarm();
            assertEquals(0, rd.getByte(0), "the kernel removed the old alarm before failing");

            assertEquals(0, c.setWakeAlarm(true, RtcAbi.tmForSet(now + 60)));
            assertEquals(Errno.EINVAL, c.setWakeAlarm(true, new int[] {0, 0, 0, 31, 3, 130, -1, -1, -1}),
                "31 April");
            assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + 60), m.chip().alarm(), "bad tm changes nothing");

            assertEquals(0, c.setWakeAlarm(false, RtcAbi.tmForSet(now + 30 * 86400)),
                "a disabled alarm is not checked against the window");
            assertEquals(new EmulatedRtcChip.AlarmSlot(false, now + 30 * 86400), m.chip().alarm());

            m.chip().setMaxAlarmAhead(Duration.ofDays(7).minusSeconds(1));
            assertEquals(0, c.setWakeAlarm(true, RtcAbi.tmForSet(now + 3 * 86400)), "a 7-day chip takes 3 days");
            assertEquals(Errno.EINVAL, c.setWakeAlarm(true, RtcAbi.tmForSet(now + 7 * 86400)));
            assertEquals(0, m.chip().firedCount());
        }
    }

    @Test
    void unknownRequestsAnswerEnotty() throws Exception {
        try (FuseRtcMount m = manualChip(new ManualTimeSource(START)); RtcClient c = RtcClient.open(m.device())) {
            final Pointer buf = Memory.allocateDirect(jnr.ffi.Runtime.getSystemRuntime(), 64);
            for (final int request : new int[] {RtcAbi.RTC_AIE_ON, RtcAbi.RTC_AIE_OFF, RtcAbi.RTC_UIE_ON,
                RtcAbi.RTC_ALM_READ, RtcAbi.RTC_PARAM_GET, 0x7004, 0x8008700b}) {
                assertEquals(Errno.ENOTTY, c.ioctl(request, buf), () -> Integer.toHexString(request));
            }
        }
    }

    @Test
    void blockingReadReturnsTheAlarmWordWhenTheAlarmSecondComes() throws Exception {
        final ManualTimeSource time = new ManualTimeSource(START);
        try (FuseRtcMount m = manualChip(time); RtcClient c = RtcClient.open(m.device())) {
            final long alarm = START.getEpochSecond() + 10;
            assertEquals(0, c.setWakeAlarm(true, RtcAbi.tmForSet(alarm)));
            final CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> c.read(8));
            time.advance(Duration.ofSeconds(10).minusNanos(1));
            assertEquals(0, m.chip().firedCount(), "not before its second");
            assertFalse(read.isDone());
            time.advance(Duration.ofNanos(1));
            assertEquals(0x1a0L, read.get(WAIT.getSeconds(), TimeUnit.SECONDS));
            assertEquals(1, m.chip().firedCount());
            assertEquals(0, c.readWakeAlarm().getByte(0), "enabled reads 0 after it fired");
            assertEquals(alarm, seconds(RtcAbi.getTm(c.readWakeAlarm(), 4)), "the time stays");
        }
    }

    @Test
    void nonBlockingReadPollAndCoalescedCount() throws Exception {
        final ManualTimeSource time = new ManualTimeSource(START);
        try (FuseRtcMount m = manualChip(time); RtcClient c = RtcClient.open(m.device(), RtcClient.O_NONBLOCK)) {
            RtcClient.ErrnoException e = assertThrows(RtcClient.ErrnoException.class, () -> c.read(8));
            assertEquals(Errno.EAGAIN, e.errno());
            assertEquals(0, c.pollIn(0));
            assertEquals(Errno.EINVAL, assertThrows(RtcClient.ErrnoException.class, () -> c.read(5)).errno());

            // past or present alarms are accepted and fire at once (the kernel's -ETIME path), twice here
            assertEquals(0, c.setWakeAlarm(true, RtcAbi.tmForSet(START.getEpochSecond())));
            assertEquals(0, c.setWakeAlarm(true, RtcAbi.tmForSet(START.getEpochSecond() - 100)));
            assertEquals(0x1, c.pollIn(0), "POLLIN (the kernel masks POLLRDNORM, not asked for)");
            assertEquals(0x2a0L, c.read(4), "two alarms coalesced, 4-byte read");
            e = assertThrows(RtcClient.ErrnoException.class, () -> c.read(8));
            assertEquals(Errno.EAGAIN, e.errno(), "the read cleared it");

            // a poller that waits is woken through fuse_notify_poll
            assertEquals(0, c.setWakeAlarm(true, RtcAbi.tmForSet(START.getEpochSecond() + 5)));
            m.fs().pollRegistrations().drainPermits();
            final CompletableFuture<Integer> poll = CompletableFuture.supplyAsync(() -> c.pollIn(60_000));
            assertTrue(m.fs().pollRegistrations().tryAcquire(WAIT.getSeconds(), TimeUnit.SECONDS),
                "the poll reached the emulator");
            assertFalse(poll.isDone());
            time.advance(Duration.ofSeconds(5));
            assertEquals(0x1, poll.get(WAIT.getSeconds(), TimeUnit.SECONDS));
            assertEquals(0x1a0L, c.read(8));
        }
    }

    @Test
    void settingTheClockPastTheAlarmFiresItAndSettingItBackDelaysIt() throws Exception {
        final ManualTimeSource time = new ManualTimeSource(START);
        try (FuseRtcMount m = manualChip(time); RtcClient c = RtcClient.open(m.device(), RtcClient.O_NONBLOCK)) {
            final long now = START.getEpochSecond();
            assertEquals(0, c.setWakeAlarm(true, RtcAbi.tmForSet(now + 100)));
            assertEquals(0, c.setTime(RtcAbi.tmForSet(now - 3600)), "an hour back");
            time.advance(Duration.ofSeconds(200));
            assertEquals(0, m.chip().firedCount(), "alarms are absolute RTC times: now later in real time");
            assertEquals(new EmulatedRtcChip.AlarmSlot(true, now + 100), m.chip().alarm());
            assertEquals(0, c.setTime(RtcAbi.tmForSet(now + 500)), "forward past the alarm");
            m.chip().awaitState("the alarm to fire after the clock jumped past it", () -> m.chip().firedCount() == 1,
                WAIT);
            assertEquals(0x1a0L, c.read(8));
        }
    }

    @Test
    void openIsExclusiveAndReleaseLeavesTheAlarmArmed() throws Exception {
        final ManualTimeSource time = new ManualTimeSource(START);
        try (FuseRtcMount m = manualChip(time)) {
            try (RtcClient first = RtcClient.open(m.device())) {
                final RtcClient.ErrnoException e = assertThrows(RtcClient.ErrnoException.class,
                    () -> RtcClient.open(m.device()));
                assertEquals(Errno.EBUSY, e.errno());
                assertEquals(1, m.chip().busyRejections());
                assertEquals(0, first.setWakeAlarm(true, RtcAbi.tmForSet(START.getEpochSecond() + 1)));
            }
            time.advance(Duration.ofSeconds(1));
            m.chip().awaitState("the alarm to fire while closed", () -> m.chip().firedCount() == 1, WAIT);
            try (RtcClient second = RtcClient.open(m.device(), RtcClient.O_NONBLOCK)) {
                assertEquals(Errno.EAGAIN, assertThrows(RtcClient.ErrnoException.class, () -> second.read(8)).errno(),
                    "open zeroes the interrupt word");
            }
        }
    }

    @Test
    void alarmOnTheHostClockFiresAtItsSecond() throws Exception {
        final Duration offset = Duration.ofHours(-7).plusMillis(345);
        try (FuseRtcMount m = FuseRtcMount.mount(EmulatedRtcChip.withHostClock(offset));
                RtcClient c = RtcClient.open(m.device())) {
            final long alarm = seconds(c.readTime()) + 2;
            assertEquals(0, c.setWakeAlarm(true, RtcAbi.tmForSet(alarm)));
            final long word = c.read(8);
            final long lateNanos = m.chip().nowNanos() - alarm * 1_000_000_000L;
            assertEquals(0x1a0L, word);
            assertTrue(lateNanos >= 0, "woke " + -lateNanos + " ns early");
            assertTrue(lateNanos < 1_000_000_000L, "woke " + lateNanos + " ns late");
        }
    }
}
