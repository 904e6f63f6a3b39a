package dev.valarm.impl.abi;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.Errno;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmClosedException;
import dev.valarm.ValarmException;
import dev.valarm.impl.internal.DriverAccess;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The alarm driver's ioctl ABI ({@code drivers/staging/android/alarm-dev.c}, {@code alarm_ioctl} and
 * {@code alarm_compat_ioctl}) applied to an {@link AlarmHandle}: takes a request number and the
 * argument bytes a process passed, and returns what the driver returns: {@code 0}, the positive event
 * mask of a WAIT, or a negative errno ({@code -EINVAL}, {@code -EPERM}, {@code -EBUSY}, {@code -EFAULT}).
 *
 * <h2>Request numbers</h2>
 * {@code ALARM_IOW(c, type, size) = _IOW('a', c | type << 4, size)}: the alarm type sits in bits 4..7 of
 * the number. With the x86-64 layouts (a 16-byte {@code struct timespec} of two little-endian
 * {@code s64}; the compat {@code struct compat_timespec} of two {@code s32}):
 * <table>
 * <caption>ioctl numbers (t = alarm type 0..4)</caption>
 * <tr><th>request</th><th>{@link Abi#LP64}</th><th>{@link Abi#COMPAT32}</th><th>argument</th></tr>
 * <tr><td>CLEAR(t)</td><td>{@code 0x6100 + 0x10 t}</td><td>same</td><td>none</td></tr>
 * <tr><td>WAIT</td><td>{@code 0x6101}</td><td>same</td><td>none; returns the event mask</td></tr>
 * <tr><td>SET(t)</td><td>{@code 0x40106102 + 0x10 t}</td><td>{@code 0x40086102 + 0x10 t}</td><td>in: timespec</td></tr>
 * <tr><td>SET_AND_WAIT(t)</td><td>{@code 0x40106103 + 0x10 t}</td><td>{@code 0x40086103 + 0x10 t}</td><td>in: timespec; returns the mask</td></tr>
 * <tr><td>GET_TIME(t)</td><td>{@code 0x40106104 + 0x10 t}</td><td>{@code 0x40086104 + 0x10 t}</td><td><b>out</b>: timespec</td></tr>
 * <tr><td>SET_RTC</td><td>{@code 0x40106105}</td><td>{@code 0x40086105}</td><td>in: timespec</td></tr>
 * </table>
 *
 * <h2>Order of checks (as the driver)</h2>
 * <ol>
 * <li>A closed handle, instance or device: {@code -EBADF} / {@code -ENODEV} (the system call would
 * never reach the driver).</li>
 * <li>Copy-in for SET, SET_AND_WAIT and SET_RTC: an argument shorter than the timespec (or null) is
 * {@code -EFAULT}, before anything else is checked (S1 copies before the ownership step).</li>
 * <li>The type nibble: 5..15 is {@code -EINVAL}, for every command.</li>
 * <li>For every command whose base is not GET_TIME: a read-only handle is {@code -EPERM}; then, unless
 * the raw number equals SET_RTC, the handle claims ownership or gets {@code -EBUSY}.</li>
 * <li>Dispatch on the base command ({@code cmd & ~0xf0}); no match is {@code -EINVAL}.</li>
 * <li>GET_TIME copies its result out: an argument too short or read-only is {@code -EFAULT}.</li>
 * </ol>
 *
 * <h2>Driver quirks reproduced (alarm-dev.md section 8)</h2>
 * <ul>
 * <li><b>Quirk 1</b>: GET_TIME is numbered {@code _IOW} ("write") but writes its result into the
 * argument buffer, never reads it.</li>
 * <li><b>Quirk 2</b>: ownership is claimed before the command is validated: an unknown command on a
 * writable handle makes it the owner and then returns {@code -EINVAL} (so does a number with a
 * valid type nibble but a wrong size, direction or magic).</li>
 * <li><b>Quirk 3</b>: the SET_RTC ownership exemption compares the raw number: SET_RTC with a non-zero
 * type nibble (1..4) is executed as SET_RTC but claims ownership first (and gets {@code -EBUSY} if
 * another handle owns the instance). Likewise WAIT with a type nibble 1..4 is accepted as WAIT (the
 * type is ignored).</li>
 * <li><b>Quirk 4</b>: another owner is {@code -EBUSY}; {@code -EPERM} only for a read-only handle.</li>
 * <li><b>Quirk 5 and 6</b> come from the handle: SET keeps a stale pending bit; a WAIT that lost a race
 * with another waiter on the same handle returns {@code 0}.</li>
 * <li><b>Quirk 9</b> (compat): only the compat-sized SET, SET_AND_WAIT, SET_RTC and GET_TIME are
 * translated; GET_TIME with the 64-bit number through {@link Abi#COMPAT32} still writes a compat
 * (8-byte) timespec, as the driver does.</li>
 * <li><b>Quirk 10</b>: CLEAR copies no argument (any buffer, even null, is accepted).</li>
 * <li><b>Quirk 11</b>: SET does not validate {@code tv_nsec}: the time is {@code tv_sec * 10^9 + tv_nsec}
 * nanoseconds, as the kernel's {@code timespec64_to_ktime} ({@code ktime_set}) computes it (so
 * {@code (5, -1)} is 4.999999999 s and {@code (5, 1500000000)} is 6.5 s); {@code tv_sec >= KTIME_SEC_MAX}
 * is {@code KTIME_MAX}, a time that never fires, as in the kernel; zero and negative times fire at once.
 * See the decisions below for the two 64-bit ends.</li>
 * </ul>
 *
 * <h2>Decisions where the driver cannot be reproduced</h2>
 * <ul>
 * <li>The 64-bit ends of SET's time (quirk 11): on a 64-bit kernel {@code ktime_set} returns
 * {@code KTIME_MAX} only for {@code tv_sec >= KTIME_SEC_MAX}; below that it computes
 * {@code secs * NSEC_PER_SEC + nsecs} in wrapping two's-complement arithmetic (the kernel builds with
 * {@code -fno-strict-overflow}), so a {@code tv_sec} before 1677, or a {@code tv_nsec} that carries past
 * either end, wraps to the other side of the range. The codec <em>saturates</em> instead: below the range
 * is the earliest time (fires at once), above it {@code KTIME_MAX} (never fires). Chosen because the
 * wrapped value turns a time centuries ahead into one that fires at once (and a past time into one that
 * never fires), against the driver's own rule that past times fire at once and valarm's that nothing
 * fires early; no real program depends on it (it needs seconds before 1677 or {@code tv_nsec} beyond
 * 9.2 * 10^18). So this method computes what {@code ktime_set} means, not its overflow; pinned by
 * {@code AlarmIoctlCodecTest.quirk11_whereTheKernelWouldWrapTheCodecSaturates}.</li>
 * <li>SET_RTC goes through {@code do_settimeofday}, which rejects a timespec that is not
 * {@code timespec_valid_strict} (negative seconds, {@code tv_nsec} outside [0, 999 999 999], seconds
 * at or beyond {@code KTIME_SEC_MAX}): the codec returns {@code -EINVAL} with nothing changed, no
 * time-change event (the ownership of quirk 3 is still taken). Valid times set only the instance's wall
 * clock ({@link AlarmHandle#setRtc}); a valid time beyond valarm's clock range (after
 * 2116-02-20T23:53:38Z, {@link Timespec#CLOCK_MAX}) is {@code -ERANGE}, nothing changed, where the driver
 * would take it up to {@code KTIME_SEC_MAX} (see {@link dev.valarm.ClockRangeException}).</li>
 * <li>Quirk 9: a 64-bit-sized SET, SET_AND_WAIT or SET_RTC number through {@link Abi#COMPAT32}
 * reaches the driver with an uninitialised kernel timespec. The codec runs the same checks (type,
 * EPERM, ownership) and then returns {@code -EINVAL} instead of acting on garbage.</li>
 * <li>GET_TIME through {@link Abi#COMPAT32} truncates the seconds to 32 bits, as
 * {@code compat_put_timespec} does.</li>
 * <li>A WAIT interrupted by {@link Thread#interrupt()} returns {@code -EINTR} (the driver's
 * {@code -ERESTARTSYS} as user space sees it without {@code SA_RESTART}) and the interrupt status is
 * kept; the alarm stays armed.</li>
 * <li>Extensions of valarm surface as their errno: a WAIT beyond the instance's waiter limit is
 * {@code -ENOSPC}; a handle, instance or device closed during a WAIT is {@code -EBADF} or
 * {@code -ENODEV}.</li>
 * </ul>
 *
 * <p>Argument buffers are read and written at their position, little-endian whatever their byte order,
 * without moving the position and without allocating. WAIT through {@link #ioctl(AlarmHandle, int, ByteBuffer)}
 * blocks exactly as {@link AlarmHandle#await()}.
 *
 * <h2>For transports that answer asynchronously (a CUSE or FUSE bridge)</h2>
 * {@link #ioctlDeferringWait} runs every check and the SET half of SET_AND_WAIT as {@code ioctl} does, but
 * never blocks: where {@code ioctl} would start waiting it returns {@link #WAIT_DEFERRED}, and the caller
 * completes the WAIT with {@link AlarmHandle#awaitAsync()} and turns the outcome into the driver's return
 * value with {@link #waitResult}. {@link #inputSize} and {@link #outputSize} say how many argument bytes the
 * driver copies in and out for a number (what an unrestricted CUSE ioctl asks the kernel to fetch, and
 * what a restricted FUSE ioctl cannot carry back).
 * The codec never throws for a bad request or argument; only a null handle ({@link NullPointerException})
 * or a handle not made by valarm-impl ({@link IllegalArgumentException}) are programmer errors.
 *
 * <p>Thread-safety: immutable and thread-safe; calls on the same handle from several threads behave as
 * concurrent ioctls on one open file.
 */
public final class AlarmIoctlCodec {

    /** Which system call entry the request came through. */
    public enum Abi {
        /** A 64-bit process: {@code alarm_ioctl}, 16-byte timespec (two {@code s64}). */
        LP64(16),
        /** A 32-bit process on a 64-bit kernel: {@code alarm_compat_ioctl}, 8-byte timespec (two {@code s32}). */
        COMPAT32(8);

        private final int timespecSize;

        Abi(final int timespecSize) {
            this.timespecSize = timespecSize;
        }

        /**
         * The size of this ABI's {@code struct timespec}.
         *
         * @return 16 or 8 bytes
         */
        public int timespecSize() {
            return timespecSize;
        }
    }

    /** {@code ANDROID_ALARM_CLEAR(0)}: {@code _IO('a', 0)}. */
    public static final int CLEAR = 0x6100;
    /** {@code ANDROID_ALARM_WAIT}: {@code _IO('a', 1)}. */
    public static final int WAIT = 0x6101;
    /** {@code ANDROID_ALARM_SET(0)} with the 64-bit timespec. */
    public static final int SET = 0x40106102;
    /** {@code ANDROID_ALARM_SET_AND_WAIT(0)} with the 64-bit timespec. */
    public static final int SET_AND_WAIT = 0x40106103;
    /** {@code ANDROID_ALARM_GET_TIME(0)} with the 64-bit timespec. */
    public static final int GET_TIME = 0x40106104;
    /** {@code ANDROID_ALARM_SET_RTC} with the 64-bit timespec. */
    public static final int SET_RTC = 0x40106105;
    /** {@code ANDROID_ALARM_SET_COMPAT(0)}: the compat timespec. */
    public static final int SET_COMPAT = 0x40086102;
    /** {@code ANDROID_ALARM_SET_AND_WAIT_COMPAT(0)}. */
    public static final int SET_AND_WAIT_COMPAT = 0x40086103;
    /** {@code ANDROID_ALARM_GET_TIME_COMPAT(0)}. */
    public static final int GET_TIME_COMPAT = 0x40086104;
    /** {@code ANDROID_ALARM_SET_RTC_COMPAT}. */
    public static final int SET_RTC_COMPAT = 0x40086105;

    /** {@code _IOC(0, 0, 0xf0, 0)}: the type bits of a request number. */
    private static final int TYPE_BITS = 0xf0;
    /** {@code KTIME_SEC_MAX}: the kernel's largest representable second. */
    private static final long KTIME_SEC_MAX = Long.MAX_VALUE / Timespec.NANOS_PER_SECOND;

    private static final AlarmIoctlCodec LP64_CODEC = new AlarmIoctlCodec(Abi.LP64);
    private static final AlarmIoctlCodec COMPAT32_CODEC = new AlarmIoctlCodec(Abi.COMPAT32);

    private final Abi abi;

    private AlarmIoctlCodec(final Abi abi) {
        this.abi = abi;
    }

    /**
     * The codec for one ABI.
     *
     * @param abi the system call entry, not null
     * @return the shared codec
     */
    public static AlarmIoctlCodec of(final Abi abi) {
        return Objects.requireNonNull(abi, "abi") == Abi.LP64 ? LP64_CODEC : COMPAT32_CODEC;
    }

    /**
     * The ABI this codec decodes.
     *
     * @return the ABI
     */
    public Abi abi() {
        return abi;
    }

    /**
     * The number of a request for one alarm type: {@code base | type << 4}.
     *
     * @param base a base number such as {@link #SET} or {@link #CLEAR}
     * @param type the alarm type, not null
     * @return the request number
     */
    public static int request(final int base, final AlarmType type) {
        return (base & ~TYPE_BITS) | type.number() << 4;
    }

    /**
     * What {@link #ioctlDeferringWait} returns for a WAIT (or the WAIT half of a SET_AND_WAIT) that passed
     * every check and must now be completed with {@link AlarmHandle#awaitAsync()}. It is
     * {@link Integer#MIN_VALUE}: never a driver return value (those are 0, a mask below 2^17, or an errno
     * above -4096).
     */
    public static final int WAIT_DEFERRED = Integer.MIN_VALUE;

    /**
     * The number of argument bytes the driver copies <em>in</em> ({@code copy_from_user}) for a request
     * number through this ABI: the timespec of SET, SET_AND_WAIT and SET_RTC (16 bytes, or 8 for the
     * compat numbers through {@link Abi#COMPAT32}), 0 for everything else (CLEAR copies nothing, quirk 10;
     * a 64-bit-sized number through {@link Abi#COMPAT32} copies nothing, quirk 9). As in the driver the
     * copy comes before the type check, so a type nibble of 5..15 does not change the answer.
     *
     * @param cmd the request number, any value
     * @return 0, 8 or 16
     */
    public int inputSize(final int cmd) {
        final int base0 = cmd & ~TYPE_BITS;
        if (abi == Abi.LP64) {
            return base0 == SET || base0 == SET_AND_WAIT || base0 == SET_RTC ? 16 : 0;
        }
        return base0 == SET_COMPAT || base0 == SET_AND_WAIT_COMPAT || base0 == SET_RTC_COMPAT ? 8 : 0;
    }

    /**
     * The number of argument bytes the driver copies <em>out</em> ({@code copy_to_user}) for a request
     * number through this ABI when it succeeds: the timespec of GET_TIME with a valid type (16 bytes; 8
     * through {@link Abi#COMPAT32}, for the compat number and, quirk 9, for the 64-bit one), 0 for everything
     * else, a GET_TIME with a type nibble of 5..15 included (it fails before copying).
     *
     * @param cmd the request number, any value
     * @return 0, 8 or 16
     */
    public int outputSize(final int cmd) {
        if ((cmd & TYPE_BITS) >>> 4 >= AlarmType.COUNT) {
            return 0;
        }
        final int base0 = cmd & ~TYPE_BITS;
        if (abi == Abi.LP64) {
            return base0 == GET_TIME ? 16 : 0;
        }
        return base0 == GET_TIME_COMPAT || base0 == GET_TIME ? 8 : 0;
    }

    /**
     * Applies one ioctl as {@link #ioctl(AlarmHandle, int, ByteBuffer)} does, but without blocking: a WAIT,
     * or the WAIT half of a SET_AND_WAIT whose SET succeeded, returns {@link #WAIT_DEFERRED} after the
     * driver's checks (type, EPERM, ownership) instead of waiting. The caller then calls
     * {@link AlarmHandle#awaitAsync()} on the same handle and answers the process with
     * {@link #waitResult}. Everything else returns what {@code ioctl} returns. Allocates nothing beyond what
     * the handle's own methods allocate.
     *
     * @param handle the open file, a handle of a valarm-impl device, not null
     * @param cmd the request number, any value
     * @param arg the argument bytes from its position, or null
     * @return 0, a WAIT mask, a negative errno, or {@link #WAIT_DEFERRED}
     * @throws NullPointerException if {@code handle} is null
     * @throws IllegalArgumentException if {@code handle} was not made by valarm-impl
     */
    public int ioctlDeferringWait(final AlarmHandle handle, final int cmd, final ByteBuffer arg) {
        return apply(handle, cmd, arg, true);
    }

    /**
     * The driver's return value for a WAIT completed through {@link AlarmHandle#awaitAsync()}: the positive
     * event mask, or the negative errno of the failure ({@code -EBADF} or {@code -ENODEV} for a handle,
     * instance or device closed meanwhile, {@code -ENOSPC} for the waiter limit, {@code -EINTR} for a
     * cancelled wait, {@code -EIO} for anything else).
     *
     * @param events the events the future completed with, or null if it failed
     * @param failure what the future failed with (possibly wrapped in a
     *        {@link java.util.concurrent.CompletionException}), or null if it completed
     * @return the mask, or a negative errno
     */
    public static int waitResult(final AlarmEvents events, final Throwable failure) {
        if (failure == null) {
            return events == null ? -Errno.EIO : events.mask();
        }
        Throwable f = failure;
        while (f instanceof java.util.concurrent.CompletionException && f.getCause() != null) {
            f = f.getCause();
        }
        if (f instanceof ValarmException) {
            return -((ValarmException) f).errno();
        }
        if (f instanceof java.util.concurrent.CancellationException) {
            return -Errno.EINTR;
        }
        return -Errno.EIO;
    }

    /**
     * Applies one ioctl to a handle, with the argument in a byte array.
     *
     * @param handle the open file, a handle of a valarm-impl device, not null
     * @param cmd the request number
     * @param arg the argument bytes from offset 0, or null (a NULL pointer)
     * @return 0, the WAIT event mask (positive), or a negative errno
     * @throws NullPointerException if {@code handle} is null
     * @throws IllegalArgumentException if {@code handle} was not made by valarm-impl
     */
    public int ioctl(final AlarmHandle handle, final int cmd, final byte[] arg) {
        return ioctl(handle, cmd, arg == null ? null : ByteBuffer.wrap(arg));
    }

    /**
     * Applies one ioctl to a handle.
     *
     * @param handle the open file, a handle of a valarm-impl device, not null
     * @param cmd the request number, any value
     * @param arg the argument bytes from its position (its limit bounds what may be read or written), or
     *        null (a NULL pointer); a read-only buffer makes GET_TIME fault
     * @return 0, the WAIT event mask (positive), or a negative errno
     * @throws NullPointerException if {@code handle} is null
     * @throws IllegalArgumentException if {@code handle} was not made by valarm-impl
     */
    public int ioctl(final AlarmHandle handle, final int cmd, final ByteBuffer arg) {
        return apply(handle, cmd, arg, false);
    }

    private int apply(final AlarmHandle handle, final int cmd, final ByteBuffer buf, final boolean deferWait) {
        Objects.requireNonNull(handle, "handle");
        if (handle.isClosed()) {
            return -closedErrno(handle);
        }
        int c = cmd;
        long sec = 0;
        long nsec = 0;
        boolean uninitialised = false;
        final int base0 = cmd & ~TYPE_BITS;
        if (abi == Abi.LP64) {
            if (base0 == SET || base0 == SET_AND_WAIT || base0 == SET_RTC) {
                if (!readable(buf, 16)) {
                    return -Errno.EFAULT;
                }
                sec = getLong(buf, buf.position());
                nsec = getLong(buf, buf.position() + 8);
            }
        } else {
            if (base0 == SET_COMPAT || base0 == SET_AND_WAIT_COMPAT || base0 == SET_RTC_COMPAT) {
                if (!readable(buf, 8)) {
                    return -Errno.EFAULT;
                }
                sec = getInt(buf, buf.position());
                nsec = getInt(buf, buf.position() + 4);
                c = compatToNorm(cmd);
            } else if (base0 == GET_TIME_COMPAT) {
                c = compatToNorm(cmd);
            } else if (base0 == SET || base0 == SET_AND_WAIT || base0 == SET_RTC) {
                uninitialised = true;
            }
        }
        final int type = (c & TYPE_BITS) >>> 4;
        if (type >= AlarmType.COUNT) {
            return -Errno.EINVAL;
        }
        final int base = c & ~TYPE_BITS;
        try {
            if (base != GET_TIME) {
                if (handle.mode() == OpenMode.READ_ONLY) {
                    return -Errno.EPERM;
                }
                if (c != SET_RTC) {
                    DriverAccess.claimOwnership(handle);
                }
            }
            final AlarmType t = AlarmType.of(type);
            switch (base) {
                case CLEAR:
                    handle.clear(t);
                    return 0;
                case SET:
                    if (uninitialised) {
                        return -Errno.EINVAL;
                    }
                    handle.set(t, ktime(sec, nsec));
                    return 0;
                case SET_AND_WAIT:
                    if (uninitialised) {
                        return -Errno.EINVAL;
                    }
                    if (deferWait) {
                        handle.set(t, ktime(sec, nsec));
                        return WAIT_DEFERRED;
                    }
                    return handle.setAndAwait(t, ktime(sec, nsec)).mask();
                case WAIT:
                    return deferWait ? WAIT_DEFERRED : handle.await().mask();
                case SET_RTC:
                    if (uninitialised || !validStrict(sec, nsec)) {
                        return -Errno.EINVAL;
                    }
                    handle.setRtc(new Timespec(sec, (int) nsec));
                    return 0;
                case GET_TIME:
                    return putTime(buf, handle.getTime(t));
                default:
                    return -Errno.EINVAL;
            }
        } catch (final ValarmException e) {
            return -e.errno();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return -Errno.EINTR;
        }
    }

    /** {@code ANDROID_ALARM_COMPAT_TO_NORM}: the same NR and type with the 64-bit timespec size. */
    private static int compatToNorm(final int cmd) {
        return 0x40106100 | (cmd & 0xff);
    }

    private int putTime(final ByteBuffer buf, final Timespec t) {
        final int size = abi.timespecSize();
        if (!readable(buf, size) || buf.isReadOnly()) {
            return -Errno.EFAULT;
        }
        final int p = buf.position();
        final boolean le = buf.order() == ByteOrder.LITTLE_ENDIAN;
        if (abi == Abi.LP64) {
            buf.putLong(p, le ? t.seconds() : Long.reverseBytes(t.seconds()));
            buf.putLong(p + 8, le ? t.nanos() : Long.reverseBytes((long) t.nanos()));
        } else {
            buf.putInt(p, le ? (int) t.seconds() : Integer.reverseBytes((int) t.seconds()));
            buf.putInt(p + 4, le ? t.nanos() : Integer.reverseBytes(t.nanos()));
        }
        return 0;
    }

    /** A little-endian {@code s64} at {@code index}, whatever the buffer's order (no duplicate, no allocation). */
    private static long getLong(final ByteBuffer buf, final int index) {
        final long v = buf.getLong(index);
        return buf.order() == ByteOrder.LITTLE_ENDIAN ? v : Long.reverseBytes(v);
    }

    /** A little-endian {@code s32} at {@code index}, whatever the buffer's order. */
    private static int getInt(final ByteBuffer buf, final int index) {
        final int v = buf.getInt(index);
        return buf.order() == ByteOrder.LITTLE_ENDIAN ? v : Integer.reverseBytes(v);
    }

    private static boolean readable(final ByteBuffer buf, final int size) {
        return buf != null && buf.remaining() >= size;
    }

    /**
     * The kernel's {@code ktime_set} as it is meant: {@code sec * 10^9 + nsec}, {@code KTIME_MAX} from
     * {@code KTIME_SEC_MAX} on, and saturated (not wrapped, as a 64-bit kernel's arithmetic would) where the
     * sum leaves the 64-bit range: see the class documentation for why.
     *
     * @param sec {@code tv_sec}, any value
     * @param nsec {@code tv_nsec}, any value (not validated, as in the driver)
     * @return the time
     */
    static Timespec ktime(final long sec, final long nsec) {
        if (sec >= KTIME_SEC_MAX) {
            return Timespec.ofNanos(Long.MAX_VALUE);
        }
        final long n;
        if (sec < Long.MIN_VALUE / Timespec.NANOS_PER_SECOND) {
            n = Long.MIN_VALUE;
        } else {
            n = saturatedAdd(sec * Timespec.NANOS_PER_SECOND, nsec);
        }
        return Timespec.ofNanos(n);
    }

    private static long saturatedAdd(final long a, final long b) {
        final long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    /** {@code timespec_valid_strict}, as {@code do_settimeofday} checks it. */
    private static boolean validStrict(final long sec, final long nsec) {
        return sec >= 0 && sec < KTIME_SEC_MAX && nsec >= 0 && nsec < Timespec.NANOS_PER_SECOND;
    }

    private static int closedErrno(final AlarmHandle handle) {
        try {
            handle.getTime(AlarmType.RTC);
        } catch (final ValarmClosedException e) {
            return e.errno();
        }
        return Errno.EBADF;
    }

    @Override
    public String toString() {
        return "AlarmIoctlCodec[" + abi + ']';
    }
}
