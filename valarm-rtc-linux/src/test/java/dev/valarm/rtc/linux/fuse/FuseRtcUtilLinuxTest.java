package dev.valarm.rtc.linux.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tier 2 faithfulness: unmodified util-linux tools ({@code hwclock}, {@code rtcwake}) read, set and program
 * the emulated chip, and the chip's state shows what they did. The host clock is never changed: only
 * {@code --show}, {@code --set} and {@code --systohc} are used (never {@code --hctosys}/{@code --systz}), always
 * with {@code --noadjfile}, and every tool runs under {@code setpriv} without CAP_SYS_TIME (bounding and
 * inheritable sets), so that it could not set the host clock even by mistake. (The emulator checks only the
 * caller's uid for RTC_SET_TIME, so they can still set the chip.)
 */
final class FuseRtcUtilLinuxTest {
    private static final long TOOL_TIMEOUT_SECONDS = 60;
    private static final DateTimeFormatter HWCLOCK = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx");

    @BeforeAll
    static void requireFuseAndTools() {
        final String reason = FuseRtcMount.unavailableReason();
        Assumptions.assumeTrue(reason == null, () -> "Tier 2 (FUSE RTC emulator) skipped: " + reason);
        for (final String tool : new String[] {"hwclock", "rtcwake", "unshare", "setpriv"}) {
            Assumptions.assumeTrue(which(tool) != null,
                tool + " not found (Debian: util-linux-extra has hwclock, util-linux rtcwake, unshare, setpriv)");
        }
    }

    @Test
    void hwclockShowReadsTheEmulatedClock() throws Exception {
        final Duration offset = Duration.ofDays(2).plusHours(3).plusSeconds(11);
        try (FuseRtcMount m = FuseRtcMount.mount(EmulatedRtcChip.withHostClock(offset))) {
            final String out = run("hwclock", "--show", "--utc", "--noadjfile", "-f", m.device().toString());
            final Instant shown = OffsetDateTime.parse(out.trim(), HWCLOCK).toInstant();
            final Instant chip = m.chip().now();
            assertTrue(Duration.between(shown, chip).abs().toMillis() < 2500, "hwclock showed " + shown
                + ", the chip reads " + chip);
            assertTrue(Duration.between(Instant.now(), shown).minus(offset).abs().toMillis() < 2500,
                "hwclock saw the emulated clock, not the host's");
            // FUSE delivers RELEASE after the process has exited: wait for it rather than race it.
            m.chip().awaitState("hwclock to close the device", () -> !m.chip().isOpen(), Duration.ofSeconds(20));
        }
    }

    @Test
    void hwclockSetWritesTheEmulatedClock() throws Exception {
        try (FuseRtcMount m = FuseRtcMount.mount(EmulatedRtcChip.withHostClock(Duration.ZERO))) {
            final long target = LocalDateTime.of(2033, 4, 5, 6, 7, 8).toEpochSecond(ZoneOffset.UTC);
            final long started = System.nanoTime();
            run("hwclock", "--set", "--date", "2033-04-05 06:07:08", "--utc", "--noadjfile", "-f",
                m.device().toString());
            final long elapsedSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            assertTrue(m.chip().timeSets() >= 1, "RTC_SET_TIME arrived");
            final long now = m.chip().now().getEpochSecond();
            assertTrue(now >= target && now <= target + elapsedSeconds + 2, "the chip reads "
                + Instant.ofEpochSecond(now) + " after hwclock --set 2033-04-05T06:07:08Z");
        }
    }

    @Test
    void hwclockSystohcCopiesTheHostTimeIntoTheChip() throws Exception {
        try (FuseRtcMount m = FuseRtcMount.mount(EmulatedRtcChip.withHostClock(Duration.ofDays(-5)))) {
            run("hwclock", "--systohc", "--utc", "--noadjfile", "-f", m.device().toString());
            assertTrue(m.chip().timeSets() >= 1, "RTC_SET_TIME arrived");
            assertTrue(m.chip().offset().abs().toMillis() < 1500, "chip offset from the host after --systohc: "
                + m.chip().offset());
        }
    }

    @Test
    void rtcwakeProgramsShowsAndDisablesTheAlarm() throws Exception {
        final Duration offset = Duration.ofHours(9).plusSeconds(3);
        try (FuseRtcMount m = FuseRtcMount.mount(EmulatedRtcChip.withHostClock(offset))) {
            final Path dev = m.bindUnderDev(); // rtcwake prefixes /dev/ to any other path
            final long before = m.chip().now().getEpochSecond();
            final String out = run("rtcwake", "-m", "no", "-u", "-d", dev.toString(), "-s", "600");
            final long after = m.chip().now().getEpochSecond();
            final EmulatedRtcChip.AlarmSlot slot = m.chip().alarm();
            assertTrue(slot.enabled(), out);
            // rtcwake -s N programs RTC-now + N + 1
            assertTrue(slot.seconds() >= before + 601 && slot.seconds() <= after + 601,
                "alarm " + slot.instant() + " for RTC now in [" + before + ", " + after + "]");
            m.chip().awaitState("rtcwake to close the device", () -> !m.chip().isOpen(), Duration.ofSeconds(20));

            // show and disable insist on /sys/class/rtc/NAME/device/power/wakeup: give them one in a private
            // mount namespace (this machine has no RTC class at all)
            final String shown = runWithFakeWakeupSysfs(dev, "-m", "show");
            assertTrue(shown.startsWith("alarm: on"), shown);
            assertTrue(shown.contains(String.valueOf(LocalDateTime.ofEpochSecond(slot.seconds(), 0, ZoneOffset.UTC)
                .minus(offset).getYear())), shown);
            runWithFakeWakeupSysfs(dev, "-m", "disable");
            assertFalse(m.chip().alarm().enabled(), "rtcwake -m disable cleared the slot");
            assertEquals(slot.seconds(), m.chip().alarm().seconds(), "by re-writing the time it read back");
            assertTrue(runWithFakeWakeupSysfs(dev, "-m", "show").startsWith("alarm: off"));
        }
    }

    @Test
    void rtcwakeIsRefusedBeyondTheFurthestAlarm() throws Exception {
        try (FuseRtcMount m = FuseRtcMount.mount(EmulatedRtcChip.withHostClock(Duration.ZERO))) {
            final Path dev = m.bindUnderDev();
            final Result r = exec(List.of("rtcwake", "-m", "no", "-u", "-d", dev.toString(), "-s", "86400"));
            assertNotEquals(0, r.exit, r.output);
            assertTrue(r.output.contains("Invalid argument"), r.output);
            assertFalse(m.chip().alarm().enabled());
            assertEquals(1, m.chip().wkalmSetsRejected());
            run("rtcwake", "-m", "no", "-u", "-d", dev.toString(), "-s", "86398"); // now + 86399: the furthest
            assertTrue(m.chip().alarm().enabled());
        }
    }

    @Test
    void anAlarmThatRtcwakeProgrammedFiresAtItsSecond() throws Exception {
        try (FuseRtcMount m = FuseRtcMount.mount(EmulatedRtcChip.withHostClock(Duration.ofMinutes(-3)))) {
            final Path dev = m.bindUnderDev();
            run("rtcwake", "-m", "no", "-u", "-d", dev.toString(), "-s", "1");
            final long alarm = m.chip().alarm().seconds();
            try (RtcClient c = RtcClient.open(dev)) {
                assertEquals(0x1a0L, c.read(8));
            }
            final long late = m.chip().nowNanos() - alarm * 1_000_000_000L;
            assertTrue(late >= 0 && late < 1_000_000_000L, "woke " + late + " ns after the alarm second");
        }
    }

    private static String runWithFakeWakeupSysfs(final Path dev, final String... rtcwakeArgs) throws IOException {
        final String name = dev.getFileName().toString();
        final StringBuilder cmd = new StringBuilder("mount -t tmpfs valarm-fake-sysfs /sys/class && mkdir -p "
            + "/sys/class/rtc/" + name + "/device/power && echo enabled > /sys/class/rtc/" + name
            + "/device/power/wakeup && exec rtcwake -u -d " + dev);
        for (final String a : rtcwakeArgs) {
            cmd.append(' ').append(a);
        }
        return run("unshare", "--mount", "--propagation", "private", "sh", "-c", cmd.toString());
    }

    private static String which(final String tool) {
        for (final String dir : new String[] {"/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
            if (Files.isExecutable(Paths.get(dir, tool))) {
                return dir + "/" + tool;
            }
        }
        return null;
    }

    private record Result(int exit, String output) {
    }

    private static String run(final String... command) throws IOException {
        final Result r = exec(List.of(command));
        if (r.exit != 0) {
            throw new AssertionError(String.join(" ", command) + " exited with " + r.exit + ": " + r.output);
        }
        return r.output;
    }

    private static Result exec(final List<String> command) throws IOException {
        final List<String> cmd = new ArrayList<>(List.of("setpriv", "--inh-caps=-sys_time",
            "--bounding-set=-sys_time"));
        cmd.addAll(command);
        final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("TZ", "UTC");
        pb.environment().put("LC_ALL", "C");
        final Process p = pb.start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(cmd + " did not finish in " + TOOL_TIMEOUT_SECONDS + " s: " + out);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return new Result(p.exitValue(), out);
    }
}
