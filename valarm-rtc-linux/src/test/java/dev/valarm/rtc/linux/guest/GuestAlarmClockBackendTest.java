package dev.valarm.rtc.linux.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Timespec;
import dev.valarm.rtc.linux.AlarmTimerBackend;
import dev.valarm.rtc.linux.LinuxBackendProvider;
import dev.valarm.rtc.linux.RtcDeviceBackend;
import dev.valarm.rtc.linux.SysfsWakealarmBackend;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcCapabilities;
import dev.valarm.spi.WakeAlarm;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The alarm-clock backend ({@code CLOCK_BOOTTIME_ALARM} timerfd) and the provider's probe on a kernel that
 * has a real RTC: unlike the build hosts (no RTC: alarm clocks cannot wake), here they can.
 */
final class GuestAlarmClockBackendTest {

    private AlarmTimerBackend backend;

    @BeforeEach
    void open() {
        InGuest.assumeGuest();
        backend = new AlarmTimerBackend();
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void canWakeBecauseTheKernelHasAnRtc() {
        final RtcCapabilities caps = backend.capabilities();
        assertTrue(caps.canWake(), "CLOCK_BOOTTIME_ALARM with rtc_cmos present must be able to wake");
        assertNull(backend.noWakeReason());
        assertFalse(caps.canSetTime());
    }

    @Test
    void programsReadsBackCancelsAndFires() throws InterruptedException {
        final LinkedBlockingQueue<Long> fired = new LinkedBlockingQueue<>();
        backend.setAlarmListener(() -> fired.add(System.nanoTime()));

        final long now = backend.readTime().toNanos();
        final Timespec far = Timespec.ofNanos(now + TimeUnit.HOURS.toNanos(20));
        backend.programAlarm(far);
        final WakeAlarm back = backend.readAlarm();
        assertTrue(back.enabled());
        assertTrue(Math.abs(back.time().toNanos() - far.toNanos()) < TimeUnit.MILLISECONDS.toNanos(500),
                "read back " + back.time() + ", programmed " + far);
        // Beyond what rtc_cmos holds the timer is clamped to 24 h - 1 s (else this kernel refuses to suspend).
        backend.programAlarm(Timespec.ofNanos(backend.readTime().toNanos() + TimeUnit.HOURS.toNanos(30)));
        final long ahead = backend.readAlarm().time().toNanos() - backend.readTime().toNanos();
        assertTrue(Math.abs(ahead - TimeUnit.SECONDS.toNanos(86_399)) < TimeUnit.MILLISECONDS.toNanos(500),
                "a 30 h alarm reads back " + ahead + " ns ahead, expected the 24 h - 1 s clamp");

        // A cancelled alarm must not fire: program one 1 s ahead and cancel it, then one 2 s ahead.
        backend.programAlarm(Timespec.ofNanos(backend.readTime().toNanos() + TimeUnit.SECONDS.toNanos(1)));
        backend.cancelAlarm();
        assertFalse(backend.readAlarm().enabled(), "cancelAlarm left the timer armed");
        final long t0 = System.nanoTime();
        final long dueIn = TimeUnit.SECONDS.toNanos(2);
        backend.programAlarm(Timespec.ofNanos(backend.readTime().toNanos() + dueIn));
        final Long at = fired.poll(20, TimeUnit.SECONDS);
        assertTrue(at != null, "the alarm-clock timer did not fire within 20 s");
        final long lateMs = (at - t0 - dueIn) / 1_000_000;
        assertTrue(lateMs >= -50 && lateMs <= 2000, "fired " + lateMs + " ms after its due time");
        assertNull(fired.poll(1500, TimeUnit.MILLISECONDS), "a second firing: the cancelled alarm fired too");
        assertFalse(backend.readAlarm().enabled(), "a fired one-shot alarm must read back disabled");
    }

    @Test
    void providerProbesEveryBackendUsableAndWakeCapable() {
        final LinuxBackendProvider provider = new LinuxBackendProvider();
        final Map<String, BackendProbe> probes = provider.probe().stream()
                .collect(Collectors.toMap(BackendProbe::backend, Function.identity()));
        for (final String name : List.of(AlarmTimerBackend.NAME, RtcDeviceBackend.NAME, SysfsWakealarmBackend.NAME)) {
            final BackendProbe p = probes.get(name);
            assertTrue(p != null && p.usable() && p.canWake(), "probe of " + name + " in the guest: " + p);
        }
        backend.close();
        backend = null;
        try (RtcBackend auto = provider.openRtcBackend(null)) {
            assertEquals(AlarmTimerBackend.NAME, auto.name(), "auto-detection must prefer the alarm clocks");
            assertTrue(auto.capabilities().canWake());
        }
    }
}
