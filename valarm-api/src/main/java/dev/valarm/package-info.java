/**
 * The valarm API: a {@link dev.valarm.ValarmDevice} owns virtual alarm devices
 * ({@link dev.valarm.ValarmInstance}, one per "minor"); an {@link dev.valarm.AlarmHandle} is one open
 * file of such a device and carries the driver's operations (SET, CLEAR, WAIT, SET_AND_WAIT, GET_TIME,
 * SET_RTC) with the driver's ownership rules.
 *
 * <p>Errors are unchecked {@link dev.valarm.ValarmException}s that carry the driver's errno; programming
 * errors such as {@code null} arguments raise the usual JDK exceptions.
 *
 * <p>Times: a {@link dev.valarm.Timespec} may hold any time, and alarms may be set for any time (beyond
 * the 64-bit nanosecond range they never fire, before it they fire at once). Clocks are set only inside
 * the clock range, {@link dev.valarm.Timespec#CLOCK_MIN} to {@link dev.valarm.Timespec#CLOCK_MAX}
 * (1823-11-12 to 2116-02-20 for a wall clock); outside it the one error is
 * {@link dev.valarm.ClockRangeException} (ERANGE), and within 146 years of host time after a clock was set
 * it never saturates, so no alarm ever fires early.
 */
package dev.valarm;
