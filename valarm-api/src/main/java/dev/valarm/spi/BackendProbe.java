package dev.valarm.spi;

import java.util.Objects;

/**
 * Whether one backend is usable on this machine, and why not.
 *
 * <p>Thread-safety: immutable.
 *
 * @param provider the provider's name, such as {@code "linux"}
 * @param backend the backend's name, such as {@code "alarm-timerfd"}
 * @param usable whether it can be opened here
 * @param canWake whether, once open, it can wake a suspended machine
 * @param reason why it is or is not usable, naming the errno or file involved
 */
public record BackendProbe(String provider, String backend, boolean usable, boolean canWake, String reason) {

    /**
     * Validates the fields.
     *
     * @param provider not null
     * @param backend not null
     * @param usable whether usable
     * @param canWake whether it can wake
     * @param reason not null
     */
    public BackendProbe {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(reason, "reason");
    }
}
