package dev.valarm.rtc.linux;

import dev.valarm.Errno;
import dev.valarm.rtc.linux.SuspendAttempt.Outcome;
import dev.valarm.rtc.linux.internal.LinuxAbi;
import dev.valarm.rtc.linux.internal.Native;
import dev.valarm.rtc.linux.internal.NativeTimespec;
import dev.valarm.spi.RtcException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Suspends the machine to RAM the way the kernel lets a caller respect wakelocks: not while any valarm
 * instance holds its wakelock ({@link LinuxSuspendBlocker}), and through the {@code /sys/power/wakeup_count}
 * handshake, so that a wakeup event (an alarm firing, any driver's wakeup source) between the decision and
 * the suspend aborts it instead of being slept through.
 *
 * <p>One attempt ({@link #trySuspend()}):
 * <ol>
 * <li>a held wakelock refuses at once ({@link SuspendAttempt.Outcome#REFUSED}, with the holders);</li>
 * <li>{@code wakeup_count} is read (the kernel blocks this read while a wakeup source is active, so a
 *     kernel-held valarm wakelock defers it until released or timed out, at most the wakelock's timeout);</li>
 * <li>the wakelocks are checked again, then the count is written back: EINVAL means a wakeup event came in
 *     between ({@link SuspendAttempt.Outcome#ABORTED});</li>
 * <li>{@code mem} is written to {@code /sys/power/state}: the call returns after the resume
 *     ({@link SuspendAttempt.Outcome#RESUMED}, with the time slept), or EBUSY when the kernel aborted the
 *     suspend for a wakeup event ({@link SuspendAttempt.Outcome#ABORTED}).</li>
 * </ol>
 * With a kernel mechanism ({@code epoll-wakeup}, {@code kernel-wake-lock}) an alarm that fires at any point
 * of this aborts the attempt in the kernel. With {@code process} the kernel knows nothing: an alarm that
 * fires after step 3 is slept through; the attempt reports it ({@link SuspendAttempt#heldTags()} of a
 * RESUMED attempt) and logs a warning.
 *
 * <p>{@link #suspend(Duration)} defers instead of refusing: it waits for the wakelocks to be released and
 * tries again, up to a bound.
 *
 * <p>Not covered: a wakeup alarm set a moment before the attempt. The device programs the hardware from its
 * dispatcher thread, shortly after {@code set} returns, and holds no wakelock meanwhile; a suspend that wins
 * that race sleeps past the alarm (it is delivered at the next wake). Callers that set an alarm and then
 * suspend should let the dispatcher run first (see {@code dev.valarm.impl.DeviceListener#hardwareProgrammed}).
 *
 * <p>Needs root (the files are 0644). Thread-safety: thread-safe; attempts are serialised.
 */
public final class SystemSuspend {
    private static final Logger LOG = LoggerFactory.getLogger(SystemSuspend.class);

    private final LinuxSuspendBlocker blocker;
    private final String wakeupCount;
    private final String state;

    /**
     * A suspender over {@code /sys/power}.
     *
     * @param blocker the wakelocks to respect (the blocker the devices were built with), not null
     */
    public SystemSuspend(final LinuxSuspendBlocker blocker) {
        this(blocker, LinuxSuspendBlocker.SYS_POWER);
    }

    SystemSuspend(final LinuxSuspendBlocker blocker, final Path sysPower) {
        this.blocker = Objects.requireNonNull(blocker, "blocker");
        this.wakeupCount = sysPower.resolve("wakeup_count").toString();
        this.state = sysPower.resolve("state").toString();
    }

    /**
     * One attempt to suspend to RAM (see the class comment).
     *
     * @return the attempt; REFUSED and ABORTED leave the machine running
     * @throws RtcException EOPNOTSUPP when the kernel has no {@code wakeup_count} (no PM sleep support), or
     *         the errno of a read or write that is not the handshake's (EPERM without root, EINVAL from the
     *         state file when a device failed to suspend)
     */
    public synchronized SuspendAttempt trySuspend() {
        final Set<String> held = blocker.heldTags();
        if (!held.isEmpty()) {
            LOG.info("suspend refused: the valarm wakelock is held by {}", held);
            return new SuspendAttempt(Outcome.REFUSED, held, Duration.ZERO, "held by " + held);
        }
        final Native nat = Native.get();
        final String count;
        try {
            count = nat.readSmallFile(wakeupCount);
        } catch (final RtcException e) {
            if (e.errno() == Errno.ENOENT) {
                throw new RtcException(Errno.EOPNOTSUPP, e.operation(), "the kernel has no PM sleep support", e);
            }
            throw e;
        }
        blocker.beginSuspend();
        final Set<String> raced;
        final Outcome early;
        final String detail;
        final long boot0;
        final long mono0;
        try {
            final Set<String> heldNow = blocker.heldTags();
            if (!heldNow.isEmpty()) {
                LOG.info("suspend refused: the valarm wakelock was taken by {} during the handshake", heldNow);
                return new SuspendAttempt(Outcome.REFUSED, heldNow, Duration.ZERO, "held by " + heldNow);
            }
            if (!writeBack(nat, wakeupCount, count, Errno.EINVAL)) {
                LOG.info("suspend aborted: a wakeup event came after reading {} = {}", wakeupCount, count);
                return new SuspendAttempt(Outcome.ABORTED, Set.of(), Duration.ZERO, "writing " + count + " back to "
                        + wakeupCount + " failed with EINVAL: a wakeup event came in between");
            }
            boot0 = clock(nat, LinuxAbi.CLOCK_BOOTTIME);
            mono0 = clock(nat, LinuxAbi.CLOCK_MONOTONIC);
            if (writeBack(nat, state, "mem", Errno.EBUSY)) {
                early = null;
                detail = null;
            } else {
                early = Outcome.ABORTED;
                detail = "writing mem to " + state + " failed with EBUSY: the kernel aborted the suspend for a wakeup event";
            }
        } finally {
            raced = blocker.endSuspend();
        }
        if (early != null) {
            LOG.info("suspend aborted by the kernel: a wakeup event arrived while suspending");
            return new SuspendAttempt(early, raced, Duration.ZERO, detail);
        }
        final long slept = (clock(nat, LinuxAbi.CLOCK_BOOTTIME) - boot0) - (clock(nat, LinuxAbi.CLOCK_MONOTONIC) - mono0);
        if (!raced.isEmpty()) {
            LOG.warn("{} acquired the valarm wakelock while the machine was entering suspend; the {} blocker could not "
                    + "stop it", raced, blocker.mechanism().label());
        }
        final Duration d = Duration.ofNanos(Math.max(0, slept));
        LOG.info("resumed after sleeping {} ms", d.toMillis());
        return new SuspendAttempt(Outcome.RESUMED, raced, d, "slept " + d.toMillis() + " ms"
                + (raced.isEmpty() ? "" : "; acquired while suspending: " + raced));
    }

    /** Writes {@code content}; false if the write failed with {@code expected}, else any failure is thrown. */
    private static boolean writeBack(final Native nat, final String path, final String content, final int expected) {
        try {
            nat.writeSmallFile(path, content);
            return true;
        } catch (final RtcException e) {
            if (e.errno() == expected) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Suspends to RAM as soon as no wakelock is held, waiting for that at most {@code maxDefer}.
     *
     * @param maxDefer how long to wait for the wakelocks, not negative
     * @return the last attempt: RESUMED, ABORTED, or REFUSED if still held at the bound
     * @throws InterruptedException if interrupted while deferring
     * @throws RtcException as {@link #trySuspend()}
     */
    public SuspendAttempt suspend(final Duration maxDefer) throws InterruptedException {
        Objects.requireNonNull(maxDefer, "maxDefer");
        if (maxDefer.isNegative()) {
            throw new IllegalArgumentException("maxDefer must not be negative: " + maxDefer);
        }
        final long end = System.nanoTime() + maxDefer.toNanos();
        while (true) {
            final SuspendAttempt a = trySuspend();
            final long left = end - System.nanoTime();
            if (a.outcome() != Outcome.REFUSED || left <= 0) {
                return a;
            }
            LOG.info("suspend deferred: waiting up to {} ms for {} to release the valarm wakelock", left / 1_000_000,
                    a.heldTags());
            blocker.awaitReleased(Duration.ofNanos(left));
        }
    }

    private static long clock(final Native nat, final int id) {
        final NativeTimespec ts = new NativeTimespec(nat.runtime());
        if (nat.libc().clock_gettime(id, ts) != 0) {
            throw Native.fail(nat.errno(), "clock_gettime(" + id + ")", "failed");
        }
        return ts.nanos();
    }
}
