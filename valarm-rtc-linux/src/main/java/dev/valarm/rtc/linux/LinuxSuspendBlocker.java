package dev.valarm.rtc.linux;

import dev.valarm.Errno;
import dev.valarm.rtc.linux.internal.EpollWakeSource;
import dev.valarm.rtc.linux.internal.Native;
import dev.valarm.rtc.linux.internal.WakeLockFiles;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.SuspendBlocker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's wakelock on Linux: while an instance holds it (from the moment one of its alarms fires until
 * its owner acknowledges the alarm, at most the timeout), this blocker holds off a suspend, as far as Linux
 * lets a process do that.
 *
 * <p><b>What Linux offers</b>, and what each {@link Mechanism} does:
 * <ul>
 * <li>{@link Mechanism#KERNEL_WAKE_LOCK}: the kernel's user-space wakelocks, {@code /sys/power/wake_lock}
 *     and {@code wake_unlock}, one named wakelock per holder ({@code valarm.PID.TAG}) with the kernel's own
 *     timeout. Exists only with {@code CONFIG_PM_WAKELOCKS} (Android kernels); Debian's kernels leave it
 *     unset.</li>
 * <li>{@link Mechanism#EPOLL_WAKEUP}: one kernel wakeup source, active while any holder holds, made from an
 *     eventfd registered with {@code EPOLLWAKEUP} (needs CAP_BLOCK_SUSPEND and a kernel with PM sleep
 *     support; see {@code EpollWakeSource}). Works on stock kernels.</li>
 * <li>{@link Mechanism#PROCESS}: nothing in the kernel; only {@link SystemSuspend} in this process honours
 *     it.</li>
 * </ul>
 * A kernel wakeup source does <em>not</em> stop a plain {@code echo mem > /sys/power/state} (nor
 * {@code systemctl suspend}, which writes the state file the same way): the kernel honours wakeup sources
 * only for a suspend that went through the {@code /sys/power/wakeup_count} handshake (read it, write it
 * back, then write the state; the read blocks and the write back fails while a wakeup source is active, and
 * a wakeup source activated after the write back aborts the suspend) or through autosleep. {@link
 * SystemSuspend} is that handshake for a Java process that suspends the machine. systemd-logind's sleep
 * inhibitor ({@code org.freedesktop.login1.Manager.Inhibit("sleep", who, why, "block")} over D-Bus, held by
 * keeping the returned fd open) is what stops {@code systemctl suspend}; valarm does not implement it: these
 * build and test machines run no logind and no D-Bus, so it could not be tested honestly.
 *
 * <p><b>Choosing.</b> {@link #open(String)} takes a mechanism's {@linkplain Mechanism#label() label} or
 * {@code auto} (also from the system property {@value #PROPERTY}). Auto tries {@code kernel-wake-lock}, then
 * {@code epoll-wakeup}, then falls back to {@code process} with a log line saying why (WARN if the machine
 * can suspend, INFO if it cannot: then there is nothing to block). A mechanism named explicitly that cannot
 * work here fails with {@link RtcException} (ENOENT, EPERM, EOPNOTSUPP) naming the reason.
 *
 * <p><b>Failures while holding.</b> {@link #acquire} and {@link #release} never throw and never block (the
 * device calls them under its lock): a failed kernel write is logged (WARN) and counted
 * ({@link #kernelFailures()}); the holder stays held in this process, so {@link SystemSuspend} still refuses.
 *
 * <p>Timeouts run on {@code CLOCK_MONOTONIC} ({@link System#nanoTime()}), like the kernel's wakelock
 * timeouts, on one daemon thread. Acquiring a held tag again restarts its timeout.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class LinuxSuspendBlocker implements SuspendBlocker {
    private static final Logger LOG = LoggerFactory.getLogger(LinuxSuspendBlocker.class);

    /** System property naming the mechanism ({@code auto} or a {@linkplain Mechanism#label() label}). */
    public static final String PROPERTY = "valarm.suspend.blocker";

    /** How a held blocker reaches the kernel. */
    public enum Mechanism {
        /** {@code /sys/power/wake_lock} (CONFIG_PM_WAKELOCKS). */
        KERNEL_WAKE_LOCK("kernel-wake-lock"),
        /** An {@code EPOLLWAKEUP} wakeup source (CAP_BLOCK_SUSPEND, CONFIG_PM_SLEEP). */
        EPOLL_WAKEUP("epoll-wakeup"),
        /** Nothing in the kernel: only {@link SystemSuspend} in this process honours it. */
        PROCESS("process");

        private final String label;

        Mechanism(final String label) {
            this.label = label;
        }

        /**
         * The name {@link LinuxSuspendBlocker#open(String)} takes.
         *
         * @return such as {@code "epoll-wakeup"}
         */
        public String label() {
            return label;
        }

        /**
         * The mechanism of a label.
         *
         * @param label such as {@code "epoll-wakeup"}
         * @return the mechanism
         * @throws IllegalArgumentException for an unknown label, naming it and the known ones
         */
        public static Mechanism of(final String label) {
            for (final Mechanism m : values()) {
                if (m.label.equals(label)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown suspend blocker \"" + label + "\" (expected auto, "
                    + KERNEL_WAKE_LOCK.label + ", " + EPOLL_WAKEUP.label + " or " + PROCESS.label + ")");
        }
    }

    static final Path SYS_POWER = Paths.get("/sys/power");
    private static final Path PROC_SELF = Paths.get("/proc/self");

    private final Mechanism mechanism;
    private final String reason;
    private final WakeLockFiles wakeLocks;
    private final EpollWakeSource wakeSource;
    private final String namePrefix = "valarm." + ProcessHandle.current().pid() + ".";
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        final Thread t = new Thread(r, "valarm-suspend-blocker");
        t.setDaemon(true);
        return t;
    });
    /** Held tags and their MONOTONIC expiry (System.nanoTime). */
    private final Map<String, Long> held = new HashMap<>();
    private long acquisitions;
    private long kernelFailures;
    private boolean suspending;
    private final Set<String> acquiredWhileSuspending = new TreeSet<>();
    private boolean closed;

    private LinuxSuspendBlocker(final Mechanism mechanism, final String reason, final WakeLockFiles wakeLocks,
            final EpollWakeSource wakeSource) {
        this.mechanism = mechanism;
        this.reason = reason;
        this.wakeLocks = wakeLocks;
        this.wakeSource = wakeSource;
    }

    /**
     * Opens the blocker the system property {@value #PROPERTY} names, else the automatic choice.
     *
     * @return the blocker
     * @throws RtcException if the named mechanism cannot work here
     * @throws IllegalArgumentException if the property names no mechanism
     */
    public static LinuxSuspendBlocker open() {
        return open((String) null);
    }

    /**
     * Opens a blocker by name.
     *
     * @param name a {@linkplain Mechanism#label() label}, {@code auto}, or null for the system property
     *        {@value #PROPERTY} (and {@code auto} without it)
     * @return the blocker
     * @throws RtcException if the named mechanism cannot work here
     * @throws IllegalArgumentException for an unknown name
     */
    public static LinuxSuspendBlocker open(final String name) {
        final String n = name != null ? name : System.getProperty(PROPERTY);
        if (n == null || n.isBlank() || "auto".equals(n.trim())) {
            return openAuto(SYS_POWER, PROC_SELF);
        }
        return open(Mechanism.of(n.trim().toLowerCase(Locale.ROOT)), SYS_POWER, PROC_SELF);
    }

    /**
     * Opens a blocker with the given mechanism.
     *
     * @param mechanism not null
     * @return the blocker
     * @throws RtcException ENOENT / EACCES ({@code kernel-wake-lock} without the files), EOPNOTSUPP
     *         ({@code epoll-wakeup} on a kernel without PM sleep support), EPERM ({@code epoll-wakeup}
     *         without CAP_BLOCK_SUSPEND)
     */
    public static LinuxSuspendBlocker open(final Mechanism mechanism) {
        return open(mechanism, SYS_POWER, PROC_SELF);
    }

    static LinuxSuspendBlocker open(final Mechanism mechanism, final Path sysPower, final Path procSelf) {
        Objects.requireNonNull(mechanism, "mechanism");
        final LinuxSuspendBlocker b;
        switch (mechanism) {
            case KERNEL_WAKE_LOCK:
                b = new LinuxSuspendBlocker(mechanism, "named wakelocks in " + sysPower.resolve("wake_lock"),
                        WakeLockFiles.open(Native.get(), sysPower), null);
                break;
            case EPOLL_WAKEUP:
                if (!Files.exists(sysPower.resolve("wakeup_count"))) {
                    throw new RtcException(Errno.EOPNOTSUPP, "open(" + sysPower.resolve("wakeup_count") + ")",
                            "the kernel has no PM sleep support: nothing honours an EPOLLWAKEUP wakeup source here");
                }
                b = new LinuxSuspendBlocker(mechanism, "a kernel wakeup source (EPOLLWAKEUP on an eventfd)", null,
                        EpollWakeSource.open(Native.get(), procSelf));
                break;
            default:
                b = new LinuxSuspendBlocker(mechanism, "held in this process only", null, null);
                break;
        }
        LOG.info("suspend blocker: {} ({})", mechanism.label(), b.reason);
        return b;
    }

    static LinuxSuspendBlocker openAuto(final Path sysPower, final Path procSelf) {
        final List<String> why = new ArrayList<>(2);
        for (final Mechanism m : new Mechanism[] {Mechanism.KERNEL_WAKE_LOCK, Mechanism.EPOLL_WAKEUP}) {
            try {
                return open(m, sysPower, procSelf);
            } catch (final RtcException e) {
                why.add(m.label() + ": " + e.getMessage());
            }
        }
        final String states = suspendStates(sysPower);
        if (states.isEmpty()) {
            LOG.info("suspend blocker: {}; this machine cannot suspend ({} lists no sleep state), so there is "
                    + "nothing to block ({})", Mechanism.PROCESS.label(), sysPower.resolve("state"), why);
        } else {
            LOG.warn("suspend blocker: {}; no kernel mechanism works here ({}): only SystemSuspend in this process "
                    + "honours a held wakelock, the machine may suspend under a pending alarm", Mechanism.PROCESS.label(),
                    why);
        }
        return open(Mechanism.PROCESS, sysPower, procSelf);
    }

    /** The sleep states {@code /sys/power/state} lists ("" if none or absent). */
    static String suspendStates(final Path sysPower) {
        try {
            return Files.readString(sysPower.resolve("state")).trim();
        } catch (final IOException e) {
            return "";
        }
    }

    /**
     * The mechanism in use.
     *
     * @return the mechanism
     */
    public Mechanism mechanism() {
        return mechanism;
    }

    /**
     * What this blocker does, for logs and probes.
     *
     * @return such as {@code "epoll-wakeup: a kernel wakeup source (EPOLLWAKEUP on an eventfd)"}
     */
    public String describe() {
        return mechanism.label() + ": " + reason;
    }

    @Override
    public void acquire(final String tag, final Duration timeout) {
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(timeout, "timeout");
        final long nanos = Math.max(1, timeout.toNanos());
        final long expiry = System.nanoTime() + nanos;
        synchronized (this) {
            if (closed) {
                LOG.warn("suspend blocker {} is closed: {} not held", mechanism.label(), tag);
                return;
            }
            final boolean first = held.isEmpty();
            held.put(tag, expiry);
            acquisitions++;
            if (suspending) {
                acquiredWhileSuspending.add(tag);
            }
            try {
                if (wakeLocks != null) {
                    wakeLocks.lock(kernelName(tag), nanos);
                } else if (wakeSource != null && first) {
                    wakeSource.activate();
                }
            } catch (final RtcException e) {
                kernelFailure("hold for " + tag, e);
            }
        }
        try {
            timer.schedule(() -> expire(tag, expiry), nanos, TimeUnit.NANOSECONDS);
        } catch (final RejectedExecutionException e) {
            // closed meanwhile: close() released everything
            LOG.debug("suspend blocker {} closed while {} was acquired", mechanism.label(), tag);
        }
    }

    @Override
    public void release(final String tag) {
        Objects.requireNonNull(tag, "tag");
        synchronized (this) {
            if (held.remove(tag) != null) {
                relaxed(tag);
            }
        }
    }

    private synchronized void expire(final String tag, final long expiry) {
        final Long e = held.get(tag);
        if (e != null && e == expiry) {
            held.remove(tag);
            LOG.debug("suspend blocker: {} timed out", tag);
            relaxed(tag);
        }
    }

    /** {@code tag} is no longer held (lock held). */
    private void relaxed(final String tag) {
        try {
            if (wakeLocks != null) {
                wakeLocks.unlock(kernelName(tag));
            } else if (wakeSource != null && held.isEmpty()) {
                wakeSource.relax();
            }
        } catch (final RtcException e) {
            // The kernel drops a timed-out wakelock by itself: unlocking it then answers EINVAL.
            if (wakeLocks == null || e.errno() != Errno.EINVAL) {
                kernelFailure("release of " + tag, e);
            }
        }
        if (held.isEmpty()) {
            notifyAll();
        }
    }

    private void kernelFailure(final String what, final RtcException e) {
        kernelFailures++;
        LOG.warn("suspend blocker {}: the kernel refused the {} ({}); it is held in this process only", mechanism.label(),
                what, e.getMessage());
    }

    /** The kernel wakelock name of a tag: {@code valarm.PID.TAG}, blanks and odd characters as '_'. */
    String kernelName(final String tag) {
        return namePrefix + tag.replaceAll("[^A-Za-z0-9._\\[\\]-]", "_");
    }

    /**
     * The tags holding the blocker now (acquired, not released, not timed out).
     *
     * @return a sorted copy
     */
    public synchronized Set<String> heldTags() {
        final long now = System.nanoTime();
        final Set<String> tags = new TreeSet<>();
        held.forEach((t, e) -> {
            if (e - now > 0) {
                tags.add(t);
            }
        });
        return tags;
    }

    /**
     * Waits until no tag holds the blocker.
     *
     * @param timeout how long at most
     * @return true if none holds it (now or within the timeout)
     * @throws InterruptedException if interrupted
     */
    public synchronized boolean awaitReleased(final Duration timeout) throws InterruptedException {
        final long end = System.nanoTime() + timeout.toNanos();
        while (!heldTags().isEmpty()) {
            final long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
        return true;
    }

    /**
     * How many times the blocker was acquired.
     *
     * @return the count
     */
    public synchronized long acquisitions() {
        return acquisitions;
    }

    /**
     * How many kernel writes failed (each logged).
     *
     * @return the count
     */
    public synchronized long kernelFailures() {
        return kernelFailures;
    }

    /** {@link SystemSuspend} is about to hand the machine to the kernel: note who acquires meanwhile. */
    synchronized void beginSuspend() {
        suspending = true;
        acquiredWhileSuspending.clear();
    }

    /** The suspend returned: who acquired while it was entered. */
    synchronized Set<String> endSuspend() {
        suspending = false;
        return new TreeSet<>(acquiredWhileSuspending);
    }

    /** Releases everything held (in the kernel too) and stops the timeout thread. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (final String tag : new ArrayList<>(held.keySet())) {
                held.remove(tag);
                relaxed(tag);
            }
            if (wakeSource != null) {
                wakeSource.close();
            }
        }
        timer.shutdownNow();
    }
}
