package dev.valarm.bridge.internal;

import dev.valarm.AlarmHandle;

/**
 * The durability SPI of a connection: told of every change a caller is about to be told succeeded, right
 * before the reply goes to the kernel, so that a journal can make it durable first (the valarm daemon's
 * write-ahead rule: an ioctl that returned, an open that succeeded, a WAIT's consumption of pending
 * events, are all on record before the caller learns of them). Each method gets the finished reply bytes,
 * which a successor process can write again for the same request id after a crash.
 *
 * <p>The default ({@link #NONE}) does nothing: {@code AlarmBridge} serves without a journal.
 *
 * <p>An implementation that cannot make a change durable must not return normally from the methods that
 * precede a reply (it may end the process: the request then stays unanswered in the kernel, to be re-sent
 * to a successor). Thread-safety: implementations must be thread-safe; {@link #parked}, {@link #opened},
 * {@link #released}, {@link #changed} and {@link #replay} run on the serving loop, {@link #answered} on the
 * thread that completes a WAIT.
 */
public interface StateHook {
    /** Records nothing. */
    StateHook NONE = new StateHook() {
    };

    /**
     * An OPEN succeeded: {@code fh} is the new open file's handle.
     *
     * @param c the connection
     * @param unique the request id
     * @param fh the file handle replied
     * @param handle the new handle
     * @param reply the reply about to be written
     * @param length its length
     */
    default void opened(final Connection c, final long unique, final long fh, final AlarmHandle handle, final Reply reply,
            final int length) {
    }

    /**
     * A RELEASE closed {@code handle} (an owner's release cancelled the instance's alarms).
     *
     * @param c the connection
     * @param unique the request id
     * @param fh the released file handle
     * @param handle the closed handle
     * @param reply the reply about to be written
     * @param length its length
     */
    default void released(final Connection c, final long unique, final long fh, final AlarmHandle handle,
            final Reply reply, final int length) {
    }

    /**
     * An ioctl that may have changed the instance (anything but GET_TIME from a writable handle, the
     * driver's failures included: an unknown number still claims ownership) is answered.
     *
     * @param c the connection
     * @param unique the request id
     * @param fh the file handle
     * @param handle the handle
     * @param reply the reply about to be written
     * @param length its length
     */
    default void changed(final Connection c, final long unique, final long fh, final AlarmHandle handle,
            final Reply reply, final int length) {
    }

    /**
     * A WAIT (or the WAIT half of SET_AND_WAIT) was parked: it will be answered later by {@link #answered}.
     *
     * @param c the connection
     * @param unique the request id
     * @param fh the file handle
     * @param handle the handle
     * @param cmd the request number
     */
    default void parked(final Connection c, final long unique, final long fh, final AlarmHandle handle, final int cmd) {
    }

    /**
     * A parked WAIT is answered: its events were taken from the instance (or it failed or was interrupted).
     *
     * @param c the connection
     * @param unique the request id
     * @param fh the file handle
     * @param handle the handle (already closed, when the answer is a close's ENODEV)
     * @param reply the reply about to be written
     * @param length its length
     * @return true to write the reply; false to drop it (the process is handing its connections over and the
     *         successor answers the request from the durable state)
     */
    default boolean answered(final Connection c, final long unique, final long fh, final AlarmHandle handle,
            final Reply reply, final int length) {
        return true;
    }

    /**
     * A request the kernel re-sent ({@code FUSE_NOTIFY_RESEND}: its id carries
     * {@link FuseAbi#UNIQUE_RESEND}) after a predecessor had read it. If the predecessor's answer is on record,
     * the hook writes it into {@code reply} (for the re-sent id) and returns its length; the request is then
     * answered with it instead of being applied a second time.
     *
     * @param c the connection
     * @param unique the re-sent request's id (with the resend bit)
     * @param reply the loop's reply buffer
     * @return the length of the recorded reply written into {@code reply}, or -1 if none is on record
     */
    default int replay(final Connection c, final long unique, final Reply reply) {
        return -1;
    }
}
