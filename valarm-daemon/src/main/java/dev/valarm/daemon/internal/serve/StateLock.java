package dev.valarm.daemon.internal.serve;

import dev.valarm.daemon.internal.keeper.Sockets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One daemon per state directory: an exclusive {@code flock} on {@code STATE-DIR/daemon.lock}, held for the
 * life of the process (the kernel drops it when the process dies, however it dies), and the holder's pid in
 * {@code STATE-DIR/daemon.pid}.
 *
 * <p>Thread-safety: not thread-safe; used at start-up.
 */
final class StateLock {
    private static final int O_RDWR = 02;
    private static final int O_CREAT = 0100;
    private static final int O_CLOEXEC = 02000000;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;

    private final Path dir;
    private int fd = -1;

    StateLock(final Path dir) {
        this.dir = dir;
    }

    /**
     * Takes the lock if it is free.
     *
     * @return true if this process holds it now
     * @throws IOException if the lock file cannot be opened
     */
    boolean tryLock() throws IOException {
        if (fd < 0) {
            fd = Sockets.lib().open(dir.resolve("daemon.lock").toString(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            if (fd < 0) {
                throw new IOException("cannot open " + dir.resolve("daemon.lock") + ": " + Sockets.describe(Sockets.errno()));
            }
        }
        if (Sockets.lib().flock(fd, LOCK_EX | LOCK_NB) != 0) {
            return false;
        }
        Files.writeString(dir.resolve("daemon.pid"), ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
        return true;
    }

    /**
     * Waits for the lock (the holder is exiting: the kernel releases it the instant the process is gone).
     *
     * @param timeoutMillis how long at most
     * @return true if this process holds it now
     * @throws IOException if the lock file cannot be opened
     */
    boolean lock(final long timeoutMillis) throws IOException {
        if (tryLock()) {
            return true;
        }
        final Thread t = new Thread(() -> Sockets.lib().flock(fd, LOCK_EX), "valarm-state-lock");
        t.setDaemon(true);
        t.start();
        try {
            t.join(timeoutMillis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !t.isAlive() && tryLock();
    }

    /**
     * The pid of the process that holds the lock, as it wrote it.
     *
     * @return the pid, or -1 if unknown
     */
    long holder() {
        try {
            return Long.parseLong(Files.readString(dir.resolve("daemon.pid"), StandardCharsets.US_ASCII).trim());
        } catch (final IOException | NumberFormatException e) {
            return -1;
        }
    }
}
