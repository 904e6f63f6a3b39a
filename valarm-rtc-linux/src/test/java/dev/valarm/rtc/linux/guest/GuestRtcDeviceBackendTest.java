package dev.valarm.rtc.linux.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import dev.valarm.Timespec;
import dev.valarm.rtc.linux.RtcDeviceBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeAlarm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The RTC character-device backend against the real rtc_cmos driver's {@code /dev/rtc0}; every effect is
 * cross-checked through {@link RawRtc}, a binding independent of the backend.
 */
final class GuestRtcDeviceBackendTest {

    private static final Path RTC = Path.of("/dev/rtc0");
    private static final long DAY_WINDOW = 24 * 3600 - 1;

    private RtcDeviceBackend backend;

    @BeforeEach
    void open() {
        InGuest.assumeGuest();
        backend = new RtcDeviceBackend(RTC);
    }

    @AfterEach
    void closeAndDisable() {
        if (backend != null) {
            backend.close();
            try (RawRtc rtc = RawRtc.open(RTC.toString())) {
                rtc.setWakeAlarm(false, rtc.readTime() + 300);
            }
        }
    }

    private static long[] rawAlarm() {
        try (RawRtc rtc = RawRtc.open(RTC.toString())) {
            return rtc.readWakeAlarm();
        }
    }

    private static long rawTime() {
        try (RawRtc rtc = RawRtc.open(RTC.toString())) {
            return rtc.readTime();
        }
    }

    @Test
    void capabilitiesAreThoseOfAnMc146818ThatCanWake() {
        final RtcCapabilities caps = backend.capabilities();
        assertEquals(Duration.ofSeconds(1), caps.resolution());
        assertEquals(Duration.ofSeconds(DAY_WINDOW), caps.maxAlarmAhead());
        assertTrue(caps.canWake(), "rtc_cmos in the guest may wake the machine (device/power/wakeup)");
        assertTrue(caps.canSetTime());
        assertTrue(Math.abs(backend.readTime().seconds() - rawTime()) <= 1, "backend and raw RTC clocks disagree");
    }

    @Test
    void programsRoundsUpReadsBackAndCancels() {
        final long now = backend.readTime().seconds();
        final long target = now + 3600;
        backend.programAlarm(Timespec.ofSeconds(target, 300_000_000));
        final long[] raw = rawAlarm();
        assertEquals(1, raw[0], "the driver's alarm is not enabled");
        assertEquals(target + 1, raw[2], "sub-second target not rounded up to the next second");
        final WakeAlarm back = backend.readAlarm();
        assertTrue(back.enabled());
        assertEquals(target + 1, back.time().seconds());

        backend.cancelAlarm();
        assertEquals(0, rawAlarm()[0], "the driver's alarm is still enabled after cancelAlarm");
        assertFalse(backend.readAlarm().enabled());
        assertEquals(0, backend.alarmsReplaced());
    }

    @Test
    void clampsBeyondTheChipsOneDayWindow() {
        final long now = backend.readTime().seconds();
        backend.programAlarm(Timespec.ofSeconds(now + 3 * 86_400));
        final long[] raw = rawAlarm();
        assertEquals(1, raw[0]);
        // The backend clamps to its own RTC read; the second may tick once in between.
        assertTrue(raw[2] == now + DAY_WINDOW || raw[2] == now + DAY_WINDOW + 1,
                "3-day alarm programmed at " + (raw[2] - now) + " s ahead, expected the 24 h - 1 s clamp");
    }

    @Test
    void learnsTheOneDayWindowFromEinval() {
        backend.close();
        backend = new RtcDeviceBackend(RTC, Duration.ofDays(365));
        assertEquals(Duration.ofDays(365), backend.capabilities().maxAlarmAhead());
        final long now = backend.readTime().seconds();
        backend.programAlarm(Timespec.ofSeconds(now + 40 * 86_400));
        assertEquals(Duration.ofSeconds(DAY_WINDOW), backend.capabilities().maxAlarmAhead(),
                "the MC146818's EINVAL beyond 24 h should shrink the window to 24 h - 1 s");
        final long[] raw = rawAlarm();
        assertEquals(1, raw[0]);
        assertTrue(raw[2] - now >= DAY_WINDOW && raw[2] - now <= DAY_WINDOW + 1,
                "programmed " + (raw[2] - now) + " s ahead");
    }

    @Test
    void alarmFiresInTheDriverAndTellsTheListener() throws InterruptedException {
        final CountDownLatch fired = new CountDownLatch(1);
        final AtomicLong rtcAtListener = new AtomicLong();
        backend.setAlarmListener(() -> {
            rtcAtListener.set(rawTime());
            fired.countDown();
        });
        final long target = backend.readTime().seconds() + 2;
        final long t0 = System.nanoTime();
        backend.programAlarm(Timespec.ofSeconds(target));
        assertTrue(fired.await(20, TimeUnit.SECONDS), "the alarm listener was not called within 20 s");
        final long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(rtcAtListener.get() >= target, "listener ran at RTC " + rtcAtListener.get() + " < " + target);
        // The backend checks 150 ms after the alarm second (~1.2 s at most, documented); allow guest latency.
        assertTrue(waitedMs <= 6000, "listener came " + waitedMs + " ms after programming an alarm 1-2 s ahead");
        // The kernel fired its aie_timer: RTC_WKALM_RD then reads disabled.
        assertEquals(0, rawAlarm()[0], "the driver's alarm did not fire");
    }

    @Test
    void noticesAnotherWriterReplacingTheAlarm() {
        final long now = backend.readTime().seconds();
        backend.programAlarm(Timespec.ofSeconds(now + 600));
        try (RawRtc rtc = RawRtc.open(RTC.toString())) {
            rtc.setWakeAlarm(true, now + 900);
        }
        final WakeAlarm seen = backend.readAlarm();
        assertEquals(now + 900, seen.time().seconds(), "readAlarm must report what the chip holds");
        assertEquals(1, backend.alarmsReplaced());
        backend.cancelAlarm();
        assertEquals(1, rawAlarm()[0], "cancelAlarm must not cancel another writer's alarm");
        backend.programAlarm(Timespec.ofSeconds(now + 1200));
        assertEquals(now + 1200, rawAlarm()[2], "the next programAlarm takes the slot back");
    }

    @Test
    void reportsEbusyWhileAnotherProcessHoldsTheDevice() {
        try (RawRtc holder = RawRtc.open(RTC.toString())) {
            final RtcException e = assertThrows(RtcException.class, backend::readTime);
            assertEquals(Errno.EBUSY, e.errno(), e.getMessage());
            holder.readTime();
        }
        backend.readTime();
    }
}
