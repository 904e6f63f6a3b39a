package dev.valarm.rtc.linux;

import dev.valarm.ValarmDevice;
import dev.valarm.impl.Valarm;
import dev.valarm.spi.RtcException;

/**
 * Run in a child JVM by {@link ExplicitChoiceTest} with the system properties under test: opens the
 * default device as an application would and prints one line on stdout, {@code opened DESCRIPTION
 * canWake=B}, or {@code failed ERRNO OPERATION | MESSAGE} for a typed failure.
 */
public final class OpenDefaultChild {
    private OpenDefaultChild() {
    }

    /**
     * Opens and closes {@link Valarm#openDefault()}.
     *
     * @param args none
     */
    public static void main(final String[] args) {
        try (ValarmDevice device = Valarm.openDefault()) {
            System.out.println("opened " + device.describe() + " canWake=" + device.rtcCapabilities().canWake());
        } catch (final RtcException e) {
            System.out.println("failed " + e.errno() + " " + e.operation() + " | " + e.getMessage());
        }
    }
}
