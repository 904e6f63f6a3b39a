package dev.valarm.bridge;

import dev.valarm.ValarmException;

/**
 * The bridge could not do what was asked: the kernel or the machine refused, with the errno it gave
 * and a reason a person can act on (for example {@code ENOENT} "no CUSE in this kernel",
 * {@code EPERM} "not root", {@code EBUSY} "mount point busy").
 *
 * <p>Thread-safety: immutable.
 */
public final class BridgeException extends ValarmException {
    private static final long serialVersionUID = 1L;

    /** The operation that failed. */
    private final String operation;
    /** Why, in words. */
    private final String reason;

    /**
     * Creates an exception.
     *
     * @param errno the errno the kernel gave (or the one that best names the refusal), positive
     * @param operation what was attempted, such as {@code "serve CUSE device alarm"}
     * @param reason why it failed, naming the offending value
     */
    public BridgeException(final int errno, final String operation, final String reason) {
        super(errno, operation + ": " + reason);
        this.operation = operation;
        this.reason = reason;
    }

    /**
     * Creates an exception with a cause.
     *
     * @param errno the errno, positive
     * @param operation what was attempted
     * @param reason why it failed
     * @param cause the underlying failure
     */
    public BridgeException(final int errno, final String operation, final String reason, final Throwable cause) {
        super(errno, operation + ": " + reason, cause);
        this.operation = operation;
        this.reason = reason;
    }

    /**
     * What was attempted.
     *
     * @return the operation
     */
    public String operation() {
        return operation;
    }

    /**
     * Why it failed.
     *
     * @return the reason
     */
    public String reason() {
        return reason;
    }
}
