package dev.valarm.bridge.internal;

import dev.valarm.Errno;
import dev.valarm.bridge.BridgeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounting and unmounting FUSE file systems by hand ({@code mount(2)} with {@code fd=N}, as root, no
 * {@code fusermount}), and clearing what a dead predecessor left: a FUSE mount whose server died answers
 * every access with ENOTCONN ("Transport endpoint is not connected") until it is unmounted.
 *
 * <p>Thread-safety: stateless.
 */
public final class Mounts {
    private static final Logger LOG = LoggerFactory.getLogger(Mounts.class);
    /** The file system type the bridge mounts (shown in {@code /proc/mounts}). */
    public static final String FSTYPE = "fuse.valarm";
    /** How long a mounted directory may take to answer before it counts as busy. */
    private static final long PROBE_TIMEOUT_MILLIS = 2000;
    private static final int O_RDONLY_DIRECTORY = 0200000 | Native.O_CLOEXEC;

    private Mounts() {
    }

    /** One line of {@code /proc/self/mountinfo}. */
    public record MountEntry(String mountPoint, String fsType, String source) {
    }

    /**
     * The mounts stacked on {@code dir}, oldest first.
     *
     * @param dir an absolute, normalised path
     * @return the entries
     */
    public static List<MountEntry> mountsAt(final Path dir) {
        final List<MountEntry> out = new ArrayList<>();
        final List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new BridgeException(Errno.EIO, "read /proc/self/mountinfo", e.toString(), e);
        }
        final String want = dir.toString();
        for (final String line : lines) {
            final String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (f.length < 5 || dash < 0 || dash + 2 >= f.length) {
                continue;
            }
            if (unescape(f[4]).equals(want)) {
                out.add(new MountEntry(want, f[dash + 1], unescape(f[dash + 2])));
            }
        }
        return out;
    }

    private static String unescape(final String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Makes {@code dir} ready for a new mount: clears stale FUSE mounts on it (their server is dead), and
     * refuses if a live file system is mounted there.
     *
     * @param dir the mount point (absolute, normalised)
     * @param what for errors
     * @throws BridgeException (EBUSY) if something live is mounted on {@code dir}
     */
    public static void clearStale(final Path dir, final String what) {
        final Native nat = Native.get();
        for (int round = 0; round < 16; round++) {
            final List<MountEntry> at = mountsAt(dir);
            if (at.isEmpty()) {
                return;
            }
            final MountEntry top = at.get(at.size() - 1);
            if (!top.fsType().startsWith("fuse")) {
                throw new BridgeException(Errno.EBUSY, what, "mount point busy: " + dir + " has a " + top.fsType()
                        + " file system (" + top.source() + ") mounted on it");
            }
            final int errno = probe(dir);
            if (errno != Native.ENOTCONN && errno != Native.ECONNABORTED) {
                throw new BridgeException(Errno.EBUSY, what, "mount point busy: " + dir + " is served by a live "
                        + top.fsType() + " server (" + top.source() + ")"
                        + (errno == Errno.ETIMEDOUT ? " that does not answer within " + PROBE_TIMEOUT_MILLIS + " ms" : ""));
            }
            if (nat.libc().umount2(dir.toString(), Native.MNT_DETACH) != 0) {
                final int e = nat.errno();
                throw new BridgeException(e, what, "could not unmount the stale " + top.fsType() + " mount on " + dir
                        + ": " + nat.describe(e));
            }
            LOG.warn("{}: cleared a stale {} mount ({}) on {} left by a server that died", what, top.fsType(),
                    top.source(), dir);
        }
        throw new BridgeException(Errno.EBUSY, what, "mount point busy: more than 16 stale mounts on " + dir);
    }

    /** 0 if opening {@code dir} works, else its errno (ETIMEDOUT if it hangs). */
    private static int probe(final Path dir) {
        final Native nat = Native.get();
        final CompletableFuture<Integer> r = CompletableFuture.supplyAsync(() -> {
            final int fd = nat.libc().open(dir.toString(), O_RDONLY_DIRECTORY, 0);
            if (fd < 0) {
                return nat.errno();
            }
            nat.libc().close(fd);
            return 0;
        }, runnable -> {
            final Thread t = new Thread(runnable, "valarm-bridge-mount-probe");
            t.setDaemon(true);
            t.start();
        });
        try {
            return r.get(PROBE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (final TimeoutException e) {
            return Errno.ETIMEDOUT;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return Errno.EINTR;
        } catch (final java.util.concurrent.ExecutionException e) {
            return Errno.EIO;
        }
    }

    /**
     * Opens {@code /dev/fuse} and mounts a connection on {@code dir}.
     *
     * @param dir the mount point (an existing directory)
     * @param rootMode the root directory's mode bits
     * @param what for errors
     * @return the connection fd (non-blocking, close-on-exec); INIT is yet to be answered
     * @throws BridgeException with the errno of what failed (EPERM: not root; ENOENT: no FUSE)
     */
    public static int mount(final Path dir, final int rootMode, final String what) {
        final Native nat = Native.get();
        final int fd = nat.libc().open("/dev/fuse", Native.O_RDWR | Native.O_CLOEXEC | Native.O_NONBLOCK, 0);
        if (fd < 0) {
            final int e = nat.errno();
            throw new BridgeException(e, what, e == Errno.ENOENT || e == Errno.ENODEV
                    ? "no FUSE in this kernel (/dev/fuse: " + nat.describe(e) + ")"
                    : e == Errno.EACCES || e == Errno.EPERM ? "not root: /dev/fuse: " + nat.describe(e)
                    : "open /dev/fuse: " + nat.describe(e));
        }
        final String opts = "fd=" + fd + ",rootmode=" + Integer.toOctalString(0040000 | rootMode)
                + ",user_id=0,group_id=0,default_permissions,allow_other";
        if (nat.libc().mount("valarm", dir.toString(), FSTYPE,
                Native.MS_NOSUID | Native.MS_NODEV | Native.MS_NOEXEC, opts) != 0) {
            final int e = nat.errno();
            nat.libc().close(fd);
            throw new BridgeException(e, what, (e == Errno.EPERM ? "not root (mount needs CAP_SYS_ADMIN): " : "mount: ")
                    + nat.describe(e));
        }
        return fd;
    }

    /**
     * Unmounts {@code dir} lazily (open files keep the super block until they close; with the connection
     * closed they fail with ENOTCONN). A directory no longer mounted by the bridge is left alone.
     *
     * @param dir the mount point
     */
    public static void unmount(final Path dir) {
        final List<MountEntry> at = mountsAt(dir);
        if (at.isEmpty() || !at.get(at.size() - 1).fsType().equals(FSTYPE)) {
            return;
        }
        final Native nat = Native.get();
        if (nat.libc().umount2(dir.toString(), Native.MNT_DETACH) != 0) {
            LOG.warn("unmounting {} failed: {}", dir, nat.describe(nat.errno()));
        }
    }
}
