package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import dev.valarm.Timespec;
import dev.valarm.rtc.linux.internal.LinuxOnly;
import dev.valarm.rtc.linux.internal.Native;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeAlarm;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tier 1, root (CAP_WAKE_ALARM): the alarm-clock timerfd backend on the host kernel. */
final class AlarmTimerBackendTest {
    private static final long MS = 1_000_000L;

    private AlarmTimerBackend backend;

    @BeforeEach
    void open() {
        LinuxOnly.assumeRoot();
        backend = new AlarmTimerBackend();
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void capabilitiesAndProbeSayWhetherAnRtcCanWakeThisMachine() {
        final boolean kernelHasWakeRtc = AlarmTimerBackend.wakeProbe(Native.get()) == 0;
        assertEquals(kernelHasWakeRtc, backend.capabilities().canWake());
        assertFalse(backend.capabilities().canSetTime());
        final BackendProbe p = AlarmTimerBackend.probe("linux");
        assertTrue(p.usable(), p.reason());
        assertEquals(kernelHasWakeRtc, p.canWake(), p.reason());
        if (!kernelHasWakeRtc) {
            assertTrue(p.reason().contains("EINVAL") && p.reason().contains("no RTC can wake"), p.reason());
            assertTrue(backend.noWakeReason().contains("EINVAL"), backend.noWakeReason());
        }
    }

    @Test
    void theFurthestAlarmIsWhatRtcCmosHoldsUnlessConfigured() {
        // Kernels before 6.7 fail every suspend while an alarm timer is further ahead than the RTC holds.
        assertEquals(Duration.ofSeconds(24 * 3600 - 1), backend.capabilities().maxAlarmAhead());
        assertEquals(AlarmTimerBackend.DEFAULT_MAX_ALARM_AHEAD, backend.capabilities().maxAlarmAhead());
        try (AlarmTimerBackend year = new AlarmTimerBackend(Duration.ofDays(365))) {
            assertEquals(Duration.ofDays(365), year.capabilities().maxAlarmAhead());
        }
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AlarmTimerBackend(Duration.ofMillis(999)));
        assertTrue(e.getMessage().contains("PT0.999S"), e.getMessage());
    }

    @Test
    void aProgrammedAlarmFiresTheListenerOnTime() throws Exception {
        final CountDownLatch fired = new CountDownLatch(1);
        final AtomicLong firedAt = new AtomicLong();
        backend.setAlarmListener(() -> {
            firedAt.set(System.currentTimeMillis());
            fired.countDown();
        });
        final Timespec now = backend.readTime();
        final Timespec at = Timespec.ofNanos(now.toNanos() + 150 * MS);
        backend.programAlarm(at);
        final WakeAlarm armed = backend.readAlarm();
        assertTrue(armed.enabled());
        assertTrue(Math.abs(armed.time().toNanos() - at.toNanos()) < 20 * MS, () -> armed + " vs " + at);
        assertTrue(fired.await(10, TimeUnit.SECONDS), "listener not called within 10 s");
        final long lateMs = firedAt.get() - at.toNanos() / MS;
        assertTrue(lateMs >= -1 && lateMs < 250, "fired " + lateMs + " ms after the alarm time");
        assertEquals(WakeAlarm.DISABLED, backend.readAlarm());
    }

    @Test
    void cancelDisarmsAndOnlyTheReplacementFires() throws Exception {
        final AtomicInteger calls = new AtomicInteger();
        final CountDownLatch fired = new CountDownLatch(1);
        backend.setAlarmListener(() -> {
            calls.incrementAndGet();
            fired.countDown();
        });
        final long now = backend.readTime().toNanos();
        backend.programAlarm(Timespec.ofNanos(now + 60 * MS));
        backend.cancelAlarm();
        assertEquals(WakeAlarm.DISABLED, backend.readAlarm());
        backend.programAlarm(Timespec.ofNanos(now + 300 * MS));
        assertTrue(fired.await(10, TimeUnit.SECONDS));
        assertTrue(System.currentTimeMillis() * MS >= now + 300 * MS - MS, "the cancelled alarm must not fire");
        assertEquals(1, calls.get());
    }

    @Test
    void anAlarmInThePastFiresAtOnce() throws Exception {
        final CountDownLatch fired = new CountDownLatch(1);
        backend.setAlarmListener(fired::countDown);
        backend.programAlarm(Timespec.ofSeconds(1));
        assertTrue(fired.await(10, TimeUnit.SECONDS));
    }

    @Test
    void setTimeIsNotSupported() {
        final RtcException e = assertThrows(RtcException.class, () -> backend.setTime(Timespec.ofSeconds(1)));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
    }

    @Test
    void closedBackendRefusesWork() {
        backend.close();
        assertThrows(IllegalStateException.class, () -> backend.programAlarm(Timespec.ofSeconds(1)));
        backend.close();
    }
}
