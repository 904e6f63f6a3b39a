package dev.valarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.impl.Valarm;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(final String... args) {
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpListsTheCommandsAndExitsZero() {
        assertEquals(0, run("--help"));
        assertTrue(out().contains("demo") && out().contains("probe"), out());
    }

    @Test
    void noArgumentsIsAUsageError() {
        assertEquals(2, run());
        assertTrue(err().contains("usage"), err());
    }

    @Test
    void anUnknownCommandIsAUsageErrorNamingIt() {
        assertEquals(2, run("frobnicate"));
        assertTrue(err().contains("'frobnicate'"), err());
    }

    @Test
    void everyCommandHasHelp() {
        assertEquals(0, run("demo", "--help"));
        assertTrue(out().contains("usage: ./valarm demo"), out());
        assertEquals(0, run("probe", "--help"));
        assertTrue(out().contains("usage: ./valarm probe"), out());
    }

    @Test
    void badDemoArgumentsAreUsageErrorsNamingTheValue() {
        assertEquals(2, run("demo", "--instances", "99"));
        assertTrue(err().contains("99"), err());
        assertEquals(2, run("demo", "--bogus"));
        assertTrue(err().contains("--bogus"), err());
        assertEquals(2, run("probe", "extra"));
    }

    @Test
    void probeListsTheBackendsAndExitsZero() {
        assertEquals(0, run("probe"));
        assertTrue(out().contains("jdk"), out());
    }

    @Test
    void theDemoDeliversEveryAlarmAndExitsZero() {
        assertEquals(0, run("demo"), err());
        assertTrue(out().contains("delivered 15 of 15 alarms"), out());
        assertTrue(out().contains("SET_RTC ->"), out());
        assertTrue(out().contains("[rtc]"), out());
    }

    @Test
    void theDemoPrintsOneLinePerHardwareDecision() {
        assertEquals(0, run("demo"), err());
        // "wake alarm -> 2026-12-01T21:21:24.634284773Z (earliest ...": each a new wanted wake time. The demo's
        // six wakeup alarms are at least 97 ms apart, so two targets within a millisecond are one decision
        // printed twice (the host clocks sampled at slightly different moments), which must not happen.
        final List<Instant> targets = out().lines().filter(l -> l.contains("[rtc]") && l.contains("wake alarm -> "))
                .map(l -> Instant.parse(l.substring(l.indexOf("wake alarm -> ") + 14, l.indexOf(" (earliest"))))
                .collect(Collectors.toList());
        assertFalse(targets.isEmpty(), out());
        // A host clock change moves the wake time of a BOOTTIME alarm on a realtime-based RTC (alarm-timerfd) by the
        // step: a new decision, microseconds from the last. Some hosts step their clock several times a second, so
        // as many near repeats as the device counted clock changes are those; any more is the fault.
        final java.util.regex.Matcher changes = java.util.regex.Pattern.compile("clockChanges=(\\d+)").matcher(out());
        assertTrue(changes.find(), out());
        final long clockChanges = Long.parseLong(changes.group(1));
        final List<String> repeats = new java.util.ArrayList<>();
        for (int i = 1; i < targets.size(); i++) {
            final Duration apart = Duration.between(targets.get(i - 1), targets.get(i)).abs();
            if (apart.compareTo(Duration.ofMillis(1)) <= 0) {
                repeats.add("decisions " + (i - 1) + " and " + i + " want the same wake (" + apart + " apart)");
            }
        }
        assertTrue(repeats.size() <= clockChanges, repeats + " with " + clockChanges + " host clock changes:\n" + out());
    }

    @Test
    void versionPrintsThisBuildsVersion() {
        final String expected = System.getProperty("valarm.test.expectedVersion");
        assertTrue(expected != null && !expected.isBlank() && !expected.contains("${"), "surefire passes the version");
        assertEquals(0, run("--version"), err());
        assertTrue(out().startsWith("valarm " + expected + " (Java "), out());
        assertEquals(1, out().lines().count(), out());
        assertEquals(2, run("--version", "extra"));
        assertTrue(err().contains("extra"), err());
        assertEquals(0, run("--help"));
        assertTrue(out().contains("--version"), "the help mentions --version: " + out());
    }

    @Test
    void aRepeatedOptionIsAUsageErrorNamingItAndBothValues() {
        assertEquals(2, run("demo", "--instances", "3", "--instances=4"));
        assertTrue(err().contains("--instances is given twice (3 and 4)"), err());
        assertTrue(err().contains("usage: ./valarm demo"), err());
        assertEquals(2, run("timeline", "--out", "a.svg", "--window", "1", "--out=b.svg"));
        assertTrue(err().contains("--out is given twice (a.svg and b.svg)"), err());
        assertEquals(2, run("timeline", "--window=1", "--window=1"));
        assertTrue(err().contains("--window is given twice (1 and 1)"), "even with the same value: " + err());
    }

    @Test
    void probeNamesTheProviderAndTheDeviceTheDefaultWouldOpen() {
        final String provider = Valarm.defaultProvider().name();
        assertEquals(0, run("probe"), err());
        assertTrue(out().contains("selection: provider " + provider + " (the usable provider with the highest priority)"),
                out());
        assertTrue(out().lines().anyMatch(l -> l.trim().startsWith("opens ") && l.contains(" + ")), out());
        withProperty(Valarm.BACKEND_PROPERTY, "jdk", () -> {
            assertEquals(0, run("probe"), err());
            assertTrue(out().contains("selection: provider jdk (named by the system property valarm.backend)"), out());
            assertTrue(out().contains("opens jdk-clocks + no-wake: cannot wake this machine"), out());
        });
        withProperty(Valarm.BACKEND_PROPERTY, "nope", () -> {
            assertEquals(1, run("probe"), "an explicit choice that cannot be honoured fails the check");
            assertTrue(out().contains("selection: FAILS") && out().contains("\"nope\""), out());
        });
    }

    private void withProperty(final String name, final String value, final Runnable body) {
        final String old = System.getProperty(name);
        System.setProperty(name, value);
        out.reset();
        err.reset();
        try {
            body.run();
        } finally {
            if (old == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, old);
            }
        }
    }
}
