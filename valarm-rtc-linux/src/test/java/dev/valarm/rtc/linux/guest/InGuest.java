package dev.valarm.rtc.linux.guest;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Marks the tests of this package as guest-only: they run inside the qemu guest that
 * {@code src/test/qemu/run-guest-tests.sh} boots (which sets {@value #PROPERTY}{@code =true}) and
 * skip everywhere else, including the host's surefire run. (Public for the suspend tier,
 * {@code dev.valarm.rtc.linux.guest.suspend}.)
 */
public final class InGuest {

    /** The system property the guest's JVM is started with. */
    public static final String PROPERTY = "valarm.guest";

    private InGuest() {
    }

    /** Skips the calling test unless it runs inside the qemu guest. */
    public static void assumeGuest() {
        assumeTrue(Boolean.getBoolean(PROPERTY),
                "guest-only test: runs inside the qemu guest of QemuRtcCmosTest (-D" + PROPERTY + "=true)");
    }
}
