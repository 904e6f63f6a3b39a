package dev.valarm.rtc.linux.guest.suspend;

import dev.valarm.Errno;
import dev.valarm.rtc.linux.internal.LinuxAbi;
import dev.valarm.rtc.linux.internal.Native;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.concurrent.locks.LockSupport;
import jnr.ffi.Pointer;

/**
 * The guest end of the virtio-serial control port, read by one thread that polls it (200 ms at a time) and
 * hands over whole lines, and written line by line.
 *
 * <p>After some resumes qemu no longer counts the port as open by the guest (virtio_console's resume re-sends
 * the "port open" message, and it can get lost), and then holds back everything the host writes. Opening the
 * port again sends that message again: {@link #reopen()} asks the reader thread to do so, between two polls.
 *
 * <p>Thread-safety: thread-safe.
 */
final class ControlPort {

    private static final int O_RDWR = 2;
    private static final int O_NONBLOCK = 0x800;

    private final Native nat = Native.get();
    private final String path;
    private final Consumer<String> onLine;
    private volatile int fd;
    private volatile boolean reopen;

    ControlPort(final String path, final Consumer<String> onLine) {
        this.path = path;
        this.onLine = onLine;
        this.fd = open();
        final Thread reader = new Thread(this::loop, "control-port-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private int open() {
        return nat.open(path, O_RDWR | O_NONBLOCK | LinuxAbi.O_CLOEXEC);
    }

    /** Opens the port again at the reader's next turn (the host's writes flow again). */
    void reopen() {
        reopen = true;
    }

    synchronized void writeLine(final String line) {
        final byte[] b = (line + "\n").getBytes(StandardCharsets.US_ASCII);
        int off = 0;
        final long end = System.nanoTime() + 5_000_000_000L;
        while (off < b.length && System.nanoTime() - end < 0) {
            final byte[] rest = off == 0 ? b : java.util.Arrays.copyOfRange(b, off, b.length);
            final long n = nat.libc().write(fd, rest, rest.length);
            if (n > 0) {
                off += (int) n;
            } else if (n < 0 && nat.errno() != Errno.EAGAIN && nat.errno() != Errno.EINTR) {
                System.out.println("[ControlPort] write failed: " + Errno.name(nat.errno()) + "; the request is sent again later");
                return;
            } else {
                LockSupport.parkNanos(2_000_000L);
            }
        }
    }

    private void loop() {
        final Pointer pfd = nat.direct(LinuxAbi.POLLFD_SIZE);
        final byte[] buf = new byte[4096];
        final StringBuilder line = new StringBuilder();
        while (true) {
            if (reopen) {
                reopen = false;
                synchronized (this) {
                    final int old = fd;
                    nat.closeQuietly(old, path);
                    try {
                        fd = open();
                        System.out.println("[ControlPort] reopened " + path);
                    } catch (final RuntimeException e) {
                        System.out.println("[ControlPort] cannot reopen " + path + ": " + e.getMessage());
                        LockSupport.parkNanos(200_000_000L);
                        reopen = true;
                        continue;
                    }
                }
            }
            pfd.putInt(0, fd);
            pfd.putShort(4, LinuxAbi.POLLIN);
            pfd.putShort(6, (short) 0);
            final int r = nat.libc().poll(pfd, 1, 200);
            if (r <= 0 || (pfd.getShort(6) & LinuxAbi.POLLIN) == 0) {
                if (r > 0) {
                    LockSupport.parkNanos(50_000_000L); // POLLHUP: the host side is not connected (yet)
                }
                continue;
            }
            final long n = nat.libc().read(fd, buf, buf.length);
            for (int i = 0; i < n; i++) {
                final char c = (char) (buf[i] & 0xff);
                if (c == '\n') {
                    onLine.accept(line.toString());
                    line.setLength(0);
                } else if (c != '\r') {
                    line.append(c);
                }
            }
        }
    }
}
