package dev.valarm.bridge;

import dev.valarm.Errno;
import dev.valarm.ValarmInstance;
import dev.valarm.bridge.internal.Channels;
import dev.valarm.bridge.internal.Connection;
import dev.valarm.bridge.internal.CuseNodes;
import dev.valarm.bridge.internal.CuseRequests;
import dev.valarm.bridge.internal.FuseNodes;
import dev.valarm.bridge.internal.FuseRequests;
import dev.valarm.bridge.internal.Mounts;
import dev.valarm.bridge.internal.Native;
import dev.valarm.bridge.internal.PendingWaits;
import dev.valarm.bridge.internal.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves virtual alarm instances to real processes through the kernel, so that unmodified programs
 * {@code open("/dev/alarm")} and issue the driver's ioctls:
 *
 * <pre>{@code
 * try (AlarmBridge bridge = AlarmBridge.start()) {
 *     bridge.serveCuse(instance, NodeSpec.of("alarm").owner(1000, 1001).mode(0664)); // /dev/alarm
 *     bridge.mountFuse(Path.of("/run/valarm/c1"), other, NodeSpec.of("alarm"));    // /run/valarm/c1/alarm
 * }
 * }</pre>
 *
 * <ul>
 * <li>{@link #serveCuse}: one CUSE character device per instance (needs {@code CONFIG_CUSE}, module
 * {@code cuse}); all devices of a bridge share one major, with the instance's minor, where the kernel
 * allows it. GET_TIME works.</li>
 * <li>{@link #mountFuse}: a FUSE mount with one file per instance (any Linux with FUSE). GET_TIME fails
 * with EOPNOTSUPP (see {@link FuseMount}).</li>
 * </ul>
 * Each open of a node is one {@code AlarmHandle} ({@code O_RDONLY} read-only); a release closes it; a WAIT
 * blocks its caller, not a thread: every blocked caller is a row in a request table answered when its
 * instance has an event. A signal to a blocked caller acts as on the driver's interruptible wait
 * ({@code SA_RESTART} callers are restarted, others get EINTR, the alarm stays armed). Nothing falls back:
 * CUSE is never replaced by FUSE; what cannot be done is a {@link BridgeException} with the errno and a log
 * line.
 *
 * <p>One thread serves every device and mount of a bridge. {@link #close()} (also run by a JVM shutdown
 * hook) answers every blocked caller with ENODEV, closes every handle, removes the CUSE nodes and unmounts
 * the FUSE mounts; a bridge started after a crash clears the stale mounts its predecessor left. Needs root
 * (mount and {@code /dev/cuse}).
 *
 * <p>Thread-safety: thread-safe; every method may be called from any thread.
 */
public final class AlarmBridge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlarmBridge.class);
    /** {@link Builder#cuseMajor}: pick one free local major for all CUSE devices of the bridge. */
    public static final int AUTO_MAJOR = -1;

    private final Session session;
    private final PendingWaits waits = new PendingWaits(64);
    private final Path devDirectory;
    private final int cuseMajorSetting;
    private final Thread shutdownHook;
    private int cuseMajor = -1;
    private volatile boolean closed;

    private AlarmBridge(final Builder b) {
        Native.get();
        this.devDirectory = b.devDirectory;
        this.cuseMajorSetting = b.cuseMajor;
        this.session = new Session(b.threadName);
        if (b.shutdownHook) {
            shutdownHook = new Thread(this::close, b.threadName + "-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        } else {
            shutdownHook = null;
        }
    }

    /**
     * A bridge with the defaults (nodes in {@code /dev}, one automatic CUSE major, a shutdown hook).
     *
     * @return a running bridge
     * @throws BridgeException (EOPNOTSUPP) off Linux, or if the serving loop cannot start
     */
    public static AlarmBridge start() {
        return builder().build();
    }

    /**
     * A builder.
     *
     * @return a new builder with the defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Serves an instance as a CUSE device named after the instance ({@code /dev/<instance name>},
     * root 0600).
     *
     * @param instance the instance, not null
     * @return the device
     * @throws BridgeException see {@link #serveCuse(ValarmInstance, NodeSpec)}
     */
    public CuseDevice serveCuse(final ValarmInstance instance) {
        return serveCuse(instance, NodeSpec.of(instance.name()));
    }

    /**
     * Serves an instance as a CUSE character device {@code <devDirectory>/<spec.name()>} with the spec's
     * owner, group and mode. The device number is the bridge's CUSE major and the instance's minor (or a
     * dynamic major per device with {@code cuseMajor(0)}).
     *
     * @param instance the instance, not null
     * @param spec the node, not null
     * @return the device
     * @throws BridgeException (ENOENT/ENODEV) no CUSE in this kernel; (EACCES/EPERM) not root; (EEXIST) the
     *         name is taken; (EBUSY) the device number is taken or the kernel refused the device
     */
    public CuseDevice serveCuse(final ValarmInstance instance, final NodeSpec spec) {
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(spec, "spec");
        final String what = "serve " + instance.name() + " as CUSE device " + devDirectory.resolve(spec.name());
        synchronized (this) {
            checkOpen(what);
            final int major = cuseMajor(what);
            final int minor = major == 0 ? 0 : instance.minor();
            final Channels.OpenedCuse opened = Channels.openCuse(devDirectory, spec, major, minor, what);
            final CuseNodes.Created created = opened.created();
            final Connection c = opened.connection();
            final int protocolMinor = c.protocolMinor();
            c.handler(new CuseRequests(waits, instance, () -> {
                if (created.madeByBridge()) {
                    Native.get().libc().unlink(created.node().toString());
                }
            }));
            session.attach(c);
            final CuseDevice d = new CuseDevice(session, c, instance, spec, created.node(), created.major(),
                    created.minor());
            LOG.info("serving {} as CUSE device {} ({}:{}, {}), protocol 7.{}", instance.name(), created.node(),
                    created.major(), created.minor(), spec, protocolMinor);
            return d;
        }
    }

    private int cuseMajor(final String what) {
        if (cuseMajorSetting != AUTO_MAJOR) {
            return cuseMajorSetting;
        }
        if (cuseMajor < 0) {
            cuseMajor = CuseNodes.pickMajor(what);
        }
        return cuseMajor;
    }

    /**
     * Mounts an empty FUSE file system on {@code dir} (an existing directory; the mount's root is
     * {@code root:root 0755}). Stale FUSE mounts a dead server left on {@code dir} are cleared first.
     *
     * @param dir the mount point, not null
     * @return the mount; add files with {@link FuseMount#add}
     * @throws BridgeException (EPERM) not root; (EBUSY) a live file system is mounted on {@code dir};
     *         (ENOENT/ENOTDIR) no such directory; (ENODEV) no FUSE in this kernel
     */
    public FuseMount mountFuse(final Path dir) {
        Objects.requireNonNull(dir, "dir");
        final Path abs = dir.toAbsolutePath().normalize();
        final String what = "mount FUSE on " + abs;
        synchronized (this) {
            checkOpen(what);
            final Connection c = Channels.openFuse(abs, 0755, what);
            final int protocolMinor = c.protocolMinor();
            final FuseNodes nodes = new FuseNodes();
            c.handler(new FuseRequests(waits, nodes, 0, 0, 0755, () -> Mounts.unmount(abs)));
            session.attach(c);
            final FuseMount m = new FuseMount(session, c, nodes, abs);
            LOG.info("mounted FUSE on {}, protocol 7.{}", abs, protocolMinor);
            return m;
        }
    }

    /**
     * Mounts a FUSE file system on {@code dir} serving one instance as one file.
     *
     * @param dir the mount point, not null
     * @param instance the instance, not null
     * @param spec the file, not null
     * @return the mount
     * @throws BridgeException see {@link #mountFuse(Path)}
     */
    public FuseMount mountFuse(final Path dir, final ValarmInstance instance, final NodeSpec spec) {
        final FuseMount m = mountFuse(dir);
        m.add(instance, spec);
        return m;
    }

    /**
     * The number of callers blocked in WAIT now, over every device and mount.
     *
     * @return the count
     */
    public int blockedWaits() {
        return waits.size();
    }

    /**
     * Whether the bridge was closed.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed;
    }

    private void checkOpen(final String what) {
        if (closed) {
            throw new BridgeException(Errno.ENODEV, what, "the bridge is closed");
        }
    }

    /** Stops everything (see the class comment). Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        final long t0 = System.nanoTime();
        session.close();
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (final IllegalStateException e) {
                // the JVM is shutting down
            }
        }
        LOG.info("bridge stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }

    /** Builds an {@link AlarmBridge}. Not thread-safe. */
    public static final class Builder {
        private Path devDirectory = Path.of("/dev");
        private int cuseMajor = AUTO_MAJOR;
        private String threadName = "valarm-bridge";
        private boolean shutdownHook = true;

        private Builder() {
        }

        /**
         * Where CUSE nodes appear (default {@code /dev}, where devtmpfs creates them; elsewhere the bridge
         * makes the node itself).
         *
         * @param dir the directory, not null
         * @return this builder
         */
        public Builder devDirectory(final Path dir) {
            this.devDirectory = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
            return this;
        }

        /**
         * The char major of the CUSE devices: {@link #AUTO_MAJOR} (default: the lowest free local major,
         * 240-254, shared by all devices, each with its instance's minor), 0 (a dynamic major per device,
         * minor 0), or a fixed major.
         *
         * @param major {@link #AUTO_MAJOR}, 0, or in [1, 4095]
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder cuseMajor(final int major) {
            if (major != AUTO_MAJOR && (major < 0 || major > 4095)) {
                throw new IllegalArgumentException("cuseMajor must be AUTO_MAJOR, 0 or in [1, 4095]: " + major);
            }
            this.cuseMajor = major;
            return this;
        }

        /**
         * The serving thread's name (default {@code "valarm-bridge"}).
         *
         * @param name not blank
         * @return this builder
         * @throws IllegalArgumentException if blank
         */
        public Builder threadName(final String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("threadName must not be blank: \"" + name + "\"");
            }
            this.threadName = name;
            return this;
        }

        /**
         * Whether a JVM shutdown hook closes the bridge (default true), so that a normal exit leaves no
         * stale mount.
         *
         * @param on true to register the hook
         * @return this builder
         */
        public Builder shutdownHook(final boolean on) {
            this.shutdownHook = on;
            return this;
        }

        /**
         * Starts the bridge.
         *
         * @return a running bridge
         * @throws BridgeException (EOPNOTSUPP) off Linux, or if the serving loop cannot start
         */
        public AlarmBridge build() {
            return new AlarmBridge(this);
        }
    }
}
