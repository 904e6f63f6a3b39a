package dev.valarm.rtc.linux;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * What one {@link SystemSuspend} attempt did.
 *
 * <p>Thread-safety: immutable.
 *
 * @param outcome what happened
 * @param heldTags {@link Outcome#REFUSED}: the holders that refused it; {@link Outcome#RESUMED}: the
 *        holders that acquired while the kernel was entering the suspend (the {@code process} mechanism
 *        cannot stop those; a kernel mechanism aborts the suspend instead); else empty
 * @param slept {@link Outcome#RESUMED}: the time the machine slept, as the kernel injected it into
 *        CLOCK_BOOTTIME (CLOCK_MONOTONIC stops); else zero
 * @param detail what happened, naming files and errnos
 */
public record SuspendAttempt(Outcome outcome, Set<String> heldTags, Duration slept, String detail) {

    /** The outcome of an attempt. */
    public enum Outcome {
        /** The machine suspended and resumed. */
        RESUMED,
        /** Not attempted: a wakelock is held (or was held until the deferral's bound). */
        REFUSED,
        /**
         * The kernel's handshake or the kernel aborted the suspend: a wakeup event came between reading
         * {@code wakeup_count} and suspending ({@code EINVAL} writing it back, {@code EBUSY} from the state
         * file). Retry later.
         */
        ABORTED
    }

    /**
     * Validates the fields.
     *
     * @param outcome not null
     * @param heldTags not null, copied
     * @param slept not null
     * @param detail not null
     */
    public SuspendAttempt {
        Objects.requireNonNull(outcome, "outcome");
        heldTags = Set.copyOf(heldTags);
        Objects.requireNonNull(slept, "slept");
        Objects.requireNonNull(detail, "detail");
    }
}
