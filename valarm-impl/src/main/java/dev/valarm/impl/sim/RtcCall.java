package dev.valarm.impl.sim;

import dev.valarm.Errno;
import dev.valarm.Timespec;
import java.util.Objects;

/**
 * One call made to a {@link SimulatedRtc}: what, with which argument, at which RTC time, and how it
 * ended.
 *
 * <p>Thread-safety: immutable.
 *
 * @param op the operation
 * @param argument the time passed (program, set), or null
 * @param rtcTime the RTC's own time when the call was made
 * @param errno 0 for success, else the errno it failed with
 */
public record RtcCall(SimulatedRtc.Op op, Timespec argument, Timespec rtcTime, int errno) {

    /**
     * Validates the fields.
     *
     * @param op not null
     * @param argument may be null
     * @param rtcTime not null
     * @param errno not negative
     */
    public RtcCall {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(rtcTime, "rtcTime");
    }

    /**
     * Whether the call succeeded.
     *
     * @return true if errno is 0
     */
    public boolean succeeded() {
        return errno == 0;
    }

    @Override
    public String toString() {
        return op + (argument != null ? "(" + argument + ")" : "()") + " at RTC " + rtcTime
                + (errno == 0 ? "" : " -> " + Errno.name(errno));
    }
}
