package dev.valarm;

/**
 * Thrown when an {@link InstanceSnapshot} cannot be decoded or restored. The errno says why:
 *
 * <ul>
 * <li>{@link Errno#EBADMSG}: the bytes are not an intact snapshot (too short, bad magic, a length that
 * does not match, a checksum mismatch, a malformed name);</li>
 * <li>{@link Errno#EOPNOTSUPP}: an intact snapshot of a format version newer than this library reads;</li>
 * <li>{@link Errno#EINVAL}: an intact snapshot whose fields are invalid (a minor out of range, unknown
 * event bits, a time for an alarm type that is not armed, reserved flags set).</li>
 * </ul>
 * A snapshot whose clocks cannot be placed on the target device (outside the clock range there) is
 * refused with {@link ClockRangeException} (ERANGE), the error of every clock valarm sets.
 *
 * <p>Whatever the reason, nothing was changed: no instance was created and no alarm armed. Conflicts
 * with the target device's state (a minor in use, the instance limit) are reported as
 * {@link ValarmLimitException}s instead, as {@link ValarmDevice#createInstance(InstanceConfig)} does.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class InvalidSnapshotException extends ValarmException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param errno {@link Errno#EBADMSG}, {@link Errno#EOPNOTSUPP} or {@link Errno#EINVAL}
     * @param message a message that names the offending field and value
     */
    public InvalidSnapshotException(final int errno, final String message) {
        super(errno, message);
    }
}
