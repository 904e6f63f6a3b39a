package dev.valarm;

/**
 * Thrown when another open handle owns the instance (the driver's EBUSY).
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class AlarmBusyException extends ValarmException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a message that names the offending value
     */
    public AlarmBusyException(final String message) {
        super(Errno.EBUSY, message);
    }
}
