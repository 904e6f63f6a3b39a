package dev.valarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
}
