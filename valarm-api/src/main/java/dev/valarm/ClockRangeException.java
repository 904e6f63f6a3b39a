package dev.valarm;

/**
 * Thrown when a clock would be set outside the clock range (ERANGE): the one error of the rule every clock
 * valarm sets follows.
 *
 * <h2>The clock range</h2>
 * Whenever valarm sets a clock, it must read within {@link Timespec#CLOCK_MIN} and
 * {@link Timespec#CLOCK_MAX}: plus or minus 4 611 686 018 s, half of the 64-bit nanosecond range (the bound
 * Linux time namespaces put on their clocks, {@code KTIME_SEC_MAX / 2}), about 146 years either side of
 * the clock's zero; for a wall clock, 1823-11-12T00:06:22Z to 2116-02-20T23:53:38Z. The clocks set are an
 * instance's three clocks (the host clock plus the instance's offset) when the instance is created,
 * unshared or restored, its wall clock on SET_RTC, and the host clock through
 * {@link ValarmDevice#setHostTime}. Whatever would put a clock outside the range is refused with this
 * exception, and nothing changes. A clock set inside the range then runs on with the host's (past the
 * range's end, if it is set near it).
 *
 * <p>The horizon: a clock set inside the range is at least 4 611 686 018 s (146 years) from the end of the
 * 64-bit range, so it cannot saturate until the host clock has moved that far from where it was when the
 * clock was set. Within that horizon no clock freezes and no alarm fires before its time. Alarm times
 * themselves may be any {@link Timespec}: one at or beyond the end of the 64-bit range never fires, one
 * before its start fires at once.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class ClockRangeException extends ValarmException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message a message that names the offending clock and value and the range
     */
    public ClockRangeException(final String message) {
        super(Errno.ERANGE, message);
    }
}
