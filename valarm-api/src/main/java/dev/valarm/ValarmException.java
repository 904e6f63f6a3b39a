package dev.valarm;

/**
 * The root of valarm's unchecked exceptions: a failure the alarm driver would report as an errno.
 *
 * <p>Subclasses name the common cases; {@link #errno()} always carries the driver's errno so that a
 * bridge can return it unchanged. Thread-safety: immutable after construction.
 */
public class ValarmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The errno. */
    private final int errno;

    /**
     * Creates an exception.
     *
     * @param errno the errno the driver would return, positive
     * @param message a message that names the offending value
     */
    public ValarmException(final int errno, final String message) {
        super(Errno.name(errno) + ": " + message);
        this.errno = errno;
    }

    /**
     * Creates an exception with a cause.
     *
     * @param errno the errno the driver would return, positive
     * @param message a message that names the offending value
     * @param cause the underlying failure, may be null
     */
    public ValarmException(final int errno, final String message, final Throwable cause) {
        super(Errno.name(errno) + ": " + message, cause);
        this.errno = errno;
    }

    /**
     * The errno the alarm driver would have returned.
     *
     * @return a positive errno value, see {@link Errno}
     */
    public final int errno() {
        return errno;
    }
}
