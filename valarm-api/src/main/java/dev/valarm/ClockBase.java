package dev.valarm;

/**
 * The three host clock bases an alarm can be measured on.
 *
 * <p>Thread-safety: immutable.
 */
public enum ClockBase {
    /** Wall-clock time ({@code CLOCK_REALTIME}): nanoseconds since the Unix epoch; can be set and jump. */
    REALTIME,
    /** Time since boot including suspend ({@code CLOCK_BOOTTIME}); never jumps, never goes back. */
    BOOTTIME,
    /** Time since boot excluding suspend ({@code CLOCK_MONOTONIC}); stops while the machine sleeps. */
    MONOTONIC
}
