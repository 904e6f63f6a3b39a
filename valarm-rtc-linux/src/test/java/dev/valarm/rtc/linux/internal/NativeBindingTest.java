package dev.valarm.rtc.linux.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import dev.valarm.spi.RtcException;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tier 1: the binding itself on the host kernel (struct layouts, errno, calendar). */
final class NativeBindingTest {
    private static Native nat;

    @BeforeAll
    static void load() {
        LinuxOnly.assumeLinux();
        nat = Native.get();
    }

    @Test
    void structLayoutsMatchTheKernelHeaders() {
        assertEquals(16, Struct.size(new NativeTimespec(nat.runtime())));
        assertEquals(32, Struct.size(new ITimerSpec(nat.runtime())));
        assertEquals(36, Struct.size(new RtcTime(nat.runtime())));
        final RtcWkAlrm alarm = new RtcWkAlrm(nat.runtime());
        assertEquals(40, Struct.size(alarm));
        assertEquals(4, alarm.time.tmSec.offset());
        assertEquals(24, new ITimerSpec(nat.runtime()).valueNsec.offset());
        final RtcParam param = new RtcParam(nat.runtime());
        assertEquals(24, Struct.size(param));
        assertEquals(16, param.index.offset());
    }

    @Test
    void clockGettimeAgreesWithTheJdk() {
        final Pointer p = nat.direct(16);
        final long before = System.currentTimeMillis();
        assertEquals(0, nat.libc().clock_gettime(LinuxAbi.CLOCK_REALTIME, p));
        final long after = System.currentTimeMillis();
        final long ms = p.getLong(0) * 1000 + p.getLong(8) / 1_000_000;
        assertTrue(ms >= before - 1 && ms <= after + 1, () -> before + " <= " + ms + " <= " + after);
        final NativeTimespec ts = new NativeTimespec(nat.runtime());
        assertEquals(0, nat.libc().clock_gettime(LinuxAbi.CLOCK_MONOTONIC, ts));
        final long jdk = System.nanoTime();
        assertTrue(Math.abs(jdk - ts.nanos()) < 1_000_000_000L, "System.nanoTime is CLOCK_MONOTONIC on Linux");
    }

    @Test
    void errnoIsSavedForAnInvalidClock() {
        assertEquals(-1, nat.libc().clock_gettime(12345, new NativeTimespec(nat.runtime())));
        assertEquals(Errno.EINVAL, nat.errno());
    }

    @Test
    void openOfAMissingFileIsTypedEnoent(@TempDir final Path dir) {
        final RtcException e = assertThrows(RtcException.class, () -> nat.open(dir.resolve("nope").toString(), 0));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.operation().startsWith("open("), e.operation());
    }

    @Test
    void rtcIoctlOnARegularFileIsEnotty(@TempDir final Path dir) throws Exception {
        final Path f = Files.writeString(dir.resolve("not-an-rtc"), "x");
        final int fd = nat.open(f.toString(), LinuxAbi.O_RDONLY | LinuxAbi.O_CLOEXEC);
        try {
            final RtcException e = assertThrows(RtcException.class,
                    () -> nat.ioctl(fd, LinuxAbi.RTC_RD_TIME, new RtcTime(nat.runtime()), "ioctl(RTC_RD_TIME)"));
            assertEquals(Errno.ENOTTY, e.errno());
        } finally {
            nat.closeQuietly(fd, "test");
        }
    }

    @Test
    void smallFilesRoundTrip(@TempDir final Path dir) throws Exception {
        final Path f = Files.writeString(dir.resolve("wakealarm"), "");
        nat.writeSmallFile(f.toString(), "1234567890");
        assertEquals("1234567890", nat.readSmallFile(f.toString()));
    }

    @Test
    void calendarRoundTripsAndFillsTheWeekday() {
        final RtcTime tm = new RtcTime(nat.runtime());
        RtcCalendar.fill(1_798_761_600L, tm); // 2027-01-01T00:00:00Z, a Friday
        assertEquals(127, tm.tmYear.get());
        assertEquals(0, tm.tmMon.get());
        assertEquals(1, tm.tmMday.get());
        assertEquals(5, tm.tmWday.get());
        assertEquals(1_798_761_600L, RtcCalendar.toEpochSeconds(tm, "test"));
        tm.tmMon.set(12);
        assertEquals(false, RtcCalendar.isValid(tm));
        assertThrows(RtcException.class, () -> RtcCalendar.fill(-1, tm));
    }

    @Test
    void alarmTargetsRoundUpToTheResolution() {
        assertEquals(10, AlarmSlot.roundUp(10, 0));
        assertEquals(11, AlarmSlot.roundUp(10, 1));
        assertEquals(120, AlarmSlot.roundUp(61, 0, 60));
        assertEquals(120, AlarmSlot.roundUp(119, 999_999_999, 60));
        assertEquals(120, AlarmSlot.roundUp(120, 0, 60));
        assertEquals(12, AlarmSlot.roundUp(11, 0, 2));
        assertEquals(-60, AlarmSlot.roundUp(-61, 0, 60) - 0, "floor-based for negative times");
        assertEquals(Long.MAX_VALUE, AlarmSlot.roundUp(Long.MAX_VALUE, 5, 60));
    }

    @Test
    void theWindowShrinksThroughTheKnownRtcCmosWindowsOnEinval() {
        final AlarmSlot slot = new AlarmSlot("test", java.time.Duration.ofDays(400));
        assertEquals(1000 + 400L * 86_400, slot.clamp(1000 + 500L * 86_400, 1000));
        assertTrue(slot.learnFromEinval(400L * 86_400));
        assertEquals(365L * 86_400 - 1, slot.maxAheadSec());
        assertTrue(slot.learnFromEinval(365L * 86_400 - 1));
        assertEquals(28L * 86_400 - 1, slot.maxAheadSec());
        assertTrue(slot.learnFromEinval(28L * 86_400 - 1));
        assertEquals(86_399, slot.maxAheadSec());
        // Below the known windows (a 12 h chip, say) the window halves until the chip takes the alarm.
        assertTrue(slot.learnFromEinval(86_399));
        assertEquals(43_199, slot.maxAheadSec());
        assertTrue(slot.learnFromEinval(43_199));
        assertEquals(21_599, slot.maxAheadSec());
        assertEquals(false, slot.learnFromEinval(100), "never below a minute: EINVAL is then reported");
        assertEquals(21_599, slot.maxAheadSec());
    }

    @Test
    void replacementIsCountedOnlyForSomeoneElsesChange() {
        final AlarmSlot slot = new AlarmSlot("test", java.time.Duration.ofSeconds(86_399));
        assertEquals(false, slot.stillOurs(true, 500, 100), "nothing programmed: not ours, not a replacement");
        slot.programmed(500);
        assertTrue(slot.stillOurs(true, 500, 100));
        assertEquals(false, slot.stillOurs(true, 600, 100));
        assertEquals(1, slot.replacedCount());
        slot.programmed(500);
        assertEquals(false, slot.stillOurs(false, 0, 100), "disabled before its time");
        assertEquals(2, slot.replacedCount());
        slot.programmed(500);
        assertEquals(false, slot.stillOurs(false, 0, 500), "fired: gone, not replaced");
        assertEquals(2, slot.replacedCount());
    }

    @Test
    void toNanosSaturates() {
        assertEquals(Long.MAX_VALUE, Native.toNanos(Long.MAX_VALUE / 1_000_000_000L + 1, 0));
        assertEquals(Long.MIN_VALUE, Native.toNanos(Long.MIN_VALUE / 1_000_000_000L - 1, 0));
        assertEquals(1_500_000_000L, Native.toNanos(1, 500_000_000));
        assertEquals(-500_000_000L, Native.toNanos(-1, 500_000_000));
    }
}
