package dev.valarm;

/**
 * Thrown when a handle, instance or device is used after it was closed, and to every waiter that a
 * close wakes. The errno is {@link Errno#EBADF} for a closed handle and {@link Errno#ENODEV} for a
 * closed instance or device.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class ValarmClosedException extends ValarmException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param errno {@link Errno#EBADF} or {@link Errno#ENODEV}
     * @param message a message that names what was closed
     */
    public ValarmClosedException(final int errno, final String message) {
        super(errno, message);
    }
}
