package dev.valarm;

/**
 * How a handle is opened, as {@code open(2)}'s access mode.
 *
 * <p>Thread-safety: immutable.
 */
public enum OpenMode {
    /** {@code O_RDONLY}: only GET_TIME is allowed; everything else fails with EPERM. */
    READ_ONLY,
    /** {@code O_RDWR}: the first state-changing call makes this handle the instance's owner. */
    READ_WRITE
}
