package dev.valarm.daemon.internal.serve;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.InstanceSnapshot;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmException;
import dev.valarm.ValarmInstance;
import dev.valarm.bridge.NodeSpec;
import dev.valarm.bridge.internal.Channels;
import dev.valarm.bridge.internal.Connection;
import dev.valarm.bridge.internal.FuseAbi;
import dev.valarm.bridge.internal.FuseNodes;
import dev.valarm.bridge.internal.Mounts;
import dev.valarm.bridge.internal.Native;
import dev.valarm.bridge.internal.PendingWaits;
import dev.valarm.bridge.internal.Session;
import dev.valarm.daemon.ControlClient;
import dev.valarm.daemon.internal.config.DaemonConfig;
import dev.valarm.daemon.internal.config.InstanceSpec;
import dev.valarm.daemon.internal.control.Json;
import dev.valarm.daemon.internal.journal.DurableState;
import dev.valarm.daemon.internal.journal.InFlightFile;
import dev.valarm.daemon.internal.journal.Journal;
import dev.valarm.daemon.internal.journal.Record;
import dev.valarm.daemon.internal.keeper.KeeperClient;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.rtc.linux.LinuxHostClocks;
import dev.valarm.spi.HostClocks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a daemon comes up. Three ways, one path:
 * <ul>
 * <li><b>fresh</b> (no journal of this boot): the config's instances are created and served;</li>
 * <li><b>restart</b> after a crash or a stop (a journal of this boot): the instances are restored exactly
 * (same clocks, armed alarms with their windows, pending events, time-change bit; an alarm that came due
 * meanwhile fires at once), the kernel connections are taken back from the keeper with their open files and
 * owners, the recorded answers are written again (the kernel drops those already delivered), and the
 * requests the dead process had read are re-sent by the kernel ({@code FUSE_NOTIFY_RESEND}, 6.9+) or, on
 * older kernels, recovered from the journal (blocked WAITs) and the in-flight record (the one request
 * being served);</li>
 * <li><b>takeover</b> from a live predecessor (an upgrade): the predecessor parks at a request boundary and
 * freezes its journal; this process prepares everything, then commits (the predecessor exits) and serves,
 * with the predecessor's blocked WAITs re-parked under their request ids (no re-send needed, so it works on
 * any kernel). Until the commit the predecessor can resume.</li>
 * </ul>
 *
 * <p>Thread-safety: used by one thread.
 */
public final class Startup {
    private static final Logger LOG = LoggerFactory.getLogger(Startup.class);
    /** A host clock change larger than this while no daemon ran raises the time-change bit on restore. */
    private static final long CLOCK_CHANGE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final DaemonConfig config;
    private final boolean takeover;
    private final long t0 = System.nanoTime();
    private ControlClient predecessor;
    private long predecessorPid;

    private Startup(final DaemonConfig config, final boolean takeover) {
        this.config = config;
        this.takeover = takeover;
    }

    /** Start-up failed: the exit status and why. */
    public static final class StartException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;

        StartException(final int status, final String message, final Throwable cause) {
            super(message, cause);
            this.status = status;
        }

        /**
         * The exit status.
         *
         * @return 1 (could not serve) or 2 (bad config)
         */
        public int status() {
            return status;
        }
    }

    /**
     * Starts a daemon.
     *
     * @param config the checked config
     * @param takeover whether to take over from a live predecessor on the control socket
     * @return the serving daemon
     * @throws StartException if it cannot serve; nothing is served half
     */
    public static Daemon start(final DaemonConfig config, final boolean takeover) throws StartException {
        return new Startup(config, takeover).run();
    }

    /** What a journal instance becomes in this process. */
    private static final class Restored {
        final Record.Instance rec;
        final ValarmInstance instance;

        Restored(final Record.Instance rec, final ValarmInstance instance) {
            this.rec = rec;
            this.instance = instance;
        }
    }

    private Daemon run() throws StartException {
        final Path dir = config.stateDir();
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (final IOException e) {
            throw new StartException(1, "cannot make the state directory " + dir + ": " + e, e);
        }
        final StateLock lock = new StateLock(dir);
        final boolean locked;
        try {
            locked = lock.tryLock();
        } catch (final IOException e) {
            throw new StartException(1, e.getMessage(), e);
        }
        if (!locked && !takeover) {
            throw new StartException(1, "another valarm daemon (pid " + lock.holder() + ") serves " + dir
                    + ": stop it first, or hand over to a new one with `valarm ctl upgrade`", null);
        }
        if (takeover && locked) {
            LOG.info("--takeover: no daemon holds {}; starting as after a stop", dir);
        }
        ValarmDevice device = null;
        HostClocks clocks = null;
        Session session = null;
        Daemon made = null;
        final java.util.Set<Long> adoptedIds = new java.util.HashSet<>();
        try {
            // Everything slow first, while a predecessor still serves: the device, the clocks, the keeper.
            device = openDevice();
            clocks = LinuxHostClocks.open();
            final KeeperClient keeper = keeper(dir);
            final InFlightFile inflight = InFlightFile.open(dir);
            session = new Session("valarm-daemon", inflight);
            session.park();
            if (takeover && !locked) {
                warmUp(device, dir);
                prepareHandover(); // from here the predecessor is parked: be quick
                Failpoints.pass("takeover-prepared");
            }
            final String bootId = bootId();
            DurableState state = new DurableState();
            String how = "fresh";
            final Journal.Replay replay = Journal.read(dir);
            if (replay != null) {
                final Record.Header h = replay.state().header();
                if (h == null || !bootId.equals(h.bootId())) {
                    LOG.warn("the journal in {} is from an earlier boot ({}): discarded. Instances are created from the "
                            + "config; armed alarms do not survive a reboot (as with the kernel driver)", dir,
                            h == null ? "no header" : h.bootId());
                } else {
                    state = replay.state();
                    how = predecessor != null ? "takeover" : "restart";
                    if (replay.problem() != null) {
                        LOG.warn("the journal ends with {}: the records after it were never acknowledged; ignored",
                                replay.problem());
                    }
                    LOG.info("journal: {} records ({} bytes) from pid {}; {}", replay.frames(), replay.bytes(), h.pid(),
                            state.cleanPid() != 0 ? "the predecessor stopped cleanly" : "the predecessor did not stop cleanly");
                }
            }
            final boolean clean = state.cleanPid() != 0;
            final Map<Long, Integer> fds = keeper == null ? new HashMap<>() : keeper.list();
            final InFlightFile.Unfinished unfinished = clean ? null : inflight.unfinished();
            final PendingWaits waits = new PendingWaits(64);

            // Phase 1, no side effect on any connection or on the journal: rebuild the instances and adopt fds.
            final HostClocks c = clocks;
            final Map<String, Restored> restored = restoreInstances(device, state, c);
            final Map<Long, ServedConnection> adopted = new LinkedHashMap<>();
            final List<Record.Connection> lost = new ArrayList<>();
            for (final Record.Connection rc : state.connections().values()) {
                final Integer fd = fds.remove(rc.id());
                if (fd == null) {
                    lost.add(rc);
                } else {
                    adopted.put(rc.id(), adopt(rc, fd, restored, state));
                }
            }

            // Phase 2: the predecessor lets go (an upgrade), and this process owns the state directory.
            // (The predecessor is frozen from here on: this process serves at once and takes the state lock,
            // which the kernel releases the moment the predecessor is gone, before binding the control socket.)
            final boolean committed = predecessor != null;
            if (committed) {
                commitHandover(lock);
            }
            final Journal journal = Journal.start(dir, config.journalSync(), bootId, state);
            journal.append(new Record.Started(ProcessHandle.current().pid()));
            final DurabilityHook hook = new DurabilityHook(journal, c);
            int reanswered = 0;
            int resent = 0;
            int reparked = 0;
            int servedInFlight = 0;
            final Daemon d = new Daemon(config, device, c, session, waits, inflight, journal, hook, keeper);
            made = d;
            adoptedIds.addAll(adopted.keySet());
            synchronized (d.lock) {
                // Leftovers the keeper holds for connections nobody recorded: let them go.
                for (final Map.Entry<Long, Integer> e : fds.entrySet()) {
                    LOG.warn("the keeper held connection {} that the journal does not know; released", e.getKey());
                    keeper.drop(e.getKey());
                    Native.get().libc().close(e.getValue());
                }
                final Map<Long, Boolean> resendOn = new HashMap<>();
                for (final ServedConnection sc : adopted.values()) {
                    d.connections.put(sc.id(), sc);
                    if (!sc.cuse) {
                        d.mounts.put(sc.path, sc);
                    }
                    ValarmInstance cuseInstance = null;
                    for (final Restored r : restored.values()) {
                        if (r.rec.connection() == sc.id()) {
                            final InstanceSpec spec = spec(r.rec, state.connections().get(sc.id()));
                            final ServedInstance si = new ServedInstance(spec, r.instance, sc, r.rec.fuseNodeId());
                            d.instances.put(spec.name(), si);
                            sc.instances.add(spec.name());
                            cuseInstance = r.instance;
                        }
                    }
                    d.handler(sc, cuseInstance);
                    reanswered += reanswer(sc, state);
                    final boolean useResend = !clean && config.resend() == DaemonConfig.Resend.AUTO
                            && sc.connection.kernelMinor() >= FuseAbi.RESEND_MINOR;
                    boolean ok = false;
                    if (useResend) {
                        final int e = Channels.notifyResend(sc.connection.fd());
                        ok = e == 0;
                        if (ok) {
                            resent++;
                        } else {
                            LOG.warn("{}: the kernel refused FUSE_NOTIFY_RESEND ({}); recovering from the journal instead",
                                    sc, Native.get().describe(e));
                        }
                    }
                    if (!clean && !useResend) {
                        LOG.info("{}: {}: recovering the predecessor's requests from the journal and the in-flight "
                                + "record", sc, config.resend() == DaemonConfig.Resend.OFF ? "resend = off"
                                : "the kernel's protocol 7." + sc.connection.kernelMinor() + " has no FUSE_NOTIFY_RESEND "
                                        + "(7.40, Linux 6.9)");
                    }
                    resendOn.put(sc.id(), ok);
                    if (ok) {
                        // The kernel re-sends the blocked WAITs under new ids: the old ids are no one's now.
                        for (final Record.Parked p : new ArrayList<>(state.parked().values())) {
                            if (p.connection() == sc.id()) {
                                journal.append(new Record.Unparked(p.connection(), p.unique()));
                            }
                        }
                    } else {
                        reparked += repark(sc, state, waits);
                    }
                }
                // Connections whose fd is gone (no keeper, or it died): their open files died with them.
                int recreated = 0;
                for (final Record.Connection rc : lost) {
                    recreated += recreate(d, rc, restored, state);
                }
                // Config instances the journal does not know: new ones (and everything, on a fresh start).
                for (final InstanceSpec s : config.instances()) {
                    if (!d.instances.containsKey(s.name())) {
                        d.create(s);
                    }
                }
                for (final ServedInstance si : d.instances.values()) {
                    if (si.spec.origin() == InstanceSpec.Origin.CONFIG && config.instance(si.name()) == null) {
                        LOG.warn("instance {} is no longer in {}; it keeps serving {} until `valarm ctl destroy {}` or a "
                                + "reload", si.name(), config.file(), si.node(), si.name());
                    }
                }
                for (final ServedConnection sc : adopted.values()) {
                    session.attach(sc.connection);
                    if (unfinished != null && unfinished.connection() == sc.id() && !resendOn.get(sc.id())
                            && state.answer(sc.id(), unfinished.unique()) == null
                            && !state.parked().containsKey(new DurableState.Key(sc.id(), unfinished.unique()))) {
                        LOG.info("{}: serving {} request {} that the predecessor had read and not finished", sc,
                                FuseAbi.opcodeName(unfinished.opcode()), Long.toUnsignedString(unfinished.unique()));
                        session.serveBuffered(sc.connection);
                        servedInFlight++;
                    }
                }
                final long ms = (System.nanoTime() - t0) / 1_000_000;
                d.startInfo = new Daemon.StartInfo(how, predecessorPid, restored.size(), adopted.size(), recreated,
                        reanswered, resent, reparked, servedInFlight, ms);
            }
            final Daemon daemon = d;
            session.resume();
            if (committed) {
                waitForLock(lock);
            }
            LOG.info("valarm daemon pid {} serving {} instance(s) on {} connection(s) ({} start in {} ms: {} restored, "
                    + "{} connection(s) adopted, {} answer(s) written again, {} re-send(s) asked, {} WAIT(s) re-parked, {} "
                    + "in-flight request(s) served)", ProcessHandle.current().pid(), daemon.instances.size(),
                    daemon.connections.size(), how, daemon.startInfo.millis(), restored.size(), adopted.size(), reanswered,
                    resent, reparked, servedInFlight);
            return daemon;
        } catch (final RuntimeException | IOException e) {
            if (made != null) {
                synchronized (made.lock) {
                    made.rollback(adoptedIds);
                }
                made.journal.close();
            }
            if (session != null) {
                session.relinquishAll(); // never answer or close a connection we could not take: a successor may
            }
            if (device != null) {
                device.close();
            }
            if (predecessor != null) {
                abortHandover(e.toString());
            }
            if (e instanceof dev.valarm.daemon.ConfigException) {
                throw new StartException(2, e.getMessage(), e);
            }
            throw new StartException(1, "cannot start: " + e.getMessage(), e);
        }
    }

    private ValarmDevice openDevice() {
        if (!config.backend().equals("auto")) {
            System.setProperty(Valarm.BACKEND_PROPERTY, config.backend());
        }
        final ValarmDevice d = Valarm.openDefault(b -> b.threadName("valarm-dispatcher"));
        LOG.info("device on {}", d.describe());
        return d;
    }

    static String bootId() throws IOException {
        return Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).trim();
    }

    private KeeperClient keeper(final Path dir) throws IOException {
        if (config.keeper() == DaemonConfig.Keeper.OFF) {
            LOG.warn("keeper = off: the kernel connections die with this process (after a crash every open file of "
                    + "every client fails with ENOTCONN or ENODEV)");
            return null;
        }
        final KeeperClient k = new KeeperClient(config.keeperSocket());
        final long pid = k.ping();
        if (pid > 0) {
            LOG.info("keeper pid {} on {}", pid, config.keeperSocket());
            return k;
        }
        if (config.keeper() == DaemonConfig.Keeper.CONNECT) {
            throw new IOException("keeper = connect, but no keeper answers on " + config.keeperSocket());
        }
        k.spawn(dir.resolve("keeper.log"));
        return k;
    }

    // ------------------------------------------------------------------ instances

    private Map<String, Restored> restoreInstances(final ValarmDevice device, final DurableState state,
            final HostClocks clocks) {
        final Map<String, Restored> out = new LinkedHashMap<>();
        final long rtBtNow = clocks.nanos(dev.valarm.ClockBase.REALTIME) - clocks.nanos(dev.valarm.ClockBase.BOOTTIME);
        for (final Record.Instance ri : state.instances().values()) {
            final Record.State st = state.state(ri.minor());
            final InstanceSnapshot.Builder b = InstanceSnapshot.builder().minor(ri.minor()).name(ri.name())
                    .clocks(Timespec.ofNanos(0), Timespec.ofNanos(0), Timespec.ofNanos(0));
            long wall = ri.configWallOffset();
            if (st != null) {
                wall = st.wallOffset();
                int pending = st.pending();
                if (Math.abs(rtBtNow - st.realtimeMinusBoottime()) > CLOCK_CHANGE_NANOS) {
                    pending |= AlarmEvents.TIME_CHANGE_MASK;
                    LOG.info("{}: the host clock was set since its state was recorded ({} ms): time-change raised",
                            ri.name(), (rtBtNow - st.realtimeMinusBoottime()) / 1_000_000);
                }
                b.pendingEvents(AlarmEvents.of(pending));
                for (int t = 0; t < AlarmType.COUNT; t++) {
                    if ((st.armed() & (1 << t)) != 0) {
                        b.alarm(AlarmType.of(t), Timespec.ofNanos(st.times()[t]), Duration.ofNanos(st.windows()[t]));
                    }
                }
            }
            b.wallClockOffset(Duration.ofNanos(wall));
            try {
                final ValarmInstance in = DriverAccess.restoreExact(device, b.build(), wall, ri.boottimeOffset(),
                        ri.monotonicOffset());
                out.put(ri.name(), new Restored(ri, in));
            } catch (final ValarmException | IllegalArgumentException e) {
                LOG.error("cannot restore instance {} (minor {}): {}; it is dropped", ri.name(), ri.minor(), e.getMessage());
            }
        }
        return out;
    }

    /** A served connection over an fd the keeper kept, with its open files and owners put back. */
    private ServedConnection adopt(final Record.Connection rc, final int fd, final Map<String, Restored> restored,
            final DurableState state) {
        final Connection c = new Connection(fd, rc.cuse() ? Connection.Kind.CUSE : Connection.Kind.FUSE,
                (rc.cuse() ? "CUSE " : "FUSE ") + rc.path(), rc.protocolMinor());
        c.id(rc.id());
        c.kernelMinor(rc.kernelMinor());
        final FuseNodes nodes = rc.cuse() ? null : new FuseNodes();
        final Map<Integer, ValarmInstance> byMinor = new HashMap<>();
        for (final Restored r : restored.values()) {
            if (r.rec.connection() == rc.id()) {
                byMinor.put(r.rec.minor(), r.instance);
                if (nodes != null) {
                    nodes.adopt(r.rec.fuseNodeId(), r.instance, node(r.rec));
                }
            }
        }
        int files = 0;
        for (final Record.File f : state.files().values()) {
            if (f.connection() != rc.id()) {
                continue;
            }
            final ValarmInstance in = byMinor.get(f.minor());
            if (in == null) {
                continue; // its instance was destroyed: the kernel's file fails with EBADF until released
            }
            final AlarmHandle h = in.open(f.readWrite() ? OpenMode.READ_WRITE : OpenMode.READ_ONLY);
            c.files().adopt(f.fh(), h);
            files++;
            final Record.State st = state.state(f.minor());
            if (st != null && st.ownerConnection() == rc.id() && st.ownerFh() == f.fh()) {
                DriverAccess.claimOwnership(h);
            }
        }
        LOG.info("{}: taken back from the keeper with {} open file(s)", c, files);
        return new ServedConnection(c, rc.cuse(), Path.of(rc.path()), nodes, rc.major(), rc.minor(), rc.madeNode());
    }

    private static NodeSpec node(final Record.Instance r) {
        return NodeSpec.of(r.node()).owner(r.uid(), r.gid()).mode(r.mode());
    }

    private static InstanceSpec spec(final Record.Instance r, final Record.Connection rc) {
        return InstanceSpec.recorded(r.name(), r.fromConfig() ? InstanceSpec.Origin.CONFIG : InstanceSpec.Origin.CONTROL,
                node(r), rc.cuse() ? InstanceSpec.Transport.CUSE : InstanceSpec.Transport.FUSE,
                rc.cuse() ? null : Path.of(rc.path()), r.minor(), r.configWallOffset(), r.boottimeOffset(),
                r.monotonicOffset(), r.clocksFromPid());
    }

    /** Writes every recorded answer of the connection again; returns how many the kernel took. */
    private static int reanswer(final ServedConnection sc, final DurableState state) {
        int took = 0;
        for (final Record.Answer a : state.recentAnswers()) {
            if (a.connection() == sc.id() && Channels.writeRecorded(sc.connection.fd(), a.reply()) == 0) {
                took++;
                LOG.info("{}: request {} answered from the journal (the predecessor died before the kernel took its reply)",
                        sc, Long.toUnsignedString(a.unique()));
            }
        }
        return took;
    }

    /** Parks the journal's blocked WAITs of the connection again, under their request ids. */
    private static int repark(final ServedConnection sc, final DurableState state, final PendingWaits waits) {
        int n = 0;
        for (final Record.Parked p : new ArrayList<>(state.parked().values())) {
            if (p.connection() != sc.id()) {
                continue;
            }
            final AlarmHandle h = sc.connection.files().get(p.fh());
            if (h == null) {
                LOG.warn("{}: blocked WAIT {} belongs to a file that is gone; not re-parked", sc, p.unique());
                continue;
            }
            waits.park(sc.connection, p.unique(), p.fh(), h, p.cmd());
            n++;
        }
        return n;
    }

    /**
     * A connection whose fd is gone: its open files are gone too (an owner's among them cancels the
     * instance's alarms, as any release does); its instances get new nodes.
     */
    private int recreate(final Daemon d, final Record.Connection rc, final Map<String, Restored> restored,
            final DurableState state) {
        LOG.warn("{} {}: no kept fd (no keeper, or it was restarted): its open files are gone; serving its instances "
                + "on a new node", rc.cuse() ? "CUSE" : "FUSE", rc.path());
        if (!rc.cuse()) {
            try {
                Mounts.clearStale(Path.of(rc.path()), "take back " + rc.path());
            } catch (final RuntimeException e) {
                LOG.warn("{}: {}", rc.path(), e.getMessage());
            }
        }
        d.journal.append(new Record.ConnectionGone(rc.id()));
        int n = 0;
        for (final Restored r : restored.values()) {
            if (r.rec.connection() != rc.id()) {
                continue;
            }
            final Record.State st = state.state(r.rec.minor());
            if (st != null && st.ownerConnection() == rc.id()) {
                try (AlarmHandle h = r.instance.open(OpenMode.READ_WRITE)) {
                    DriverAccess.claimOwnership(h); // the owner's file is gone: its release cancels the alarms
                }
            }
            d.serve(spec(r.rec, rc), r.instance);
            n++;
        }
        return n;
    }

    // ------------------------------------------------------------------ hand-over from a live predecessor

    /**
     * Runs the code of a takeover once on the predecessor's current journal, before it parks, so that the
     * JVM has loaded and compiled it: the predecessor's callers then wait milliseconds, not the time a cold
     * JVM takes. Nothing of it is kept.
     */
    private void warmUp(final ValarmDevice device, final Path dir) {
        final long w0 = System.nanoTime();
        try {
            final Journal.Replay r = Journal.read(dir);
            if (r == null) {
                return;
            }
            r.state().records(new Record.Header(Record.Header.VERSION, "warm-up", 0, 0, 0));
            final Map<String, Restored> rs = restoreInstances(device, r.state(), LinuxHostClocks.open());
            for (final Restored x : rs.values()) {
                x.instance.close();
            }
            LOG.debug("takeover code warmed up in {} ms", (System.nanoTime() - w0) / 1_000_000);
        } catch (final IOException | RuntimeException e) {
            LOG.debug("warm-up skipped: {}", e.toString());
        }
    }

    private void prepareHandover() throws IOException {
        try {
            predecessor = ControlClient.connect(config.controlSocket());
        } catch (final IOException e) {
            throw new IOException("--takeover: " + e.getMessage(), e);
        }
        final Map<String, Object> r = predecessor.call(Map.of("cmd", "handover-prepare", "pid",
                ProcessHandle.current().pid()));
        if (!Boolean.TRUE.equals(r.get("ok"))) {
            predecessor.close();
            predecessor = null;
            throw new IOException("--takeover: the running daemon refused the hand-over: " + r.get("error"));
        }
        predecessorPid = ((Number) r.get("pid")).longValue();
        LOG.info("taking over from pid {} (parked at a request boundary, journal frozen)", predecessorPid);
    }

    private void commitHandover(final StateLock lock) throws IOException {
        // systemd must know the new main process before the old one exits (NotifyAccess=all).
        SdNotify.send("MAINPID=" + ProcessHandle.current().pid());
        final Map<String, Object> r;
        try {
            r = predecessor.call(Map.of("cmd", "handover-commit"));
        } catch (final IOException e) {
            // No reply: the predecessor either committed and is gone (then the state is this process's: it is
            // frozen at a request boundary, as after a clean stop), or it is alive and takes everything back
            // now that this connection failed. The state lock tells which.
            if (lock.lock(5_000)) {
                LOG.warn("the predecessor (pid {}) ended without answering the commit ({}); its state was frozen at a "
                        + "request boundary: taking over", predecessorPid, e.getMessage());
                return;
            }
            SdNotify.send("MAINPID=" + predecessorPid);
            throw new IOException("the predecessor did not answer the commit and still runs (it serves on): "
                    + e.getMessage(), e);
        }
        if (!Boolean.TRUE.equals(r.get("ok"))) {
            SdNotify.send("MAINPID=" + predecessorPid);
            throw new IOException("the predecessor did not commit the hand-over: " + Json.write(r));
        }
        LOG.info("pid {} committed the hand-over and exits", predecessorPid);
    }

    private void waitForLock(final StateLock lock) throws IOException {
        if (!lock.lock(30_000)) {
            throw new IOException("the state lock is still held (pid " + lock.holder() + ") 30 s after the commit");
        }
        try {
            predecessor.close();
        } catch (final IOException e) {
            LOG.debug("closing the hand-over connection: {}", e.toString());
        }
        predecessor = null;
    }

    private void abortHandover(final String why) {
        try {
            predecessor.call(Map.of("cmd", "handover-abort", "error", why));
            predecessor.close();
        } catch (final IOException e) {
            LOG.warn("telling the predecessor to resume failed: {} (it resumes when this connection closes)", e.toString());
        }
    }
}
