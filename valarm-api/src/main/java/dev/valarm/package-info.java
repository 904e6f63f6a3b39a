/**
 * The valarm API: a {@link dev.valarm.ValarmDevice} owns virtual alarm devices
 * ({@link dev.valarm.ValarmInstance}, one per "minor"); an {@link dev.valarm.AlarmHandle} is one open
 * file of such a device and carries the driver's operations (SET, CLEAR, WAIT, SET_AND_WAIT, GET_TIME,
 * SET_RTC) with the driver's ownership rules.
 *
 * <p>Errors are unchecked {@link dev.valarm.ValarmException}s that carry the driver's errno; programming
 * errors such as {@code null} arguments raise the usual JDK exceptions.
 */
package dev.valarm;
