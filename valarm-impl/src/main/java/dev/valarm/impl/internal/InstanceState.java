package dev.valarm.impl.internal;

import java.util.List;

/**
 * A snapshot of one instance's driver state, for tests (equality compares every field; the owner by
 * identity). Immutable.
 *
 * @param minor the minor
 * @param closed whether the instance is closed
 * @param owner the owning handle (compared by identity), or null
 * @param enabled armed type bits
 * @param pending fired type bits and the time-change bit not yet collected
 * @param waitPending whether a WAIT returned events not yet acknowledged
 * @param blockerHeld whether the instance holds the suspend blocker
 * @param wallClockOffset instance realtime minus host realtime, nanoseconds
 * @param armedTimes per type, the armed alarm's time on the instance's clock, or {@code Long.MIN_VALUE}
 *        if the type is not armed
 * @param blockingWaiters threads blocked in WAIT
 * @param asyncWaiters queued asynchronous waiters (completed ones included until they are purged)
 */
public record InstanceState(int minor, boolean closed, Object owner, int enabled, int pending, boolean waitPending,
        boolean blockerHeld, long wallClockOffset, List<Long> armedTimes, int blockingWaiters, int asyncWaiters) {
}
