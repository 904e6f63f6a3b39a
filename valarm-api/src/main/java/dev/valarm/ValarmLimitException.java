package dev.valarm;

/**
 * Thrown when a bounded resource is exhausted: too many instances on a device, too many waiters on an
 * instance, a minor number already in use. Nothing is queued without bound and nothing is dropped
 * silently: the caller gets this exception and the state is unchanged.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class ValarmLimitException extends ValarmException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param errno {@link Errno#ENOSPC} for an exhausted limit, {@link Errno#EEXIST} for a taken minor
     * @param message a message that names the limit and the value
     */
    public ValarmLimitException(final int errno, final String message) {
        super(errno, message);
    }
}
