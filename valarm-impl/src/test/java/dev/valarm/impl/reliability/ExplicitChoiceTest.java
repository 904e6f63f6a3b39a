package dev.valarm.impl.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.Valarm;
import dev.valarm.spi.RtcException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * No silent fallback in {@link Valarm#openDefault()}: an explicit choice that cannot be honoured is a
 * typed error naming the choice and the reason, with an ERROR log line; only an automatic choice falls
 * back, with a WARN line saying why. Driven through {@link ChoiceTestProvider} (the Linux provider's
 * own explicit choices are tested end to end in valarm-rtc-linux's {@code ExplicitChoiceTest}).
 */
final class ExplicitChoiceTest {
    private static final String[] PROPERTIES = {Valarm.BACKEND_PROPERTY, ChoiceTestProvider.USABLE,
        ChoiceTestProvider.CHOICE};
    private final Map<String, String> saved = new HashMap<>();
    private LogCapture log;

    @BeforeEach
    void saveProperties() {
        for (final String p : PROPERTIES) {
            saved.put(p, System.getProperty(p));
            System.clearProperty(p);
        }
        log = new LogCapture();
    }

    @AfterEach
    void restoreProperties() {
        log.close();
        saved.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
    }

    @Test
    void anUnusableProviderChosenAutomaticallyIsPassedOver() {
        try (ValarmDevice device = Valarm.openDefault()) {
            assertTrue(device.describe().startsWith("jdk-clocks"), device.describe());
        }
    }

    @Test
    void anRtcBackendChosenExplicitlyOnAnUnusableProviderFailsInsteadOfPassingItOver() {
        System.setProperty(ChoiceTestProvider.CHOICE, "tick-tock:/dev/rtc9");
        final RtcException e = assertThrows(RtcException.class, Valarm::openDefault);
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("tick-tock:/dev/rtc9 (system property " + ChoiceTestProvider.CHOICE + ")")
                && e.getMessage().contains("switched off"), e.getMessage());
        assertTrue(log.text().contains("ERROR") && log.text().contains("tick-tock:/dev/rtc9"), log.text());
    }

    @Test
    void anRtcBackendChosenExplicitlyThatCannotOpenFailsNamingTheChoiceAndTheReason() {
        System.setProperty(ChoiceTestProvider.USABLE, "true");
        System.setProperty(ChoiceTestProvider.CHOICE, "tick-tock:/dev/rtc9");
        final RtcException e = assertThrows(RtcException.class, Valarm::openDefault);
        assertEquals(Errno.ENODEV, e.errno());
        assertEquals("open RTC backend tick-tock:/dev/rtc9 (system property " + ChoiceTestProvider.CHOICE + ")",
                e.operation());
        assertTrue(e.getMessage().contains(ChoiceTestProvider.NO_RTC)
                && e.getMessage().contains("does not fall back"), e.getMessage());
        assertTrue(e.getCause() instanceof RtcException, "the backend's own failure is the cause");
        final String line = log.text().lines().filter(l -> l.contains("ERROR")).findFirst().orElse("");
        assertTrue(line.contains("dev.valarm.impl.Valarm") && line.contains("tick-tock:/dev/rtc9")
                && line.contains(ChoiceTestProvider.NO_RTC), log.text());
        assertFalse(log.text().contains("using the portable no-wake backend"), log.text());
    }

    @Test
    void anRtcBackendChosenAutomaticallyFallsBackToNoWakeAndSaysWhy() {
        System.setProperty(ChoiceTestProvider.USABLE, "true");
        try (ValarmDevice device = Valarm.openDefault()) {
            assertTrue(device.describe().equals("jdk-clocks + no-wake"), device.describe());
            assertFalse(device.rtcCapabilities().canWake());
        }
        final String line = log.text().lines().filter(l -> l.contains("using the portable no-wake backend"))
                .findFirst().orElse("");
        assertTrue(line.contains("WARN") && line.contains(ChoiceTestProvider.NAME)
                && line.contains(ChoiceTestProvider.NO_RTC), log.text());
    }

    @Test
    void anUnknownProviderFailsNamingItAndTheProvidersThereAre() {
        System.setProperty(Valarm.BACKEND_PROPERTY, "nope");
        final RtcException e = assertThrows(RtcException.class, Valarm::openDefault);
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("\"nope\"") && e.getMessage().contains("jdk"), e.getMessage());
        assertTrue(log.text().contains("ERROR") && log.text().contains("\"nope\""), log.text());
    }
}
