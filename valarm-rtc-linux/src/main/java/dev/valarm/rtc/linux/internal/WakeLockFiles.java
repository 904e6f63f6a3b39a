package dev.valarm.rtc.linux.internal;

import dev.valarm.Errno;
import dev.valarm.spi.RtcException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kernel's user-space wakelocks ({@code CONFIG_PM_WAKELOCKS}, Android's interface): writing
 * {@code "NAME TIMEOUT_NS"} to {@code /sys/power/wake_lock} activates a wakeup source of that name for at
 * most the timeout, writing {@code NAME} to {@code /sys/power/wake_unlock} relaxes it. Names are global to
 * the machine and must not contain blanks.
 *
 * <p>Thread-safety: immutable; each call is one write.
 */
public final class WakeLockFiles {

    private final Native nat;
    private final String lock;
    private final String unlock;

    private WakeLockFiles(final Native nat, final Path sysPower) {
        this.nat = nat;
        this.lock = sysPower.resolve("wake_lock").toString();
        this.unlock = sysPower.resolve("wake_unlock").toString();
    }

    /**
     * Checks that both files exist and are writable.
     *
     * @param nat the binding
     * @param sysPower {@code /sys/power}
     * @return the files
     * @throws RtcException ENOENT when the kernel has no user-space wakelocks (CONFIG_PM_WAKELOCKS unset, as in
     *         Debian's kernels), EACCES when they are not writable (needs root or CAP_BLOCK_SUSPEND)
     */
    public static WakeLockFiles open(final Native nat, final Path sysPower) {
        for (final String f : new String[] {"wake_lock", "wake_unlock"}) {
            final Path p = sysPower.resolve(f);
            if (!Files.exists(p)) {
                throw new RtcException(Errno.ENOENT, "open(" + p + ")", "the kernel has no user-space wakelocks "
                        + "(CONFIG_PM_WAKELOCKS is not set; Debian's kernels leave it unset)");
            }
            if (!Files.isWritable(p)) {
                throw new RtcException(Errno.EACCES, "open(" + p + ")", "not writable (needs root or CAP_BLOCK_SUSPEND)");
            }
        }
        return new WakeLockFiles(nat, sysPower);
    }

    /**
     * Activates (or re-times) the wakelock {@code name}.
     *
     * @param name no blanks
     * @param timeoutNanos at least 1
     * @throws RtcException with the errno of the write
     */
    public void lock(final String name, final long timeoutNanos) {
        nat.writeSmallFile(lock, name + " " + Math.max(1, timeoutNanos));
    }

    /**
     * Relaxes the wakelock {@code name}.
     *
     * @param name no blanks
     * @throws RtcException with the errno of the write (EINVAL if the kernel no longer knows the name)
     */
    public void unlock(final String name) {
        nat.writeSmallFile(unlock, name);
    }
}
