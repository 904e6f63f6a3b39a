package dev.valarm.daemon.internal.serve;

import dev.valarm.Errno;
import dev.valarm.InstanceSnapshot;
import dev.valarm.RestoreOptions;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmException;
import dev.valarm.ValarmInstance;
import dev.valarm.bridge.BridgeException;
import dev.valarm.bridge.NodeSpec;
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
import dev.valarm.daemon.ConfigException;
import dev.valarm.daemon.internal.config.DaemonConfig;
import dev.valarm.daemon.internal.config.InstanceSpec;
import dev.valarm.daemon.internal.journal.InFlightFile;
import dev.valarm.daemon.internal.journal.Journal;
import dev.valarm.daemon.internal.journal.Record;
import dev.valarm.daemon.internal.keeper.KeeperClient;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.spi.HostClocks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running daemon: one device, one serving loop over every connection, the instances and their nodes,
 * the journal that makes every acknowledged change durable, and the keeper that holds the connections. The
 * control socket's commands land here ({@link #create}, {@link #destroy}, {@link #setNode}, ...); how it
 * starts (fresh, restored after a crash, or taking over from a predecessor) is {@link Startup}'s job, how it
 * hands over is {@link Handover}'s.
 *
 * <p>Flow of a request: kernel &rarr; {@link Session} (the bridge's loop) &rarr; {@code CuseRequests} /
 * {@code FuseRequests} &rarr; {@code AlarmIoctlCodec} &rarr; the instance's handle; before the reply the
 * bridge calls {@link DurabilityHook}, which appends to the {@link Journal}.
 *
 * <p>Thread-safety: the control methods are thread-safe (one lock); the loop and WAIT completions never take
 * it.
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);

    final DaemonConfig config;
    final ValarmDevice device;
    final HostClocks clocks;
    final Session session;
    final PendingWaits waits;
    final InFlightFile inflight;
    final Journal journal;
    final DurabilityHook hook;
    final KeeperClient keeper;
    final Object lock = new Object();
    final Map<String, ServedInstance> instances = new LinkedHashMap<>();
    final Map<Long, ServedConnection> connections = new LinkedHashMap<>();
    final Map<Path, ServedConnection> mounts = new HashMap<>();
    final long startedNanos = System.nanoTime();
    volatile StartInfo startInfo;
    private int cuseMajor = -1;
    private volatile String refusal;

    /** How this process started, for {@code ctl stats} and the logs. */
    record StartInfo(String how, long predecessorPid, int restored, int adoptedConnections, int recreatedConnections,
            int reanswered, int resent, int reparked, int servedInFlight, long millis) {
    }

    Daemon(final DaemonConfig config, final ValarmDevice device, final HostClocks clocks, final Session session,
            final PendingWaits waits, final InFlightFile inflight, final Journal journal, final DurabilityHook hook,
            final KeeperClient keeper) {
        this.config = config;
        this.device = device;
        this.clocks = clocks;
        this.session = session;
        this.waits = waits;
        this.inflight = inflight;
        this.journal = journal;
        this.hook = hook;
        this.keeper = keeper;
        this.startInfo = new StartInfo("starting", 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** A control command that cannot be done: the errno and a reason naming the value. */
    public static final class CommandException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        /**
         * Creates one.
         *
         * @param errno the errno
         * @param message what and why, naming the value
         */
        public CommandException(final int errno, final String message) {
            super(message);
            this.errno = errno;
        }

        /**
         * The errno that names the refusal.
         *
         * @return errno
         */
        public int errno() {
            return errno;
        }
    }

    /** Refuses control commands while handing over (with the reason), or accepts them again (null). */
    void refuse(final String why) {
        this.refusal = why;
    }

    private void checkAccepting(final String what) {
        final String r = refusal;
        if (r != null) {
            throw new CommandException(Errno.EBUSY, what + ": " + r);
        }
    }

    // ------------------------------------------------------------------ serving nodes

    /** The CUSE major for new devices. Lock held. */
    private int cuseMajor(final String what) {
        if (config.cuseMajor() >= 0) {
            return config.cuseMajor();
        }
        if (cuseMajor < 0) {
            for (final ServedConnection sc : connections.values()) {
                if (sc.cuse && sc.major > 0) {
                    cuseMajor = sc.major;
                    return cuseMajor;
                }
            }
            cuseMajor = CuseNodes.pickMajor(what);
        }
        return cuseMajor;
    }

    /**
     * Serves a live instance on a new or shared node and records it. On any failure nothing stays: the
     * connection is closed (if new) and the instance is left to the caller. Lock held.
     */
    ServedInstance serve(final InstanceSpec spec, final ValarmInstance inst) {
        final String what = "serve " + spec;
        ServedConnection sc;
        boolean fresh = false;
        if (spec.transport() == InstanceSpec.Transport.CUSE) {
            final int major = cuseMajor(what);
            final Channels.OpenedCuse o = Channels.openCuse(config.devDir(), spec.node(), major,
                    major == 0 ? 0 : inst.minor(), what);
            sc = new ServedConnection(o.connection(), true, o.created().node(), null, o.created().major(),
                    o.created().minor(), o.created().madeByBridge());
            fresh = true;
        } else {
            sc = mounts.get(spec.mount());
            if (sc == null) {
                final Connection c = Channels.openFuse(spec.mount(), 0755, what);
                sc = new ServedConnection(c, false, spec.mount(), new FuseNodes(), 0, 0, false);
                fresh = true;
            } else if (sc.nodes.byName(spec.node().name()) != null) {
                throw new CommandException(Errno.EEXIST, what + ": " + spec.mount().resolve(spec.node().name())
                        + " is already served");
            }
        }
        try {
            if (fresh) {
                prepare(sc, inst);
            }
            final long nodeId = sc.cuse ? 0 : sc.nodes.add(inst, spec.node()).nodeId();
            final ServedInstance si = new ServedInstance(spec, inst, sc, nodeId);
            synchronized (journal.lock()) {
                final Record.State st = hook.state(inst, Record.NONE, 0);
                journal.append(instanceRecord(si), st);
            }
            sc.instances.add(spec.name());
            instances.put(spec.name(), si);
            if (fresh) {
                session.attach(sc.connection);
            }
            LOG.info("serving {} at {} ({}){}", spec.name(), si.node(), spec.node(),
                    fresh ? ", " + spec.transportReason() : "");
            return si;
        } catch (final RuntimeException e) {
            if (fresh) {
                abandon(sc);
            } else if (!sc.cuse) {
                sc.nodes.remove(spec.node().name());
            }
            throw e;
        }
    }

    /**
     * Gives a new connection its id, handler and hook, records it and hands its fd to the keeper (before a
     * single request is read from it). Lock held.
     */
    private void prepare(final ServedConnection sc, final ValarmInstance inst) {
        final Connection c = sc.connection;
        synchronized (journal.lock()) {
            c.id(journal.state().takeConnectionId());
        }
        handler(sc, inst);
        synchronized (journal.lock()) {
            journal.append(connectionRecord(sc));
        }
        connections.put(c.id(), sc);
        if (!sc.cuse) {
            mounts.put(sc.path, sc);
        }
        if (keeper != null) {
            keeper.put(c.id(), c.fd());
        }
    }

    /**
     * Sets the handler and the hook of a connection (new or adopted).
     *
     * @param sc the connection
     * @param cuseInstance the instance a CUSE device serves (unused for FUSE)
     */
    void handler(final ServedConnection sc, final ValarmInstance cuseInstance) {
        final Connection c = sc.connection;
        if (sc.cuse) {
            c.handler(new CuseRequests(waits, cuseInstance, () -> afterCuseClose(sc)));
        } else {
            final Path dir = sc.path;
            c.handler(new FuseRequests(waits, sc.nodes, 0, 0, 0755, () -> Mounts.unmount(dir)));
        }
        c.hook(hook);
    }

    private void afterCuseClose(final ServedConnection sc) {
        if (sc.madeNode) {
            Native.get().libc().unlink(sc.path.toString());
        }
    }

    /** Closes a connection that never served (a failed create) and forgets it. Lock held. */
    private void abandon(final ServedConnection sc) {
        final Connection c = sc.connection;
        if (c.id() >= 0) {
            if (keeper != null) {
                try {
                    keeper.drop(c.id());
                } catch (final RuntimeException e) {
                    LOG.warn("the keeper could not drop connection {}: {}", c.id(), e.getMessage());
                }
            }
            connections.remove(c.id());
            try {
                synchronized (journal.lock()) {
                    journal.append(new Record.ConnectionGone(c.id()));
                }
            } catch (final Journal.JournalException e) {
                LOG.error("recording the end of connection {} failed: {}", c.id(), e.getMessage());
            }
        }
        if (!sc.cuse) {
            mounts.remove(sc.path);
        }
        c.close();
        if (sc.cuse) {
            afterCuseClose(sc);
        } else {
            Mounts.unmount(sc.path);
        }
    }

    Record.Connection connectionRecord(final ServedConnection sc) {
        final Connection c = sc.connection;
        return new Record.Connection(c.id(), sc.cuse, c.protocolMinor(), c.kernelMinor(), sc.path.toString(), sc.major,
                sc.minor, sc.madeNode);
    }

    Record.Instance instanceRecord(final ServedInstance si) {
        final long[] off = DriverAccess.offsets(si.instance);
        final NodeSpec n = si.spec.node();
        return new Record.Instance(si.name(), si.instance.minor(), si.spec.origin() == InstanceSpec.Origin.CONFIG,
                si.connection.id(), n.name(), n.uid(), n.gid(), n.mode(), si.fuseNodeId, off[1], off[2], si.spec.wallOffset(),
                si.spec.clocksFromPid());
    }

    // ------------------------------------------------------------------ control commands

    /**
     * Creates and serves an instance.
     *
     * @param spec the instance
     * @return a description of what is served
     * @throws CommandException if the name, node or minor is taken, or the kernel refused the node
     */
    public Map<String, Object> create(final InstanceSpec spec) {
        synchronized (lock) {
            checkAccepting("create " + spec.name());
            spec.requireClocks();
            if (instances.containsKey(spec.name())) {
                throw new CommandException(Errno.EEXIST, "create " + spec.name() + ": an instance with that name exists");
            }
            final ValarmInstance inst;
            try {
                inst = device.createInstance(spec.instanceConfig());
            } catch (final ValarmException e) {
                throw new CommandException(e.errno(), "create " + spec.name() + ": " + e.getMessage());
            }
            return serveOrClose(spec, inst);
        }
    }

    private Map<String, Object> serveOrClose(final InstanceSpec spec, final ValarmInstance inst) {
        try {
            return describe(serve(spec, inst));
        } catch (final BridgeException e) {
            inst.close();
            throw new CommandException(e.errno(), e.getMessage());
        } catch (final RuntimeException e) {
            inst.close();
            throw e;
        }
    }

    /**
     * Destroys an instance: its node goes away (a CUSE device is removed, a FUSE file is removed and, with
     * the mount's last file, the mount), its blocked callers get ENODEV, its alarms are cancelled.
     *
     * @param name the instance
     * @throws CommandException (ENOENT) if there is no such instance
     */
    public void destroy(final String name) {
        synchronized (lock) {
            checkAccepting("destroy " + name);
            final ServedInstance si = instances.get(name);
            if (si == null) {
                throw new CommandException(Errno.ENOENT, "destroy " + name + ": no such instance");
            }
            final ServedConnection sc = si.connection;
            final boolean last = sc.instances.size() == 1;
            if (last) {
                if (keeper != null) {
                    keeper.drop(sc.id());
                }
                session.detach(sc.connection);
            } else {
                sc.nodes.remove(si.spec.node().name());
            }
            si.instance.close();
            synchronized (journal.lock()) {
                if (last) {
                    journal.append(new Record.InstanceGone(name), new Record.ConnectionGone(sc.id()));
                } else {
                    journal.append(new Record.InstanceGone(name));
                }
            }
            sc.instances.remove(name);
            instances.remove(name);
            if (last) {
                connections.remove(sc.id());
                if (!sc.cuse) {
                    mounts.remove(sc.path);
                }
            }
            LOG.info("destroyed {} ({} removed)", name, si.node());
        }
    }

    /**
     * Changes a node's owner, group or mode.
     *
     * @param name the instance
     * @param uid the new owner, or -1 to keep it
     * @param gid the new group, or -1 to keep it
     * @param mode the new bits, or -1 to keep them
     * @return the instance's description
     * @throws CommandException (ENOENT) no such instance; the errno of a failed chown/chmod
     */
    public Map<String, Object> setNode(final String name, final int uid, final int gid, final int mode) {
        synchronized (lock) {
            checkAccepting("change the node of " + name);
            final ServedInstance si = instances.get(name);
            if (si == null) {
                throw new CommandException(Errno.ENOENT, "change the node of " + name + ": no such instance");
            }
            final NodeSpec old = si.spec.node();
            final NodeSpec n = old.owner(uid >= 0 ? uid : old.uid(), gid >= 0 ? gid : old.gid())
                    .mode(mode >= 0 ? mode : old.mode());
            if (si.connection.cuse) {
                final Native nat = Native.get();
                final String p = si.node().toString();
                if (nat.libc().chown(p, n.uid(), n.gid()) != 0 || nat.libc().chmod(p, n.mode()) != 0) {
                    final int e = nat.errno();
                    throw new CommandException(e, "setting " + p + " to " + n + " failed: " + nat.describe(e));
                }
            } else {
                si.connection.nodes.respec(old.name(), n);
            }
            si.spec = si.spec.withNode(n);
            synchronized (journal.lock()) {
                journal.append(instanceRecord(si));
            }
            LOG.info("node of {} is now {}", name, n);
            return describe(si);
        }
    }

    /**
     * A snapshot of an instance in the versioned migration format ({@code docs/migration.md}).
     *
     * @param name the instance
     * @return the snapshot's bytes
     * @throws CommandException (ENOENT) no such instance
     */
    public byte[] snapshot(final String name) {
        synchronized (lock) {
            final ServedInstance si = instances.get(name);
            if (si == null) {
                throw new CommandException(Errno.ENOENT, "snapshot " + name + ": no such instance");
            }
            return si.instance.snapshot().toBytes();
        }
    }

    /**
     * Restores a migration snapshot as a new served instance (the snapshot's clocks continue; see
     * {@code docs/migration.md}).
     *
     * @param bytes the snapshot
     * @param spec the new instance's name and node (its offsets are ignored: the snapshot's clocks rule)
     * @param continueWallClock true for {@link RestoreOptions.WallClock#CONTINUE}
     * @return the instance's description
     * @throws CommandException (EBADMSG, EINVAL, EOPNOTSUPP) a bad snapshot; (EEXIST) name or minor taken
     */
    public Map<String, Object> restore(final byte[] bytes, final InstanceSpec spec, final boolean continueWallClock) {
        synchronized (lock) {
            checkAccepting("restore " + spec.name());
            if (instances.containsKey(spec.name())) {
                throw new CommandException(Errno.EEXIST, "restore " + spec.name() + ": an instance with that name exists");
            }
            final ValarmInstance inst;
            try {
                final InstanceSnapshot s = InstanceSnapshot.fromBytes(bytes);
                inst = device.restore(s, RestoreOptions.builder().name(spec.name())
                        .minor(spec.minor() >= 0 ? spec.minor() : dev.valarm.InstanceConfig.ANY_MINOR)
                        .wallClock(continueWallClock ? RestoreOptions.WallClock.CONTINUE : RestoreOptions.WallClock.FOLLOW_HOST)
                        .build());
            } catch (final ValarmException e) {
                throw new CommandException(e.errno(), "restore " + spec.name() + ": " + e.getMessage());
            }
            return serveOrClose(spec, inst);
        }
    }

    /**
     * Creates a child instance with the parent's clocks (plus the child spec's offsets, relative to the
     * parent) and, optionally, its alarms, and serves it.
     *
     * @param parent the parent instance's name
     * @param spec the child
     * @param copyAlarms whether to copy the armed alarms
     * @return the child's description
     * @throws CommandException (ENOENT) no such parent; (EEXIST) name taken
     */
    public Map<String, Object> unshare(final String parent, final InstanceSpec spec, final boolean copyAlarms) {
        synchronized (lock) {
            checkAccepting("unshare " + parent);
            final ServedInstance p = instances.get(parent);
            if (p == null) {
                throw new CommandException(Errno.ENOENT, "unshare " + parent + ": no such instance");
            }
            if (instances.containsKey(spec.name())) {
                throw new CommandException(Errno.EEXIST, "unshare " + parent + ": an instance named " + spec.name() + " exists");
            }
            final ValarmInstance inst;
            try {
                inst = p.instance.unshare(spec.instanceConfig(), copyAlarms);
            } catch (final ValarmException e) {
                throw new CommandException(e.errno(), "unshare " + parent + ": " + e.getMessage());
            }
            return serveOrClose(spec, inst);
        }
    }

    /**
     * Every instance, ordered by name of creation.
     *
     * @return descriptions
     */
    public List<Map<String, Object>> list() {
        synchronized (lock) {
            final List<Map<String, Object>> out = new ArrayList<>();
            for (final ServedInstance si : instances.values()) {
                out.add(describe(si));
            }
            return out;
        }
    }

    /**
     * The names of the instances.
     *
     * @return the names
     */
    public List<String> names() {
        synchronized (lock) {
            return List.copyOf(instances.keySet());
        }
    }

    private Map<String, Object> describe(final ServedInstance si) {
        final Map<String, Object> m = new LinkedHashMap<>();
        final NodeSpec n = si.spec.node();
        final long[] img = new long[DriverAccess.IMAGE_LONGS];
        final Object owner = DriverAccess.image(si.instance, img);
        final long[] off = DriverAccess.offsets(si.instance);
        m.put("name", si.name());
        m.put("minor", si.instance.minor());
        m.put("transport", si.connection.cuse ? "cuse" : "fuse");
        m.put("node", si.node().toString());
        if (si.connection.cuse) {
            m.put("device", si.connection.major + ":" + si.connection.minor);
        }
        m.put("owner", n.uid());
        m.put("group", n.gid());
        m.put("mode", String.format("%04o", n.mode()));
        m.put("origin", si.spec.origin().name().toLowerCase(java.util.Locale.ROOT));
        m.put("wall_clock_offset", dev.valarm.daemon.internal.config.Durations.format(off[0]));
        m.put("boottime_offset", dev.valarm.daemon.internal.config.Durations.format(off[1]));
        m.put("monotonic_offset", dev.valarm.daemon.internal.config.Durations.format(off[2]));
        m.put("armed", (int) img[0]);
        m.put("pending", (int) img[1]);
        m.put("owned", owner != null);
        m.put("open_files", countFiles(si));
        int blocked = 0;
        for (final PendingWaits.Pending p : waits.snapshot()) {
            if (p.handle().instance() == si.instance) {
                blocked++;
            }
        }
        m.put("blocked_waits", blocked);
        return m;
    }

    private int countFiles(final ServedInstance si) {
        final int[] n = {0};
        synchronized (journal.lock()) {
            for (final Record.File f : journal.state().files().values()) {
                if (f.connection() == si.connection.id() && f.minor() == si.instance.minor()) {
                    n[0]++;
                }
            }
        }
        return n[0];
    }

    /**
     * The device's counters and the daemon's.
     *
     * @return the stats
     */
    public Map<String, Object> stats() {
        synchronized (lock) {
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("pid", ProcessHandle.current().pid());
            m.put("uptime_ms", (System.nanoTime() - startedNanos) / 1_000_000);
            m.put("started", startInfo.how());
            m.put("start_ms", startInfo.millis());
            if (startInfo.predecessorPid() > 0) {
                m.put("predecessor_pid", startInfo.predecessorPid());
            }
            m.put("restored_instances", startInfo.restored());
            m.put("adopted_connections", startInfo.adoptedConnections());
            m.put("recreated_connections", startInfo.recreatedConnections());
            m.put("reanswered", startInfo.reanswered());
            m.put("resend_requested", startInfo.resent());
            m.put("reparked_waits", startInfo.reparked());
            m.put("served_in_flight", startInfo.servedInFlight());
            m.put("backend", device.describe());
            m.put("instances", instances.size());
            m.put("connections", connections.size());
            m.put("blocked_waits", waits.size());
            m.put("requests_served", session.requestsServed());
            int kernelMinor = Integer.MAX_VALUE;
            for (final ServedConnection sc : connections.values()) {
                kernelMinor = Math.min(kernelMinor, sc.connection.kernelMinor());
            }
            if (!connections.isEmpty()) {
                m.put("kernel_protocol", "7." + kernelMinor);
                m.put("kernel_resend", kernelMinor >= dev.valarm.bridge.internal.FuseAbi.RESEND_MINOR);
            }
            final dev.valarm.DeviceStats d = device.stats();
            final Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("instances", d.instances());
            dm.put("armed_alarms", d.armedAlarms());
            dm.put("alarms_set", d.alarmsSet());
            dm.put("alarms_fired", d.alarmsFired());
            dm.put("late_deliveries", d.lateDeliveries());
            dm.put("hardware_writes", d.hardwareWrites());
            dm.put("hardware_cancels", d.hardwareCancels());
            dm.put("hardware_wakes", d.hardwareWakes());
            dm.put("backend_faults", d.backendFaults());
            dm.put("backend_retries", d.backendRetries());
            dm.put("clock_changes", d.clockChanges());
            dm.put("missed_wake_interrupts", d.missedWakeInterrupts());
            m.put("device", dm);
            final Journal.Stats j = journal.stats();
            final Map<String, Object> jm = new LinkedHashMap<>();
            jm.put("bytes", j.bytes());
            jm.put("commits", j.commits());
            jm.put("records", j.records());
            jm.put("checkpoints", j.compactions());
            jm.put("mean_commit_us", j.commits() == 0 ? 0.0 : j.commitNanos() / 1000.0 / j.commits());
            jm.put("sync", config.journalSync().name().toLowerCase(java.util.Locale.ROOT));
            m.put("journal", jm);
            m.put("rss_kib", rssKib());
            return m;
        }
    }

    /** This process's resident set, KiB, from {@code /proc/self/status}; -1 if unknown. */
    static long rssKib() {
        try {
            for (final String l : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (final java.io.IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Re-reads the config: creates the instances added to it, changes the node permissions that changed,
     * and destroys the config instances removed from it. An instance whose transport, node name, mount or
     * clocks changed is reported, not changed (destroy and create it to change those).
     *
     * @param fresh the config read again
     * @return what was done
     */
    public Map<String, Object> reload(final DaemonConfig fresh) {
        synchronized (lock) {
            checkAccepting("reload");
            final List<String> created = new ArrayList<>();
            final List<String> changed = new ArrayList<>();
            final List<String> removed = new ArrayList<>();
            final List<String> kept = new ArrayList<>();
            for (final InstanceSpec s : fresh.instances()) {
                final ServedInstance si = instances.get(s.name());
                if (si == null) {
                    create(s);
                    created.add(s.name());
                } else if (!si.spec.sameButPermissions(s)) {
                    kept.add(s.name() + ": its transport, node, mount, minor or clocks changed in the config; destroy "
                            + "and create it to apply that");
                } else if (!si.spec.node().equals(s.node())) {
                    setNode(s.name(), s.node().uid(), s.node().gid(), s.node().mode());
                    changed.add(s.name());
                }
            }
            for (final ServedInstance si : new ArrayList<>(instances.values())) {
                if (si.spec.origin() == InstanceSpec.Origin.CONFIG && fresh.instance(si.name()) == null) {
                    destroy(si.name());
                    removed.add(si.name());
                }
            }
            LOG.info("reloaded {}: created {}, permissions changed {}, removed {}, not changed {}", fresh.file(), created,
                    changed, removed, kept);
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("created", created);
            m.put("changed", changed);
            m.put("removed", removed);
            m.put("not_changed", kept);
            return m;
        }
    }

    /**
     * Stops everything for good: every blocked caller gets ENODEV, every node is removed and mount
     * unmounted, the keeper is told to let go and exit, and the journal is deleted (the next start begins
     * from the config).
     */
    public void shutdown() {
        synchronized (lock) {
            refuse("the daemon is shutting down");
            for (final ServedConnection sc : new ArrayList<>(connections.values())) {
                if (keeper != null) {
                    try {
                        keeper.drop(sc.id());
                    } catch (final RuntimeException e) {
                        LOG.warn("the keeper could not drop connection {}: {}", sc.id(), e.getMessage());
                    }
                }
            }
            session.close();
            for (final ServedInstance si : instances.values()) {
                si.instance.close();
            }
            if (keeper != null) {
                try {
                    keeper.exit();
                } catch (final RuntimeException e) {
                    LOG.warn("the keeper did not exit: {}", e.getMessage());
                }
            }
            journal.delete();
            device.close();
            LOG.info("shut down: {} instance(s) and {} node connection(s) released", instances.size(), connections.size());
        }
    }

    /**
     * Undoes what a start that failed made itself: its new nodes are removed (FUSE unmounted, CUSE devices
     * closed) and forgotten, its new instances closed. Connections taken back from a predecessor are left
     * to the keeper, untouched, for the next start. Lock held by the caller.
     *
     * @param keep the ids of the connections taken back
     */
    void rollback(final java.util.Set<Long> keep) {
        for (final ServedInstance si : new ArrayList<>(instances.values())) {
            if (!keep.contains(si.connection.id())) {
                si.instance.close();
                instances.remove(si.name());
                try {
                    journal.append(new Record.InstanceGone(si.name()));
                } catch (final Journal.JournalException e) {
                    LOG.warn("rollback: {}", e.getMessage());
                }
            }
        }
        for (final ServedConnection sc : new ArrayList<>(connections.values())) {
            if (!keep.contains(sc.id())) {
                session.detach(sc.connection);
                abandon(sc);
            }
        }
    }

    /** Tells systemd (if it runs the daemon) that it serves, and under which pid. */
    public void ready() {
        SdNotify.send("READY=1\nMAINPID=" + ProcessHandle.current().pid() + "\nSTATUS=serving " + instances.size()
                + " instance(s)");
    }

    /** A config instance spec check used by commands: the same rules as the file's. */
    static ConfigException bad(final String field, final String message) {
        return new ConfigException(null, 0, field, message);
    }
}
