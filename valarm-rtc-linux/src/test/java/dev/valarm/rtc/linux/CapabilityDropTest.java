package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.rtc.linux.internal.LinuxOnly;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Tier 1, root: what happens without a capability. A child JVM runs {@link ProbeChild} under
 * {@code setpriv} with the capability dropped from its bounding and inheritable sets: without
 * CAP_WAKE_ALARM the alarm-clock backend is refused with EPERM and auto-selection moves on; without
 * CAP_SYS_TIME setting the host clock is a typed EPERM.
 */
final class CapabilityDropTest {

    @Test
    void withoutCapWakeAlarmTheProbeSaysEpermAndSelectionMovesOn() throws Exception {
        LinuxOnly.assumeRoot();
        Assumptions.assumeTrue(Files.isExecutable(Paths.get("/usr/bin/setpriv")),
                "needs setpriv (util-linux) at /usr/bin/setpriv");
        final List<String> out = runChild(List.of("/usr/bin/setpriv", "--bounding-set=-wake_alarm",
                "--inh-caps=-wake_alarm"));
        final String alarm = line(out, "probe alarm-timerfd ");
        assertTrue(alarm.contains("usable=false") && alarm.contains("EPERM") && alarm.contains("CAP_WAKE_ALARM"),
                alarm);
        final String last = out.get(out.size() - 1);
        assertTrue(!last.startsWith("opened alarm-timerfd"), "must have moved on: " + last);
        if (last.startsWith("failed")) {
            assertTrue(last.contains("alarm-timerfd: EPERM"), "the failure lists the EPERM: " + last);
        }
    }

    @Test
    void withCapWakeAlarmTheSameChildUsesTheAlarmClock() throws Exception {
        LinuxOnly.assumeRoot();
        final List<String> out = runChild(List.of());
        final String alarm = line(out, "probe alarm-timerfd ");
        assertTrue(alarm.contains("usable=true"), alarm);
        assertEquals("opened alarm-timerfd", out.get(out.size() - 1), String.join("\n", out));
    }

    @Test
    void withoutCapSysTimeSettingTheHostClockIsATypedEperm() throws Exception {
        LinuxOnly.assumeRoot();
        Assumptions.assumeTrue(Files.isExecutable(Paths.get("/usr/bin/setpriv")),
                "needs setpriv (util-linux) at /usr/bin/setpriv");
        final List<String> out = runChild(List.of("/usr/bin/setpriv", "--bounding-set=-sys_time",
                "--inh-caps=-sys_time"), "settime");
        final String last = out.get(out.size() - 1);
        assertTrue(last.startsWith("settime failed 1 EPERM: clock_settime(CLOCK_REALTIME)")
                && last.contains("CAP_SYS_TIME"), last);
    }

    private static String line(final List<String> out, final String prefix) {
        return out.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line " + prefix + "in:\n" + String.join("\n", out)));
    }

    private static List<String> runChild(final List<String> wrapper, final String... args)
            throws IOException, InterruptedException {
        final ChildJvm child = ChildJvm.run(wrapper, List.of(), ProbeChild.class, args);
        assertEquals(0, child.exitCode(), "child exit status; output:\n" + String.join("\n", child.out()));
        assertTrue(!child.out().isEmpty(), "child printed nothing");
        return child.out();
    }
}
