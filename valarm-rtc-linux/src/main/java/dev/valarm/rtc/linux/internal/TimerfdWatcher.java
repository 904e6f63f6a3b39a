package dev.valarm.rtc.linux.internal;

import dev.valarm.Errno;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One daemon thread that waits on a timerfd (with {@code poll}, next to an eventfd used to stop it) and
 * runs a callback each time the timer expires. The timerfd is armed and owned by the caller; this class
 * only reads it.
 *
 * <p>Thread-safety: {@link #close()} may be called from any thread, once or more; the callback runs on
 * the watcher thread, must return quickly, and its exceptions are logged, never propagated.
 */
public final class TimerfdWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TimerfdWatcher.class);

    private final Native nat;
    private final int timerFd;
    private final int stopFd;
    private final Runnable onFire;
    private final Thread thread;
    private final Pointer one;
    private volatile boolean stopping;

    private TimerfdWatcher(final Native nat, final String name, final int timerFd, final Runnable onFire) {
        this.nat = nat;
        this.timerFd = timerFd;
        this.onFire = onFire;
        this.stopFd = nat.eventfd();
        this.one = nat.direct(8);
        one.putLong(0, 1L);
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    /**
     * Starts a watcher thread.
     *
     * @param nat the binding
     * @param name the thread's name
     * @param timerFd the timerfd to wait on (non-blocking)
     * @param onFire run after each expiry (and after an ECANCELED read)
     * @return the running watcher
     * @throws dev.valarm.spi.RtcException if the stop eventfd cannot be created
     */
    public static TimerfdWatcher start(final Native nat, final String name, final int timerFd,
            final Runnable onFire) {
        final TimerfdWatcher w = new TimerfdWatcher(nat, name, timerFd, onFire);
        w.thread.start();
        return w;
    }

    private void run() {
        final LibC libc = nat.libc();
        final Pointer fds = nat.direct(2 * LinuxAbi.POLLFD_SIZE);
        final Pointer buf = nat.direct(8);
        fds.putInt(0, stopFd);
        fds.putShort(4, LinuxAbi.POLLIN);
        fds.putInt(LinuxAbi.POLLFD_SIZE, timerFd);
        fds.putShort(LinuxAbi.POLLFD_SIZE + 4, LinuxAbi.POLLIN);
        while (!stopping) {
            fds.putShort(6, (short) 0);
            fds.putShort(LinuxAbi.POLLFD_SIZE + 6, (short) 0);
            final int n = libc.poll(fds, 2, -1);
            if (n < 0) {
                final int err = nat.errno();
                if (err == Errno.EINTR) {
                    continue;
                }
                LOG.error("{}: poll failed with {}; the watcher stops", thread.getName(), Errno.name(err));
                return;
            }
            if (stopping || fds.getShort(6) != 0) {
                return;
            }
            final short revents = fds.getShort(LinuxAbi.POLLFD_SIZE + 6);
            if ((revents & LinuxAbi.POLLNVAL) != 0) {
                LOG.error("{}: the timerfd {} was closed under the watcher; it stops", thread.getName(), timerFd);
                return;
            }
            if (revents == 0) {
                continue;
            }
            final long r = libc.read(timerFd, buf, 8);
            if (r < 0) {
                final int err = nat.errno();
                if (err == Errno.EAGAIN || err == Errno.EINTR) {
                    continue;
                }
                if (err != Errno.ECANCELED) {
                    LOG.error("{}: read of timerfd {} failed with {}; the watcher stops", thread.getName(),
                            timerFd, Errno.name(err));
                    return;
                }
            }
            try {
                onFire.run();
            } catch (final RuntimeException | Error e) {
                LOG.error("{}: callback threw; ignored", thread.getName(), e);
            }
        }
    }

    /**
     * The watcher thread (for tests and diagnostics).
     *
     * @return the thread
     */
    public Thread thread() {
        return thread;
    }

    /**
     * Stops the thread and waits (up to 5 s) for it to end; closes the stop eventfd, not the timerfd.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        nat.libc().write(stopFd, one, 8);
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                LOG.warn("{} did not stop within 5 s; its stop eventfd {} is left open", thread.getName(), stopFd);
                return;
            }
        }
        nat.closeQuietly(stopFd, "watcher stop eventfd");
    }
}
