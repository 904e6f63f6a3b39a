package dev.valarm;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One open file of a virtual alarm device, carrying the driver's ioctls with the driver's rules.
 *
 * <p>Checks happen in the driver's order: a read-only handle gets {@link AlarmPermissionException}
 * (EPERM) for anything but {@link #getTime}; then, for every call but GET_TIME and SET_RTC, a handle
 * that is not yet the owner becomes the owner if the instance has none, or fails with
 * {@link AlarmBusyException} (EBUSY) if another handle owns it. Only one handle per instance may SET,
 * CLEAR and WAIT.
 *
 * <p>Thread-safety: every method is safe to call from any thread. As in the driver, two threads waiting
 * on the same handle are both woken when an event arrives and the one that loses the race gets an empty
 * result.
 */
public interface AlarmHandle extends AutoCloseable {

    /**
     * The instance this handle was opened on.
     *
     * @return the instance
     */
    ValarmInstance instance();

    /**
     * The mode the handle was opened with.
     *
     * @return the open mode
     */
    OpenMode mode();

    /**
     * ANDROID_ALARM_SET: arms the alarm of {@code type} at the absolute time {@code time} on that type's
     * clock as the instance sees it, replacing any earlier alarm of that type. A time in the past (or
     * zero, or negative) fires at once. An event of this type that fired earlier and was not yet
     * collected stays pending (the driver's double report).
     *
     * @param type the alarm type, not null
     * @param time the absolute time, not null
     * @throws AlarmPermissionException (EPERM) on a read-only handle
     * @throws AlarmBusyException (EBUSY) if another handle owns the instance
     * @throws ValarmClosedException if the handle, instance or device is closed
     */
    void set(AlarmType type, Timespec time);

    /**
     * SET with a tolerance window (an extension, the idea of Android's {@code setWindow}): arms the alarm
     * of {@code type} to fire at any moment in {@code [time, time + window]} on that type's clock as the
     * instance sees it, replacing any earlier alarm of that type. The device uses the freedom to coalesce
     * wakeups across all instances: it fires an alarm at the end of its window unless the device wakes
     * for another alarm inside the window first, in which case the alarm rides along. A window of zero
     * is exactly {@link #set(AlarmType, Timespec)}.
     *
     * <p>Delivery stays inside the window except where the hardware cannot hit it: while the machine
     * sleeps, the RTC can only wake on its resolution (typically whole seconds). A window that holds no
     * such instant ends in a wake on the next one, as an exact alarm does. Delivery is never before the
     * window's start, and never later than the first resolution instant at or after its end. An alarm
     * whose window has already ended fires at once; one whose window has begun but not ended fires no
     * later than its end.
     *
     * @param type the alarm type, not null
     * @param time the start of the window (absolute time), not null
     * @param window how long after {@code time} the alarm may fire, not null, not negative; lengths
     *        beyond about 292 years saturate
     * @throws IllegalArgumentException if {@code window} is negative
     * @throws AlarmPermissionException (EPERM) on a read-only handle
     * @throws AlarmBusyException (EBUSY) if another handle owns the instance
     * @throws ValarmClosedException if the handle, instance or device is closed
     */
    void set(AlarmType type, Timespec time, Duration window);

    /**
     * ANDROID_ALARM_CLEAR: disarms the alarm of {@code type} and drops its pending event, if any; a
     * no-op success if it was not armed. The time-change bit is not touched.
     *
     * @param type the alarm type, not null
     * @throws AlarmPermissionException (EPERM) on a read-only handle
     * @throws AlarmBusyException (EBUSY) if another handle owns the instance
     * @throws ValarmClosedException if the handle, instance or device is closed
     */
    void clear(AlarmType type);

    /**
     * ANDROID_ALARM_WAIT: blocks until an event is pending, then fetches and clears every pending event.
     * Calling it again acknowledges the previous result (releases the suspend blocker).
     *
     * @return the events; empty only when another thread waiting on this handle took them first
     * @throws InterruptedException if the thread is interrupted while blocked (the alarm stays armed)
     * @throws AlarmPermissionException (EPERM) on a read-only handle
     * @throws AlarmBusyException (EBUSY) if another handle owns the instance
     * @throws ValarmClosedException if the handle, instance or device is or becomes closed
     */
    AlarmEvents await() throws InterruptedException;

    /**
     * ANDROID_ALARM_WAIT with a timeout (an extension: the driver's WAIT has none). The timeout is
     * measured on the JVM's real clock ({@link System#nanoTime()}), not the device's clocks: it bounds
     * how long the calling thread blocks.
     *
     * @param timeout how long to block at most, not null, not negative; zero polls
     * @return the events, or {@link AlarmEvents#NONE} if none arrived in time
     * @throws InterruptedException if the thread is interrupted while blocked
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws AlarmPermissionException (EPERM) on a read-only handle
     * @throws AlarmBusyException (EBUSY) if another handle owns the instance
     * @throws ValarmClosedException if the handle, instance or device is or becomes closed
     */
    AlarmEvents await(Duration timeout) throws InterruptedException;

    /**
     * ANDROID_ALARM_SET_AND_WAIT: {@link #set} then {@link #await()}. If the wait is interrupted the
     * alarm stays armed.
     *
     * @param type the alarm type, not null
     * @param time the absolute time, not null
     * @return the events
     * @throws InterruptedException if the thread is interrupted while blocked
     * @throws AlarmPermissionException (EPERM) on a read-only handle
     * @throws AlarmBusyException (EBUSY) if another handle owns the instance
     * @throws ValarmClosedException if the handle, instance or device is or becomes closed
     */
    AlarmEvents setAndAwait(AlarmType type, Timespec time) throws InterruptedException;

    /**
     * An asynchronous WAIT: the same checks and the same fetch-and-clear, but the result completes a
     * future on the device's callback executor instead of blocking. If events are pending the future is
     * returned already complete; otherwise it completes after the fetch, never under the device's lock and
     * never on the thread that fires alarms, so its dependent callbacks may block or call into the device. The future fails with
     * {@link ValarmClosedException} when the handle, instance or device closes. Cancelling the future
     * before the device completes it (or completing it yourself, or letting {@code orTimeout} do so)
     * gives any events it took back to the instance at once, as if it had never taken them: the next WAIT
     * returns them, and a CLEAR drops them, including a CLEAR made while they were on their way to the
     * future. None is lost and none comes back after a CLEAR.
     *
     * @return a future of the events
     * @throws AlarmPermissionException (EPERM) on a read-only handle
     * @throws AlarmBusyException (EBUSY) if another handle owns the instance
     * @throws ValarmLimitException (ENOSPC) if the instance has too many waiters
     * @throws ValarmClosedException if the handle, instance or device is closed
     */
    CompletableFuture<AlarmEvents> awaitAsync();

    /**
     * ANDROID_ALARM_GET_TIME: the instance's time on the clock of {@code type}. Allowed on read-only
     * handles; never claims ownership.
     *
     * @param type the alarm type, not null
     * @return the instance's time on that clock
     * @throws ValarmClosedException if the handle, instance or device is closed
     */
    Timespec getTime(AlarmType type);

    /**
     * ANDROID_ALARM_SET_RTC: sets this instance's wall clock (only this instance's: the host clock and
     * every other instance are untouched). Re-evaluates the instance's wall-clock alarms against the new
     * time (a jump past an alarm fires it) and raises the time-change event on this instance. Any
     * writable handle may call it; it does not claim ownership.
     *
     * @param time the new wall-clock time of the instance, not null
     * @throws AlarmPermissionException (EPERM) on a read-only handle
     * @throws ClockRangeException (ERANGE) if {@code time} is outside the clock range
     *         ({@link Timespec#CLOCK_MIN}, 1823-11-12, to {@link Timespec#CLOCK_MAX}, 2116-02-20); nothing is
     *         changed
     * @throws ValarmClosedException if the handle, instance or device is closed
     */
    void setRtc(Timespec time);

    /**
     * Whether this handle owns the instance.
     *
     * @return true if this handle is the owner
     */
    boolean isOwner();

    /**
     * Whether this handle was closed.
     *
     * @return true once closed
     */
    boolean isClosed();

    /**
     * Closes the handle. If it is the owner: every alarm of the instance is cancelled, pending events are
     * discarded, the suspend blocker is released and the instance has no owner. A non-owner close does
     * nothing else. Waiters on this handle are woken with {@link ValarmClosedException}. Idempotent.
     */
    @Override
    void close();
}
