package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import dev.valarm.Timespec;
import dev.valarm.rtc.linux.internal.LinuxOnly;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.WakeAlarm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sysfs backend's own logic (rounding, clamping, read-back, replacement, cancel, firing) against a
 * directory of plain files standing in for {@code /sys/class/rtc/rtcN} (this machine has no RTC; the
 * kernel's EBUSY rule is exercised on the qemu tier). The RTC's clock is the {@code since_epoch} file,
 * which the test moves by hand.
 */
final class SysfsWakealarmBackendTest {
    private static final long NOW = 1_800_000_000L;

    @TempDir
    Path sys;
    private Path rtc;
    private SysfsWakealarmBackend backend;

    @BeforeEach
    void setUp() throws IOException {
        LinuxOnly.assumeLinux();
        rtc = Files.createDirectories(sys.resolve("rtc0"));
        Files.writeString(rtc.resolve("since_epoch"), NOW + "\n");
        Files.writeString(rtc.resolve("wakealarm"), "\n");
        Files.createDirectories(rtc.resolve("device/power"));
        Files.writeString(rtc.resolve("device/power/wakeup"), "enabled\n");
        backend = new SysfsWakealarmBackend(rtc);
    }

    @AfterEach
    void tearDown() {
        if (backend != null) {
            backend.close();
        }
    }

    private String wakealarm() throws IOException {
        return Files.readString(rtc.resolve("wakealarm")).trim();
    }

    @Test
    void capabilitiesFollowSysfs() {
        assertTrue(backend.capabilities().canWake());
        assertFalse(backend.capabilities().canSetTime());
        assertEquals(86_399, backend.capabilities().maxAlarmAhead().getSeconds());
        assertEquals(Timespec.ofSeconds(NOW), backend.readTime());
        assertEquals(Errno.EOPNOTSUPP,
                assertThrows(RtcException.class, () -> backend.setTime(Timespec.ofSeconds(NOW))).errno());
    }

    @Test
    void programRoundsUpToAWholeSecondAndReadsBack() throws IOException {
        backend.programAlarm(new Timespec(NOW + 10, 1));
        assertEquals(Long.toString(NOW + 11), wakealarm());
        assertEquals(new WakeAlarm(true, false, Timespec.ofSeconds(NOW + 11)), backend.readAlarm());
        backend.programAlarm(Timespec.ofSeconds(NOW + 20));
        assertEquals(Long.toString(NOW + 20), wakealarm());
        assertEquals(0, backend.alarmsReplaced());
    }

    @Test
    void aPastTargetBecomesTheNextSecondNotADisable() throws IOException {
        backend.programAlarm(Timespec.ofSeconds(NOW - 5));
        assertEquals(Long.toString(NOW + 1), wakealarm());
    }

    @Test
    void farTargetsAreClampedToTheChipsWindow() throws IOException {
        backend.programAlarm(Timespec.ofSeconds(NOW + 3 * 86_400));
        assertEquals(Long.toString(NOW + 86_399), wakealarm());
    }

    @Test
    void anotherWriterReplacingTheAlarmIsNoticedAndNotCancelled() throws IOException {
        backend.programAlarm(Timespec.ofSeconds(NOW + 100));
        Files.writeString(rtc.resolve("wakealarm"), (NOW + 555) + "\n"); // rtcwake, say
        assertEquals(new WakeAlarm(true, false, Timespec.ofSeconds(NOW + 555)), backend.readAlarm());
        assertEquals(1, backend.alarmsReplaced());
        backend.cancelAlarm();
        assertEquals(Long.toString(NOW + 555), wakealarm(), "someone else's alarm is left alone");
        backend.programAlarm(Timespec.ofSeconds(NOW + 100));
        assertEquals(Long.toString(NOW + 100), wakealarm(), "programming takes the slot back");
    }

    @Test
    void cancelWritesZero() throws IOException {
        backend.programAlarm(Timespec.ofSeconds(NOW + 100));
        backend.cancelAlarm();
        assertEquals("0", wakealarm());
        assertEquals(WakeAlarm.DISABLED, backend.readAlarm());
        backend.cancelAlarm();
    }

    @Test
    void theListenerRunsOnceTheRtcClockReachesTheAlarm() throws Exception {
        final CountDownLatch fired = new CountDownLatch(1);
        backend.setAlarmListener(fired::countDown);
        backend.programAlarm(Timespec.ofSeconds(NOW + 1));
        // The check runs ~1.15 s later; the fake RTC has not moved yet, so it re-arms for 1 s more...
        assertFalse(fired.await(1_400, TimeUnit.MILLISECONDS), "the RTC clock has not reached the alarm");
        Files.writeString(rtc.resolve("since_epoch"), (NOW + 1) + "\n");
        // ...and the next check sees it.
        assertTrue(fired.await(10, TimeUnit.SECONDS), "listener not called after the RTC passed the alarm");
    }

    @Test
    void probeAndDiscoveryReadSysfs() throws IOException {
        final BackendProbe p = SysfsWakealarmBackend.probe("linux", rtc);
        assertTrue(p.usable(), p.reason());
        assertTrue(p.canWake(), p.reason());
        assertFalse(SysfsWakealarmBackend.probe("linux", sys.resolve("rtc9")).usable());
        final Path rtc1 = Files.createDirectories(sys.resolve("rtc1"));
        Files.writeString(rtc1.resolve("wakealarm"), "");
        Files.writeString(rtc.resolve("device/power/wakeup"), "disabled\n");
        assertEquals(rtc, SysfsWakealarmBackend.defaultRtcDir(sys), "no RTC may wake: the first with wakealarm");
        Files.createDirectories(rtc1.resolve("device/power"));
        Files.writeString(rtc1.resolve("device/power/wakeup"), "enabled\n");
        assertEquals(rtc1, SysfsWakealarmBackend.defaultRtcDir(sys), "the one that may wake wins");
        assertEquals(sys.resolve("dev/rtc1"), RtcDeviceBackend.defaultDevice(sys, sys.resolve("dev")));
    }

    @Test
    void aDirectoryWithoutWakealarmIsRefusedWithEnoent() throws IOException {
        final Path other = Files.createDirectories(sys.resolve("rtc3"));
        Files.writeString(other.resolve("since_epoch"), NOW + "\n");
        assertEquals(Errno.ENOENT, assertThrows(RtcException.class, () -> new SysfsWakealarmBackend(other)).errno());
    }
}
