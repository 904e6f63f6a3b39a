package dev.valarm.bridge.internal;

import dev.valarm.Errno;
import dev.valarm.bridge.BridgeException;
import dev.valarm.bridge.NodeSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CUSE devices as the kernel shows them: {@code /dev/cuse} (char 10:203, module {@code cuse}),
 * {@code /sys/class/cuse/NAME/dev} ("major:minor") once a device exists, and the node {@code /dev/NAME}
 * that devtmpfs creates (root, 0600) or that the bridge makes itself where no devtmpfs is mounted. The
 * node's owner, group and mode are then set as the caller asked.
 *
 * <p>Thread-safety: stateless.
 */
public final class CuseNodes {
    private static final Logger LOG = LoggerFactory.getLogger(CuseNodes.class);
    private static final Path CLASS_DIR = Path.of("/sys/class/cuse");
    /** How long devtmpfs may take to show a new node. */
    private static final long NODE_TIMEOUT_MILLIS = 2000;
    /** The "local/experimental use" char majors ({@code Documentation/admin-guide/devices.txt}). */
    public static final int LOCAL_MAJOR_FIRST = 240;
    /** The last local major. */
    public static final int LOCAL_MAJOR_LAST = 254;

    private CuseNodes() {
    }

    /**
     * Opens {@code /dev/cuse}; the kernel then queues CUSE_INIT.
     *
     * @param what for errors
     * @return the fd (non-blocking, close-on-exec)
     * @throws BridgeException (ENOENT/ENODEV) no CUSE in this kernel, (EACCES/EPERM) not root
     */
    public static int openChannel(final String what) {
        final Native nat = Native.get();
        final int fd = nat.libc().open("/dev/cuse", Native.O_RDWR | Native.O_CLOEXEC | Native.O_NONBLOCK, 0);
        if (fd >= 0) {
            return fd;
        }
        final int e = nat.errno();
        if (e == Errno.ENOENT || e == Errno.ENODEV || e == 6 /* ENXIO */) {
            throw new BridgeException(e, what, "no CUSE in this kernel: /dev/cuse: " + nat.describe(e)
                    + " (CONFIG_CUSE missing, or the module is not loaded: modprobe cuse)");
        }
        if (e == Errno.EACCES || e == Errno.EPERM) {
            throw new BridgeException(e, what, "not root: /dev/cuse: " + nat.describe(e));
        }
        throw new BridgeException(e, what, "open /dev/cuse: " + nat.describe(e));
    }

    /**
     * Refuses a name or device number already in use, before asking the kernel (which would only abort
     * the connection and log to dmesg).
     *
     * @param devDir the node directory ({@code /dev})
     * @param name the device name
     * @param major the wanted major (0: any)
     * @param minor the wanted minor
     * @param what for errors
     * @throws BridgeException (EEXIST) if the name is taken, (EBUSY) if the number is
     */
    public static void checkFree(final Path devDir, final String name, final int major, final int minor,
            final String what) {
        if (Files.exists(CLASS_DIR.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
            throw new BridgeException(Errno.EEXIST, what, "a CUSE device named " + name + " exists already ("
                    + CLASS_DIR.resolve(name) + ")");
        }
        if (Files.exists(devDir.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
            throw new BridgeException(Errno.EEXIST, what, devDir.resolve(name) + " exists already");
        }
        if (major != 0 && devicesInUse().contains(major + ":" + minor)) {
            throw new BridgeException(Errno.EBUSY, what, "char device " + major + ":" + minor
                    + " is served by another CUSE device");
        }
    }

    /** "major:minor" of every CUSE device. */
    private static Set<String> devicesInUse() {
        final Set<String> out = new HashSet<>();
        if (!Files.isDirectory(CLASS_DIR)) {
            return out;
        }
        try (Stream<Path> s = Files.list(CLASS_DIR)) {
            s.forEach(p -> {
                try {
                    out.add(Files.readString(p.resolve("dev"), StandardCharsets.US_ASCII).trim());
                } catch (final IOException e) {
                    // a device that went away meanwhile
                }
            });
        } catch (final IOException e) {
            LOG.debug("listing {}: {}", CLASS_DIR, e.toString());
        }
        return out;
    }

    /**
     * A char major free for CUSE devices: the lowest "local use" major (240-254) no driver registered,
     * or {@code preferred} if CUSE devices already use it.
     *
     * @param what for errors
     * @return the major
     * @throws BridgeException (EBUSY) if every local major is taken
     */
    public static int pickMajor(final String what) {
        final Set<Integer> used = new HashSet<>();
        try {
            boolean chars = false;
            for (final String line : Files.readAllLines(Path.of("/proc/devices"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("Character devices")) {
                    chars = true;
                } else if (line.startsWith("Block devices")) {
                    chars = false;
                } else if (chars && !line.isBlank()) {
                    used.add(Integer.parseInt(line.trim().split("\\s+")[0]));
                }
            }
        } catch (final IOException | RuntimeException e) {
            throw new BridgeException(Errno.EIO, what, "cannot read /proc/devices: " + e, e);
        }
        for (int m = LOCAL_MAJOR_FIRST; m <= LOCAL_MAJOR_LAST; m++) {
            if (!used.contains(m)) {
                return m;
            }
        }
        throw new BridgeException(Errno.EBUSY, what, "every local char major (240-254) is registered");
    }

    /**
     * After CUSE_INIT was answered: checks the kernel created the device, makes sure its node exists in
     * {@code devDir} and gives it the spec's owner, group and mode.
     *
     * @param devDir the node directory
     * @param spec the node
     * @param what for errors
     * @return the device number "major:minor", and whether the bridge made the node itself
     * @throws BridgeException if the kernel refused the device or the node cannot be set up
     */
    public static Created setUp(final Path devDir, final NodeSpec spec, final String what) {
        final Native nat = Native.get();
        final Path sys = CLASS_DIR.resolve(spec.name()).resolve("dev");
        final String dev;
        try {
            dev = Files.readString(sys, StandardCharsets.US_ASCII).trim();
        } catch (final IOException e) {
            throw new BridgeException(Errno.EBUSY, what, "the kernel refused the device " + spec.name()
                    + " (its name or device number is taken; see dmesg: \"CUSE: failed to register chrdev region\")");
        }
        final String[] mm = dev.split(":");
        final int major = Integer.parseInt(mm[0]);
        final int minor = Integer.parseInt(mm[1]);
        final Path node = devDir.resolve(spec.name());
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(NODE_TIMEOUT_MILLIS);
        while (!Files.exists(node, LinkOption.NOFOLLOW_LINKS) && System.nanoTime() - deadline < 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        boolean made = false;
        if (!Files.exists(node, LinkOption.NOFOLLOW_LINKS)) {
            if (nat.libc().mknod(node.toString(), Native.S_IFCHR | spec.mode(), makedev(major, minor)) != 0) {
                final int e = nat.errno();
                throw new BridgeException(e, what, "no devtmpfs node appeared and mknod " + node + " failed: "
                        + nat.describe(e));
            }
            made = true;
            LOG.info("{}: no devtmpfs node appeared in {}; made {} ({}) myself", what, devDir, node, dev);
        }
        if (nat.libc().chown(node.toString(), spec.uid(), spec.gid()) != 0
                || nat.libc().chmod(node.toString(), spec.mode()) != 0) {
            final int e = nat.errno();
            throw new BridgeException(e, what, "setting " + node + " to " + spec + " failed: " + nat.describe(e));
        }
        return new Created(node, major, minor, made);
    }

    /** What {@link #setUp} made. */
    public record Created(Path node, int major, int minor, boolean madeByBridge) {
    }

    /** glibc's {@code makedev}. */
    static long makedev(final int major, final int minor) {
        return (minor & 0xffL) | ((major & 0xfffL) << 8) | ((long) (minor & ~0xff) << 12)
                | ((long) (major & ~0xfff) << 32);
    }
}
