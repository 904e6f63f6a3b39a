package dev.valarm.impl.internal;

/**
 * Keeps an event that can repeat many times a second from flooding the log: the first occurrence is reported
 * at once, later ones at most once per interval, each report counting the occurrences it stands for. Some
 * machines step their host clock several times a second (a virtual machine's agent keeping its clock in line),
 * and every step is a host clock change; the exact count stays in the device's statistics.
 *
 * <p>Thread-safety: not thread-safe; one thread reports (the dispatcher).
 */
final class RepeatedEventLog {
    private final long intervalNanos;
    private boolean reported;
    private long lastReportNanos;
    private long unreported;

    /**
     * @param intervalNanos the shortest time between two reports, positive
     */
    RepeatedEventLog(final long intervalNanos) {
        if (intervalNanos <= 0) {
            throw new IllegalArgumentException("interval must be positive: " + intervalNanos + " ns");
        }
        this.intervalNanos = intervalNanos;
    }

    /**
     * Counts one occurrence.
     *
     * @param nowNanos a monotonic reading, nanoseconds
     * @return 0 if this occurrence is not to be reported now; otherwise how many occurrences the report stands
     *         for (this one and those held back since the last report)
     */
    long occurred(final long nowNanos) {
        if (reported && nowNanos - lastReportNanos < intervalNanos) {
            unreported++;
            return 0;
        }
        final long n = unreported + 1;
        unreported = 0;
        reported = true;
        lastReportNanos = nowNanos;
        return n;
    }
}
