package dev.valarm.impl.sim;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * How a {@link SimulatedMachine#suspend} ended.
 *
 * <p>Thread-safety: immutable.
 *
 * @param result why the machine woke (or did not sleep)
 * @param slept how long REALTIME and BOOTTIME moved while MONOTONIC stood still
 * @param blockers the suspend-blocker tags that refused the suspend (empty otherwise)
 */
public record SuspendOutcome(Result result, Duration slept, Set<String> blockers) {

    /** Why a suspend ended. */
    public enum Result {
        /** The RTC's wake alarm ended it. */
        WOKEN_BY_ALARM,
        /** The given limit ended it (no alarm, or an alarm beyond the limit, or a lost interrupt). */
        LIMIT_REACHED,
        /** A held suspend blocker refused it; no time passed. */
        REFUSED
    }

    /**
     * Validates the fields.
     *
     * @param result not null
     * @param slept not null
     * @param blockers not null
     */
    public SuspendOutcome {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(slept, "slept");
        blockers = Set.copyOf(blockers);
    }
}
