package dev.valarm;

/**
 * Thrown when an invalid alarm type, command or time (the driver's EINVAL).
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class InvalidAlarmException extends ValarmException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a message that names the offending value
     */
    public InvalidAlarmException(final String message) {
        super(Errno.EINVAL, message);
    }
}
