package dev.valarm.rtc.linux.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the real rtc_cmos driver does, seen through a binding independent of the backends: the facts the
 * backends rely on (alarm window, interrupt word, exclusive open, the alarm clocks existing).
 */
final class GuestRtcDriverTest {

    private static final String RTC = "/dev/rtc0";
    private static final long DAY = 24 * 3600;

    @BeforeEach
    void onlyInGuest() {
        InGuest.assumeGuest();
    }

    @AfterEach
    void disableAlarm() {
        if (Boolean.getBoolean(InGuest.PROPERTY)) {
            try (RawRtc rtc = RawRtc.open(RTC)) {
                rtc.setWakeAlarm(false, rtc.readTime() + 300);
            }
        }
    }

    @Test
    void rtcClockAgreesWithTheSystemClock() {
        try (RawRtc rtc = RawRtc.open(RTC)) {
            final long rtcNow = rtc.readTime();
            final long sysNow = System.currentTimeMillis() / 1000;
            assertTrue(Math.abs(rtcNow - sysNow) <= 2, "RTC " + rtcNow + " vs system " + sysNow);
        }
    }

    @Test
    void wakeAlarmReadsBackAndCancels() {
        try (RawRtc rtc = RawRtc.open(RTC)) {
            final long at = rtc.readTime() + 3600;
            rtc.setWakeAlarm(true, at);
            long[] back = rtc.readWakeAlarm();
            assertEquals(1, back[0], "enabled after RTC_WKALM_SET");
            assertEquals(at, back[2], "alarm time read back");
            rtc.setWakeAlarm(false, at);
            back = rtc.readWakeAlarm();
            assertEquals(0, back[0], "enabled after cancel");
        }
    }

    @Test
    void alarmWindowIsOneDayMinusOneSecond() {
        try (RawRtc rtc = RawRtc.open(RTC)) {
            final long now = rtc.readTime();
            // Ticking over between the two calls only brings the target closer: the accept stays valid.
            rtc.setWakeAlarm(true, now + DAY - 1);
            assertEquals(now + DAY - 1, rtc.readWakeAlarm()[2]);
            final long now2 = rtc.readTime();
            final RawRtc.ErrnoException e = assertThrows(RawRtc.ErrnoException.class,
                    () -> rtc.setWakeAlarm(true, now2 + DAY + 1), "rtc_cmos accepted an alarm beyond 24 h");
            assertEquals(RawRtc.EINVAL, e.errno, e.getMessage());
        }
    }

    @Test
    void secondOpenerGetsEbusy() {
        try (RawRtc first = RawRtc.open(RTC)) {
            final RawRtc.ErrnoException e = assertThrows(RawRtc.ErrnoException.class, () -> RawRtc.open(RTC).close());
            assertEquals(RawRtc.EBUSY, e.errno, e.getMessage());
            first.readTime();
        }
    }

    @Test
    void alarmInterruptWakesABlockingReadAtTheProgrammedSecond() throws Exception {
        final ExecutorService reader = Executors.newSingleThreadExecutor();
        try (RawRtc rtc = RawRtc.open(RTC)) {
            final long target = rtc.readTime() + 2;
            final long t0 = System.nanoTime();
            rtc.setWakeAlarm(true, target);
            final Future<Long> word = reader.submit(rtc::readEvent);
            final long data = word.get(15, TimeUnit.SECONDS);
            final Duration waited = Duration.ofNanos(System.nanoTime() - t0);
            final long rtcAfter = rtc.readTime();
            assertEquals(RawRtc.RTC_IRQF | RawRtc.RTC_AF, data & 0xff, "flags 0x" + Long.toHexString(data));
            assertEquals(1, data >>> 8, "event count in 0x" + Long.toHexString(data));
            assertTrue(rtcAfter == target || rtcAfter == target + 1,
                    "alarm for RTC second " + target + " read at RTC second " + rtcAfter);
            // target - now was 2 s at 1 s resolution: the alarm comes 1-2 s later, plus guest latency.
            assertTrue(waited.compareTo(Duration.ofMillis(900)) >= 0 && waited.compareTo(Duration.ofMillis(4500)) <= 0,
                    "alarm 2 RTC seconds ahead arrived after " + waited.toMillis() + " ms");
            assertEquals(0, rtc.readWakeAlarm()[0], "a fired alarm reads back disabled");
        } finally {
            reader.shutdownNow();
        }
    }

    @Test
    void alarmInterruptMakesPollReadable() {
        try (RawRtc rtc = RawRtc.open(RTC, RawRtc.O_NONBLOCK)) {
            final RawRtc.ErrnoException none = assertThrows(RawRtc.ErrnoException.class, rtc::readEvent);
            assertEquals(RawRtc.EAGAIN, none.errno, none.getMessage());
            final long target = rtc.readTime() + 2;
            rtc.setWakeAlarm(true, target);
            final long t0 = System.nanoTime();
            final int revents = rtc.pollIn(15_000);
            final long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(RawRtc.POLLIN, revents & RawRtc.POLLIN, "poll timed out after " + waitedMs + " ms");
            assertTrue(waitedMs <= 4500, "poll woke after " + waitedMs + " ms");
            final long rtcAfter = rtc.readTime();
            assertTrue(rtcAfter == target || rtcAfter == target + 1, "alarm for " + target + " seen at " + rtcAfter);
            assertEquals(RawRtc.RTC_IRQF | RawRtc.RTC_AF | (1 << 8), rtc.readEvent());
        }
    }

    @Test
    void alarmClocksExistWithAnRtc() {
        assertEquals(0, RawRtc.clockGetresErrno(RawRtc.CLOCK_BOOTTIME_ALARM), "clock_getres(CLOCK_BOOTTIME_ALARM)");
        assertEquals(0, RawRtc.clockGetresErrno(RawRtc.CLOCK_REALTIME_ALARM), "clock_getres(CLOCK_REALTIME_ALARM)");
    }
}
