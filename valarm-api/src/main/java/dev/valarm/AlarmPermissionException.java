package dev.valarm;

/**
 * Thrown when a read-only handle tried to change state (the driver's EPERM).
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class AlarmPermissionException extends ValarmException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a message that names the offending value
     */
    public AlarmPermissionException(final String message) {
        super(Errno.EPERM, message);
    }
}
