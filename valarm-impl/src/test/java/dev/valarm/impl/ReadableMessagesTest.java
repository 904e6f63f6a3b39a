package dev.valarm.impl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmType;
import dev.valarm.ClockRangeException;
import dev.valarm.InstanceConfig;
import dev.valarm.Timespec;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Errors and values print times and durations the way a person reads them, and keep the exact value
 * (issue 13): no {@code PT876000H}, no bare nanoseconds or seconds since 1970.
 */
class ReadableMessagesTest extends SimFixture {
    private static final Pattern ISO_DURATION = Pattern.compile("PT-?[0-9]");
    private static final Pattern BARE_NANOS = Pattern.compile("[0-9]{12,} ns");

    private static void readable(final String text) {
        assertFalse(ISO_DURATION.matcher(text).find(), "an ISO-8601 duration: " + text);
        assertFalse(BARE_NANOS.matcher(text).find(), "bare nanoseconds: " + text);
    }

    @Test
    void clockRangeErrorsNameTheTimeAsADateAndTheOffsetAsASpan() {
        final String setRtc = assertThrows(ClockRangeException.class,
                () -> rw.setRtc(Timespec.CLOCK_MAX.plus(Duration.ofSeconds(1)))).getMessage();
        assertTrue(setRtc.contains("2116-02-20T23:53:39Z (4611686019 s)"), setRtc);
        assertTrue(setRtc.contains("1823-11-12T00:06:22Z to 2116-02-20T23:53:38Z"), setRtc);
        readable(setRtc);
        final String create = assertThrows(ClockRangeException.class, () -> device.createInstance(
                InstanceConfig.builder().wallClockOffset(Duration.ofHours(876_000 * 3)).build())).getMessage();
        assertTrue(create.contains("109500 d, about 299.8 years (9460800000 s)"), create);
        assertTrue(create.contains("2026-01-01T00:00:00Z"), "the host clock as a date: " + create);
        readable(create);
    }

    @Test
    void argumentErrorsAndValuesPrintSpansAsSpans() {
        final String window = assertThrows(IllegalArgumentException.class,
                () -> rw.set(AlarmType.RTC, Timespec.ZERO, Duration.ofMinutes(-90))).getMessage();
        assertTrue(window.endsWith("-1 h 30 min (-5400 s)"), window);
        final String timeout = assertThrows(IllegalArgumentException.class, () -> rw.await(Duration.ofMillis(-1))).getMessage();
        assertTrue(timeout.endsWith("-0.001 s"), timeout);
        rw.set(AlarmType.RTC_WAKEUP, in(rw, AlarmType.RTC_WAKEUP, 60), Duration.ofMinutes(15));
        rw.set(AlarmType.ELAPSED_REALTIME, in(rw, AlarmType.ELAPSED_REALTIME, 90));
        final String snapshot = inst.snapshot().toString();
        assertTrue(snapshot.contains("realtime=2026-01-01T00:00:00Z (1767225600 s)"), snapshot);
        assertTrue(snapshot.contains("boottime=16 min 40 s (1000 s)"), snapshot);
        assertTrue(snapshot.contains("RTC_WAKEUP=2026-01-01T00:01:00Z (1767225660 s) + window 15 min (900 s)"), snapshot);
        assertTrue(snapshot.contains("ELAPSED_REALTIME=18 min 10 s (1090 s)"), snapshot);
        readable(snapshot);
        readable(InstanceConfig.builder().wallClockOffset(Duration.ofHours(876_000)).build().toString());
    }
}
