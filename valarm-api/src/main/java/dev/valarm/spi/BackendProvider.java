package dev.valarm.spi;

import java.util.List;
import java.util.Optional;

/**
 * A platform's host clocks and RTC backends, found through {@link java.util.ServiceLoader}.
 *
 * <p>The device picks the usable provider with the highest {@link #priority()} unless one is named
 * explicitly (system property {@code valarm.backend}).
 *
 * @implSpec Implementations must have a public no-argument constructor, must be cheap to construct
 *           (no native loading before {@link #probe()} or an {@code open} call), and thread-safe.
 */
public interface BackendProvider {

    /**
     * The provider's name, such as {@code "linux"}.
     *
     * @return the name
     */
    String name();

    /**
     * The preference among usable providers; higher wins. The portable JDK provider has 0.
     *
     * @return the priority
     */
    int priority();

    /**
     * Checks every backend this provider knows on this machine.
     *
     * @return one entry per host-clock and RTC backend, usable or not, with the reason
     */
    List<BackendProbe> probe();

    /**
     * Opens the host clocks.
     *
     * @return the clocks
     * @throws RtcException if they cannot be used here, with the reason
     */
    HostClocks openHostClocks();

    /**
     * Opens an RTC backend.
     *
     * @param backend the backend's name as {@link #probe()} reports it, or null for the first usable one
     *        in this provider's order
     * @return the backend
     * @throws RtcException if it (or, for null, every backend) cannot be used here, with the reasons
     */
    RtcBackend openRtcBackend(String backend);

    /**
     * The RTC backend this provider was told to use (through its constructor, its configuration or a
     * system property) when {@link #openRtcBackend} is called with null, or empty when it chooses one
     * itself. The device's entry point falls back to a portable no-wake backend only after an
     * <em>automatic</em> choice failed: an explicit choice that cannot be honoured is an error.
     *
     * @implSpec The default returns empty (the provider always chooses automatically). A provider that
     *           can be told which backend to use must override it.
     *
     * @return the choice as the user wrote it, with where it came from (for messages), such as
     *         {@code rtc-device:/dev/rtc1 (system property valarm.rtc.backend)}, or empty
     */
    default Optional<String> rtcBackendChoice() {
        return Optional.empty();
    }

    /**
     * Opens the platform's suspend blocker: what holds off a suspend while an instance holds its wakelock.
     *
     * @param blocker the blocker's name as the provider documents it, or null for its automatic choice
     * @return the blocker; by default {@link SuspendBlocker#none()}
     * @throws RtcException if a named blocker cannot work here, with the reason
     */
    default SuspendBlocker openSuspendBlocker(final String blocker) {
        return SuspendBlocker.none();
    }
}
