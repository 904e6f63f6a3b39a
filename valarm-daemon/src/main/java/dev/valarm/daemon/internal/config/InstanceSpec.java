package dev.valarm.daemon.internal.config;

import dev.valarm.InstanceConfig;
import dev.valarm.bridge.NodeSpec;
import dev.valarm.bridge.internal.Mounts;
import dev.valarm.daemon.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One instance the daemon serves: its name, its node (name, owner, group, mode), its transport (a CUSE
 * character device, or a file in a FUSE mount) and its clocks (wall-clock offset, boot-time and monotonic
 * offsets, or those of a process's time namespace). Read from a config section or a control request, by
 * the same rules, so both report a bad value the same way (file, line and field, or the field alone).
 *
 * <p>Thread-safety: immutable; the builder is not thread-safe.
 */
public final class InstanceSpec {
    /** Instance names: what a node name may be, so that the default node is the instance's name. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._+-]{1,64}");

    /** How the instance reaches processes. */
    public enum Transport {
        /** A CUSE character device in {@code /dev} (unrestricted ioctls, GET_TIME works). */
        CUSE,
        /** A regular file in a FUSE mount (GET_TIME fails with EOPNOTSUPP). */
        FUSE
    }

    /** Who created the instance. */
    public enum Origin {
        /** A section of the config file: a reload may change or remove it. */
        CONFIG,
        /** A control request: only a control request removes it. */
        CONTROL
    }

    /** The keys of a section, with what each holds. */
    public static final Map<String, String> KEYS = keys();

    private final String name;
    private final NodeSpec node;
    private final Transport transport;
    private final String transportReason;
    private final Path mount;
    private final int minor;
    private final long wallOffset;
    private final long boottimeOffset;
    private final long monotonicOffset;
    private final long clocksFromPid;
    private final Origin origin;
    private final int line;
    /** Why {@code clocks-from-pid} could not be read when the spec was made (the process is gone), or null. */
    private ConfigException clocksError;

    private InstanceSpec(final Builder b, final Transport t, final String why, final long boot, final long mono) {
        this(b.name, NodeSpec.of(b.node != null ? b.node : b.name).owner(b.uid, b.gid).mode(b.mode), t, why, b.mount,
                b.minor, b.wallOffset, boot, mono, b.clocksFromPid, b.origin, b.line);
    }

    private InstanceSpec(final String name, final NodeSpec node, final Transport transport, final String why,
            final Path mount, final int minor, final long wallOffset, final long boot, final long mono,
            final long clocksFromPid, final Origin origin, final int line) {
        this.name = name;
        this.node = node;
        this.transport = transport;
        this.transportReason = why;
        this.mount = mount;
        this.minor = minor;
        this.wallOffset = wallOffset;
        this.boottimeOffset = boot;
        this.monotonicOffset = mono;
        this.clocksFromPid = clocksFromPid;
        this.origin = origin;
        this.line = line;
    }

    /**
     * A spec rebuilt from what the journal recorded (already checked when it was first made).
     *
     * @param name the name
     * @param origin who created it
     * @param node the node
     * @param transport the transport
     * @param mount the FUSE mount, or null
     * @param minor the minor
     * @param wallOffset the wall-clock offset it was created with
     * @param boot the boot-time offset
     * @param mono the monotonic offset
     * @param clocksFromPid the time namespace's process, or 0
     * @return the spec
     */
    public static InstanceSpec recorded(final String name, final Origin origin, final NodeSpec node,
            final Transport transport, final Path mount, final int minor, final long wallOffset, final long boot,
            final long mono, final long clocksFromPid) {
        return new InstanceSpec(name, node, transport, "as recorded in the journal", mount, minor, wallOffset, boot, mono,
                clocksFromPid, origin, 0);
    }

    private static Map<String, String> keys() {
        final Map<String, String> m = new LinkedHashMap<>();
        m.put("node", "the node's name: /dev/NODE (CUSE) or MOUNT/NODE (FUSE); default the instance's name");
        m.put("transport", "cuse, fuse, or auto (CUSE where the kernel has it, else FUSE); default auto");
        m.put("mount", "the FUSE mount directory (fuse and auto); instances may share one");
        m.put("owner", "the node's owner, a uid or a user name; default root");
        m.put("group", "the node's group, a gid or a group name; default root");
        m.put("mode", "the node's permission bits, octal; default 0600");
        m.put("minor", "the instance's minor number; default the lowest free one");
        m.put("wall-clock-offset", "the instance's wall clock minus the host's, a duration (e.g. -1h30m); default 0");
        m.put("boottime-offset", "the fixed boot-time offset, a duration; default 0");
        m.put("monotonic-offset", "the fixed monotonic offset, a duration; default 0");
        m.put("clocks-from-pid", "take the boot-time and monotonic offsets from this process's time namespace");
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * A builder.
     *
     * @param name the instance's name
     * @param origin who creates it
     * @param file the config file (for errors), or null for a control request
     * @param line the section's line, or 0
     * @return the builder
     * @throws ConfigException if the name is not allowed
     */
    public static Builder builder(final String name, final Origin origin, final Path file, final int line) {
        return new Builder(name, origin, file, line);
    }

    /** @return the instance's name */
    public String name() {
        return name;
    }

    /** @return the node's name, owner, group and mode */
    public NodeSpec node() {
        return node;
    }

    /** @return CUSE or FUSE (resolved from auto) */
    public Transport transport() {
        return transport;
    }

    /** @return why this transport (e.g. "auto: no CUSE in this kernel"), for the log */
    public String transportReason() {
        return transportReason;
    }

    /** @return the FUSE mount directory, or null for CUSE */
    public Path mount() {
        return mount;
    }

    /** @return the minor, or {@link InstanceConfig#ANY_MINOR} */
    public int minor() {
        return minor;
    }

    /** @return the wall-clock offset, ns */
    public long wallOffset() {
        return wallOffset;
    }

    /** @return the boot-time offset, ns */
    public long boottimeOffset() {
        return boottimeOffset;
    }

    /** @return the monotonic offset, ns */
    public long monotonicOffset() {
        return monotonicOffset;
    }

    /**
     * Checks that the clocks could be read: an instance made now needs its {@code clocks-from-pid} process
     * (an instance restored from the journal has its offsets on record and needs no process).
     *
     * @throws ConfigException naming the file, line and field if the process was gone
     */
    public void requireClocks() {
        if (clocksError != null) {
            throw clocksError;
        }
    }

    /** @return the process whose time namespace gave the offsets, or 0 */
    public long clocksFromPid() {
        return clocksFromPid;
    }

    /** @return who created the instance */
    public Origin origin() {
        return origin;
    }

    /** @return the config line of its section, or 0 */
    public int line() {
        return line;
    }

    /**
     * The device-level configuration of the instance.
     *
     * @return the config
     */
    public InstanceConfig instanceConfig() {
        return InstanceConfig.builder().name(name).minor(minor).wallClockOffset(java.time.Duration.ofNanos(wallOffset))
                .boottimeOffset(java.time.Duration.ofNanos(boottimeOffset))
                .monotonicOffset(java.time.Duration.ofNanos(monotonicOffset)).build();
    }

    /**
     * The same instance with another node owner, group and mode.
     *
     * @param spec the new node (same name)
     * @return the new spec
     */
    public InstanceSpec withNode(final NodeSpec spec) {
        return new InstanceSpec(name, spec, transport, transportReason, mount, minor, wallOffset, boottimeOffset,
                monotonicOffset, clocksFromPid, origin, line);
    }

    /**
     * Whether two specs define the same instance apart from the node's owner, group and mode (what a
     * reload can change in place).
     *
     * @param o the other spec
     * @return true if only the node's permissions may differ
     */
    public boolean sameButPermissions(final InstanceSpec o) {
        return name.equals(o.name) && node.name().equals(o.node.name()) && transport == o.transport
                && java.util.Objects.equals(mount, o.mount) && (minor == o.minor || o.minor == InstanceConfig.ANY_MINOR)
                && wallOffset == o.wallOffset && boottimeOffset == o.boottimeOffset
                && monotonicOffset == o.monotonicOffset;
    }

    @Override
    public String toString() {
        return name + " (" + transport.name().toLowerCase(java.util.Locale.ROOT) + " "
                + (transport == Transport.CUSE ? "/dev/" + node.name() : mount.resolve(node.name())) + ", " + node + ")";
    }

    /** Builds a spec from text values, reporting each bad value with its file, line and field. */
    public static final class Builder {
        private final Path file;
        private final Origin origin;
        private final int line;
        private final String name;
        private final Map<String, Integer> seen = new LinkedHashMap<>();
        private String node;
        private String transport = "auto";
        private int transportLine;
        private Path mount;
        private int mountLine;
        private int uid;
        private int gid;
        private int mode = 0600;
        private int minor = InstanceConfig.ANY_MINOR;
        private long wallOffset;
        private long boottimeOffset;
        private long monotonicOffset;
        private long clocksFromPid;
        private int clocksLine;

        private Builder(final String name, final Origin origin, final Path file, final int line) {
            this.file = file;
            this.origin = origin;
            this.line = line;
            if (name == null || !NAME.matcher(name).matches()) {
                throw new ConfigException(file, line, "name", "an instance name must be 1 to 64 of [A-Za-z0-9._+-]: \""
                        + name + "\"");
            }
            this.name = name;
        }

        /**
         * Sets one field from its text.
         *
         * @param key the field
         * @param value its text
         * @param at the line it is on (0 for a control request)
         * @return this builder
         * @throws ConfigException naming the line and field for an unknown field, a repeated one or a bad value
         */
        public Builder set(final String key, final String value, final int at) {
            if (!KEYS.containsKey(key)) {
                throw new ConfigException(file, at, key, "unknown field (known: " + String.join(", ", KEYS.keySet()) + ")");
            }
            final Integer before = seen.putIfAbsent(key, at);
            if (before != null) {
                throw new ConfigException(file, at, key, "given twice (first " + (before > 0 ? "on line " + before : "earlier")
                        + ")");
            }
            final String v = value.trim();
            try {
                switch (key) {
                    case "node":
                        NodeSpec.of(v);
                        node = v;
                        break;
                    case "transport":
                        if (!v.equals("cuse") && !v.equals("fuse") && !v.equals("auto")) {
                            throw new IllegalArgumentException("must be cuse, fuse or auto: \"" + v + "\"");
                        }
                        transport = v;
                        transportLine = at;
                        break;
                    case "mount":
                        final Path p = Path.of(v);
                        if (!p.isAbsolute()) {
                            throw new IllegalArgumentException("must be an absolute directory: \"" + v + "\"");
                        }
                        mount = p.normalize();
                        mountLine = at;
                        break;
                    case "owner":
                        uid = Ids.uid(v);
                        break;
                    case "group":
                        gid = Ids.gid(v);
                        break;
                    case "mode":
                        mode = mode(v);
                        break;
                    case "minor":
                        minor = Integer.parseInt(v);
                        if (minor < 0 || minor >= InstanceConfig.Builder.MINOR_LIMIT) {
                            throw new IllegalArgumentException("must be in [0, " + InstanceConfig.Builder.MINOR_LIMIT + "): " + v);
                        }
                        break;
                    case "wall-clock-offset":
                        wallOffset = Durations.parseNanos(v);
                        break;
                    case "boottime-offset":
                        boottimeOffset = Durations.parseNanos(v);
                        break;
                    case "monotonic-offset":
                        monotonicOffset = Durations.parseNanos(v);
                        break;
                    default: // clocks-from-pid
                        clocksFromPid = Long.parseLong(v);
                        if (clocksFromPid <= 0) {
                            throw new IllegalArgumentException("must be a process id: " + v);
                        }
                        clocksLine = at;
                        break;
                }
            } catch (final NumberFormatException e) {
                throw new ConfigException(file, at, key, "not a number: \"" + v + "\"");
            } catch (final IllegalArgumentException e) {
                throw new ConfigException(file, at, key, e.getMessage());
            }
            return this;
        }

        private static int mode(final String v) {
            if (!v.matches("0?[0-7]{1,3}")) {
                throw new IllegalArgumentException("must be octal permission bits in [0, 0777] (e.g. 0664): \"" + v + "\"");
            }
            return Integer.parseInt(v, 8);
        }

        /**
         * Checks the fields together and against this machine (the transport exists, the mount is a
         * directory, the time namespace can be read) and builds the spec.
         *
         * @param cuseAvailable whether this kernel has CUSE ({@code /dev/cuse})
         * @param proc the proc file system, for {@code clocks-from-pid}
         * @return the spec
         * @throws ConfigException naming the field that cannot be honoured
         */
        public InstanceSpec build(final boolean cuseAvailable, final Path proc) {
            final Transport t;
            final String why;
            if (transport.equals("cuse")) {
                if (!cuseAvailable) {
                    throw new ConfigException(file, transportLine, "transport", "cuse was asked for, but this kernel has no "
                            + "CUSE (/dev/cuse is missing: CONFIG_CUSE, or modprobe cuse); say fuse or auto instead");
                }
                t = Transport.CUSE;
                why = "cuse, as configured";
            } else if (transport.equals("fuse")) {
                t = Transport.FUSE;
                why = "fuse, as configured";
            } else if (cuseAvailable) {
                t = Transport.CUSE;
                why = "auto: this kernel has CUSE";
            } else {
                if (mount == null) {
                    throw new ConfigException(file, transportLine > 0 ? transportLine : line, "mount",
                            "transport auto falls back to FUSE here (no /dev/cuse), which needs a mount directory");
                }
                t = Transport.FUSE;
                why = "auto: no CUSE in this kernel (/dev/cuse missing), FUSE file in " + mount;
            }
            if (t == Transport.FUSE) {
                if (mount == null) {
                    throw new ConfigException(file, transportLine > 0 ? transportLine : line, "mount",
                            "a FUSE instance needs a mount directory");
                }
                if (!isOurMount(mount) && !Files.isDirectory(mount)) {
                    throw new ConfigException(file, mountLine, "mount", "not a directory: " + mount);
                }
            } else if (mount != null && transport.equals("cuse")) {
                throw new ConfigException(file, mountLine, "mount", "a CUSE instance has no mount (its node is /dev/"
                        + (node != null ? node : name) + ")");
            }
            long boot = boottimeOffset;
            long mono = monotonicOffset;
            ConfigException clocks = null;
            if (clocksFromPid != 0) {
                if (seen.containsKey("boottime-offset") || seen.containsKey("monotonic-offset")) {
                    throw new ConfigException(file, clocksLine, "clocks-from-pid",
                            "give either clocks-from-pid or boottime-offset/monotonic-offset, not both");
                }
                try {
                    final TimeNamespace.Offsets o = TimeNamespace.of(proc, clocksFromPid);
                    boot = o.boottime();
                    mono = o.monotonic();
                } catch (final IllegalArgumentException e) {
                    clocks = new ConfigException(file, clocksLine, "clocks-from-pid", e.getMessage());
                    if (!java.nio.file.Files.isDirectory(proc) || !e.getMessage().startsWith("no process")) {
                        throw clocks;
                    }
                }
            }
            final InstanceSpec s = new InstanceSpec(this, t, why, boot, mono);
            s.clocksError = clocks;
            return s;
        }

        /**
         * Whether a valarm FUSE mount sits on {@code dir} (kept alive by the keeper while no daemon runs, or
         * stale): never touched here, since a look at a mount nobody serves yet blocks until a daemon does.
         */
        private static boolean isOurMount(final Path dir) {
            for (final Mounts.MountEntry e : Mounts.mountsAt(dir)) {
                if (e.fsType().equals(Mounts.FSTYPE)) {
                    return true;
                }
            }
            return false;
        }
    }
}
