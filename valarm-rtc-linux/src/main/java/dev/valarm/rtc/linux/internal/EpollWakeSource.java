package dev.valarm.rtc.linux.internal;

import dev.valarm.Errno;
import dev.valarm.spi.RtcException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jnr.ffi.Pointer;

/**
 * A kernel wakeup source that user space can switch on and off without {@code CONFIG_PM_WAKELOCKS}: an
 * eventfd registered in an epoll set with {@code EPOLLWAKEUP}. While the eventfd is readable its epoll item
 * is on the ready list and the kernel keeps the item's wakeup source active ({@code fs/eventpoll.c}); an
 * active wakeup source makes {@code /sys/power/wakeup_count} reads block and the write back fail, and aborts
 * a suspend entered after such a handshake (or by autosleep). Switching off drains the eventfd and runs
 * {@code epoll_wait} once with a zero timeout, which takes the item off the ready list and relaxes the
 * sources. Nobody else waits on the epoll set.
 *
 * <p>The kernel ignores {@code EPOLLWAKEUP} without a word when the caller lacks CAP_BLOCK_SUSPEND (or the
 * kernel has no PM sleep support), so {@link #open} reads the flag back from {@code /proc/self/fdinfo} and
 * fails with EPERM when it was dropped.
 *
 * <p>Thread-safety: not thread-safe; the owner serialises calls.
 */
public final class EpollWakeSource implements AutoCloseable {

    /** {@code CAP_BLOCK_SUSPEND}'s bit in the capability sets. */
    private static final int CAP_BLOCK_SUSPEND = 36;
    private static final Pattern ITEM = Pattern.compile("tfd:\\s*(\\d+)\\s+events:\\s*([0-9a-fA-F]+)");

    private final Native nat;
    private final int epfd;
    private final int evfd;
    private final Pointer word;
    private final Pointer events;
    private boolean active;

    private EpollWakeSource(final Native nat, final int epfd, final int evfd) {
        this.nat = nat;
        this.epfd = epfd;
        this.evfd = evfd;
        this.word = nat.direct(8);
        this.events = nat.direct(Native.epollEventSize());
    }

    /**
     * Creates the eventfd and the epoll set and checks that the kernel kept {@code EPOLLWAKEUP}.
     *
     * @param nat the binding
     * @param procSelf {@code /proc/self} (where {@code fdinfo} and {@code status} are read)
     * @return the inactive wakeup source
     * @throws RtcException EPERM if the kernel dropped {@code EPOLLWAKEUP} (no CAP_BLOCK_SUSPEND, or no PM
     *         sleep support), or the errno of eventfd / epoll_create1 / epoll_ctl
     */
    public static EpollWakeSource open(final Native nat, final Path procSelf) {
        final int ev = nat.eventfd();
        final int ep = nat.libc().epoll_create1(LinuxAbi.EPOLL_CLOEXEC);
        if (ep < 0) {
            final int err = nat.errno();
            nat.closeQuietly(ev, "eventfd");
            throw Native.fail(err, "epoll_create1(EPOLL_CLOEXEC)", "failed");
        }
        boolean ok = false;
        try {
            final Pointer e = nat.direct(Native.epollEventSize());
            e.putInt(0, LinuxAbi.EPOLLIN | LinuxAbi.EPOLLWAKEUP);
            e.putLong(Native.epollDataOffset(), ev);
            if (nat.libc().epoll_ctl(ep, LinuxAbi.EPOLL_CTL_ADD, ev, e) != 0) {
                throw Native.fail(nat.errno(), "epoll_ctl(EPOLL_CTL_ADD, eventfd, EPOLLIN | EPOLLWAKEUP)", "failed");
            }
            final long kept = registeredEvents(procSelf.resolve("fdinfo/" + ep), ev);
            if ((kept & LinuxAbi.EPOLLWAKEUP) == 0) {
                final Boolean cap = hasCapability(procSelf.resolve("status"), CAP_BLOCK_SUSPEND);
                throw new RtcException(Errno.EPERM, "epoll_ctl(EPOLLWAKEUP)", "the kernel dropped EPOLLWAKEUP (events 0x"
                        + Long.toHexString(kept) + " in " + procSelf.resolve("fdinfo/" + ep) + "): "
                        + (Boolean.FALSE.equals(cap) ? "this process lacks CAP_BLOCK_SUSPEND"
                                : "the kernel has no PM sleep support, or CAP_BLOCK_SUSPEND is missing"));
            }
            ok = true;
            return new EpollWakeSource(nat, ep, ev);
        } finally {
            if (!ok) {
                nat.closeQuietly(ep, "epoll");
                nat.closeQuietly(ev, "eventfd");
            }
        }
    }

    /** The event mask the kernel registered for {@code fd}, from an epoll fd's fdinfo. */
    static long registeredEvents(final Path fdinfo, final int fd) {
        final String text;
        try {
            text = Files.readString(fdinfo);
        } catch (final IOException e) {
            throw new RtcException(Errno.EIO, "read(" + fdinfo + ")", "cannot check the registered epoll events: " + e);
        }
        final Matcher m = ITEM.matcher(text);
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) == fd) {
                return Long.parseLong(m.group(2), 16);
            }
        }
        throw new RtcException(Errno.EIO, "read(" + fdinfo + ")", "fd " + fd + " is not in the epoll set: " + text.trim());
    }

    /** Whether {@code CapEff} in a {@code /proc/PID/status} has {@code bit}; null if unreadable. */
    static Boolean hasCapability(final Path status, final int bit) {
        try {
            for (final String line : Files.readAllLines(status)) {
                if (line.startsWith("CapEff:")) {
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) >>> bit & 1) != 0;
                }
            }
        } catch (final IOException | NumberFormatException e) {
            return null;
        }
        return null;
    }

    /**
     * Whether the wakeup source is active (as far as this object switched it).
     *
     * @return true after {@link #activate()} until {@link #relax()}
     */
    public boolean active() {
        return active;
    }

    /**
     * Makes the eventfd readable: the kernel activates the wakeup source at once. Never blocks.
     *
     * @throws RtcException if the eventfd write fails
     */
    public void activate() {
        if (active) {
            return;
        }
        word.putLong(0, 1);
        if (nat.libc().write(evfd, word, 8) != 8) {
            throw Native.fail(Errno.EIO, "write(eventfd)", "cannot activate the EPOLLWAKEUP wakeup source");
        }
        active = true;
    }

    /**
     * Drains the eventfd and lets epoll take its item off the ready list: the wakeup sources relax. Never
     * blocks.
     *
     * @throws RtcException if the read or the zero-timeout epoll_wait fails
     */
    public void relax() {
        if (!active) {
            return;
        }
        if (nat.libc().read(evfd, word, 8) < 0 && nat.errno() != Errno.EAGAIN) {
            throw Native.fail(nat.errno(), "read(eventfd)", "cannot drain the EPOLLWAKEUP eventfd");
        }
        if (nat.libc().epoll_wait(epfd, events, 1, 0) < 0 && nat.errno() != Errno.EINTR) {
            throw Native.fail(nat.errno(), "epoll_wait(0)", "cannot relax the EPOLLWAKEUP wakeup source");
        }
        active = false;
    }

    @Override
    public void close() {
        nat.closeQuietly(epfd, "epoll");
        nat.closeQuietly(evfd, "eventfd");
        active = false;
    }
}
