package dev.valarm.spi;

import dev.valarm.ValarmException;

/**
 * A failure of a backend call: the host clocks or the RTC could not do what was asked. Carries the
 * errno and the operation that failed, such as {@code "ioctl(RTC_WKALM_SET) on /dev/rtc0"}.
 *
 * <p>Thread-safety: immutable after construction.
 */
public class RtcException extends ValarmException {
    private static final long serialVersionUID = 1L;

    /** The failed operation. */
    private final String operation;

    /**
     * Creates the exception.
     *
     * @param errno the errno of the failure
     * @param operation the failed operation, such as {@code "clock_settime(CLOCK_REALTIME)"}
     * @param message what went wrong, naming the values involved
     */
    public RtcException(final int errno, final String operation, final String message) {
        super(errno, operation + ": " + message);
        this.operation = operation;
    }

    /**
     * Creates the exception with a cause.
     *
     * @param errno the errno of the failure
     * @param operation the failed operation
     * @param message what went wrong, naming the values involved
     * @param cause the underlying failure
     */
    public RtcException(final int errno, final String operation, final String message, final Throwable cause) {
        super(errno, operation + ": " + message, cause);
        this.operation = operation;
    }

    /**
     * The operation that failed.
     *
     * @return a description such as {@code "ioctl(RTC_RD_TIME) on /dev/rtc0"}
     */
    public final String operation() {
        return operation;
    }
}
