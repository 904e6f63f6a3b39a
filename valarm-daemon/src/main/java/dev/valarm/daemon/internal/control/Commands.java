package dev.valarm.daemon.internal.control;

import dev.valarm.Errno;
import dev.valarm.daemon.ConfigException;
import dev.valarm.daemon.internal.config.ConfigParser;
import dev.valarm.daemon.internal.config.DaemonConfig;
import dev.valarm.daemon.internal.config.Ids;
import dev.valarm.daemon.internal.config.InstanceSpec;
import dev.valarm.daemon.internal.serve.Daemon;
import dev.valarm.daemon.internal.serve.Handover;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control protocol's commands: a request is a JSON object with {@code cmd} and the command's fields; a
 * reply is {@code {"ok":true,...}} or {@code {"ok":false,"errno":"ENOENT","error":"..."}}. A malformed
 * request (not JSON, an unknown command, a missing, unknown or ill-typed field, a bad value) gets an
 * {@code EINVAL} reply naming the problem and changes nothing; every command checks everything before it
 * changes anything.
 *
 * <p>Thread-safety: thread-safe; the daemon serialises the commands that change state.
 */
public final class Commands {
    private static final Logger LOG = LoggerFactory.getLogger(Commands.class);
    private static final Set<String> NODE_FIELDS = Set.of("node", "transport", "mount", "owner", "group", "mode", "minor");
    private static final Set<String> CLOCK_FIELDS = Set.of("wall_clock_offset", "boottime_offset", "monotonic_offset",
            "clocks_from_pid");
    private static final Map<String, Set<String>> FIELDS = fields();

    private final Daemon daemon;
    private final Handover handover;
    private final Path configFile;
    private final Runnable stopped;

    /**
     * The commands of a daemon.
     *
     * @param daemon the daemon
     * @param handover its hand-over
     * @param configFile the config file (for {@code reload})
     * @param stopped run after a {@code shutdown} (ends the process)
     */
    public Commands(final Daemon daemon, final Handover handover, final Path configFile, final Runnable stopped) {
        this.daemon = daemon;
        this.handover = handover;
        this.configFile = configFile;
        this.stopped = stopped;
    }

    private static Map<String, Set<String>> fields() {
        final Map<String, Set<String>> m = new LinkedHashMap<>();
        final Set<String> create = new java.util.HashSet<>(NODE_FIELDS);
        create.add("name");
        create.addAll(CLOCK_FIELDS);
        m.put("ping", Set.of());
        m.put("list", Set.of());
        m.put("stats", Set.of());
        m.put("create", Set.copyOf(create));
        m.put("destroy", Set.of("name"));
        m.put("set-node", Set.of("name", "owner", "group", "mode"));
        m.put("snapshot", Set.of("name"));
        final Set<String> restore = new java.util.HashSet<>(NODE_FIELDS);
        restore.addAll(Set.of("name", "snapshot", "wall_clock"));
        m.put("restore", Set.copyOf(restore));
        final Set<String> unshare = new java.util.HashSet<>(create);
        unshare.addAll(Set.of("parent", "copy_alarms"));
        unshare.remove("clocks_from_pid");
        m.put("unshare", Set.copyOf(unshare));
        m.put("reload", Set.of());
        m.put("upgrade", Set.of());
        m.put("shutdown", Set.of());
        m.put("handover-prepare", Set.of("pid"));
        m.put("handover-commit", Set.of());
        m.put("handover-abort", Set.of("error"));
        return java.util.Collections.unmodifiableMap(m);
    }

    /** A reply, and what to do once it is written. */
    public record Reply(Map<String, Object> body, Runnable after) {
    }

    /**
     * An error reply.
     *
     * @param errno the errno that names the refusal
     * @param message what and why, naming the value
     * @return the reply object
     */
    public static Map<String, Object> error(final int errno, final String message) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", false);
        m.put("errno", Errno.name(errno));
        m.put("error", message);
        return m;
    }

    private static Map<String, Object> ok() {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", true);
        return m;
    }

    /** A malformed request. */
    private static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(final String message) {
            super(message);
        }
    }

    /**
     * The state of one control connection.
     *
     * @return a new session
     */
    public Session session() {
        return new Session();
    }

    /** One control connection: which hand-over it began, so that its end aborts an uncommitted one. */
    public final class Session {
        private boolean handingOver;

        private Session() {
        }

        /**
         * Answers one request line.
         *
         * @param line the request
         * @param peer who sent it, for the log
         * @return the reply
         */
        public Reply handle(final String line, final String peer) {
            final Map<String, Object> req;
            try {
                req = Json.parseObject(line);
            } catch (final Json.JsonException e) {
                return new Reply(error(Errno.EINVAL, "malformed request (" + e.getMessage() + "): nothing changed"), null);
            }
            final Object cmd = req.get("cmd");
            try {
                if (!(cmd instanceof String)) {
                    throw new Malformed("a request needs \"cmd\", a string (one of " + String.join(", ", FIELDS.keySet()) + ")");
                }
                final Set<String> allowed = FIELDS.get(cmd);
                if (allowed == null) {
                    throw new Malformed("unknown command \"" + cmd + "\" (known: " + String.join(", ", FIELDS.keySet()) + ")");
                }
                for (final String k : req.keySet()) {
                    if (!k.equals("cmd") && !allowed.contains(k)) {
                        throw new Malformed("unknown field \"" + k + "\" for " + cmd + " (allowed: "
                                + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
                    }
                }
                final Reply r = run((String) cmd, req);
                if (!((String) cmd).equals("ping") && !((String) cmd).equals("list") && !((String) cmd).equals("stats")) {
                    LOG.info("control: {} by {}: {}", cmd, peer, Boolean.TRUE.equals(r.body().get("ok")) ? "done"
                            : r.body().get("error"));
                }
                return r;
            } catch (final Malformed e) {
                return new Reply(error(Errno.EINVAL, "malformed request: " + e.getMessage() + "; nothing changed"), null);
            } catch (final ConfigException e) {
                return new Reply(error(Errno.EINVAL, e.getMessage() + "; nothing changed"), null);
            } catch (final Daemon.CommandException e) {
                return new Reply(error(e.errno(), e.getMessage()), null);
            } catch (final dev.valarm.ValarmException e) {
                return new Reply(error(e.errno(), e.getMessage()), null);
            } catch (final RuntimeException e) {
                LOG.error("control: {} failed: {}", cmd, e.toString(), e);
                return new Reply(error(Errno.EIO, cmd + " failed: " + e), null);
            }
        }

        /** The connection ended. */
        public void closed() {
            if (handingOver) {
                handover.abort("the successor's control connection closed before the commit");
            }
        }

        private Reply run(final String cmd, final Map<String, Object> req) {
            final Map<String, Object> r = ok();
            switch (cmd) {
                case "ping":
                    r.put("pid", ProcessHandle.current().pid());
                    r.put("instances", daemon.names().size());
                    return new Reply(r, null);
                case "list":
                    r.put("instances", daemon.list());
                    return new Reply(r, null);
                case "stats":
                    r.put("stats", daemon.stats());
                    return new Reply(r, null);
                case "create":
                    r.put("instance", daemon.create(spec(req, false)));
                    return new Reply(r, null);
                case "destroy":
                    daemon.destroy(string(req, "name", true));
                    return new Reply(r, null);
                case "set-node": {
                    final String name = string(req, "name", true);
                    final int uid = req.containsKey("owner") ? id(req, "owner", true) : -1;
                    final int gid = req.containsKey("group") ? id(req, "group", false) : -1;
                    final int mode = req.containsKey("mode") ? mode(req) : -1;
                    if (uid < 0 && gid < 0 && mode < 0) {
                        throw new Malformed("set-node needs owner, group or mode");
                    }
                    r.put("instance", daemon.setNode(name, uid, gid, mode));
                    return new Reply(r, null);
                }
                case "snapshot":
                    r.put("snapshot", Base64.getEncoder().encodeToString(daemon.snapshot(string(req, "name", true))));
                    return new Reply(r, null);
                case "restore": {
                    final byte[] bytes;
                    try {
                        bytes = Base64.getDecoder().decode(string(req, "snapshot", true));
                    } catch (final IllegalArgumentException e) {
                        throw new Malformed("snapshot must be base64: " + e.getMessage());
                    }
                    final String wall = req.containsKey("wall_clock") ? string(req, "wall_clock", true) : "follow-host";
                    if (!wall.equals("follow-host") && !wall.equals("continue")) {
                        throw new Malformed("wall_clock must be follow-host or continue: \"" + wall + "\"");
                    }
                    r.put("instance", daemon.restore(bytes, spec(req, false), wall.equals("continue")));
                    return new Reply(r, null);
                }
                case "unshare":
                    r.put("instance", daemon.unshare(string(req, "parent", true), spec(req, true),
                            bool(req, "copy_alarms")));
                    return new Reply(r, null);
                case "reload": {
                    final DaemonConfig fresh = ConfigParser.parse(configFile, Files.exists(Path.of("/dev/cuse")),
                            Path.of("/proc"));
                    r.put("reload", daemon.reload(fresh));
                    return new Reply(r, null);
                }
                case "upgrade":
                    r.putAll(handover.upgrade());
                    return new Reply(r, handover::upgradeReplied);
                case "shutdown":
                    if (!handover.markShutdown()) {
                        throw new Daemon.CommandException(Errno.EBUSY, "shutdown: a hand-over or a stop is under way");
                    }
                    return new Reply(r, () -> {
                        daemon.shutdown();
                        stopped.run();
                    });
                case "handover-prepare": {
                    final long pid = number(req, "pid");
                    r.putAll(handover.prepare(pid));
                    handingOver = true;
                    return new Reply(r, null);
                }
                case "handover-commit":
                    handover.commit();
                    handingOver = false;
                    return new Reply(r, handover::exitAfterCommit);
                default: // handover-abort
                    handingOver = false;
                    handover.abort(req.containsKey("error") ? String.valueOf(req.get("error")) : "the successor gave up");
                    return new Reply(r, null);
            }
        }
    }

    private static String string(final Map<String, Object> req, final String key, final boolean required) {
        final Object v = req.get(key);
        if (v == null) {
            if (required) {
                throw new Malformed("missing field \"" + key + "\"");
            }
            return null;
        }
        if (!(v instanceof String)) {
            throw new Malformed("field \"" + key + "\" must be a string: " + Json.write(v));
        }
        return (String) v;
    }

    private static long number(final Map<String, Object> req, final String key) {
        final Object v = req.get(key);
        if (!(v instanceof Long)) {
            throw new Malformed("field \"" + key + "\" must be an integer: " + (v == null ? "missing" : Json.write(v)));
        }
        return (Long) v;
    }

    private static boolean bool(final Map<String, Object> req, final String key) {
        final Object v = req.get(key);
        if (v == null) {
            return false;
        }
        if (!(v instanceof Boolean)) {
            throw new Malformed("field \"" + key + "\" must be true or false: " + Json.write(v));
        }
        return (Boolean) v;
    }

    private static int id(final Map<String, Object> req, final String key, final boolean user) {
        final Object v = req.get(key);
        final String s = v instanceof Long ? Long.toString((Long) v) : v instanceof String ? (String) v : null;
        if (s == null) {
            throw new Malformed("field \"" + key + "\" must be an id or a name: " + Json.write(v));
        }
        try {
            return user ? Ids.uid(s) : Ids.gid(s);
        } catch (final IllegalArgumentException e) {
            throw new ConfigException(null, 0, key, e.getMessage());
        }
    }

    private static int mode(final Map<String, Object> req) {
        final String s = string(req, "mode", true);
        if (!s.matches("0?[0-7]{1,3}")) {
            throw new ConfigException(null, 0, "mode", "must be octal permission bits in [0, 0777] (e.g. \"0664\"): \"" + s
                    + "\"");
        }
        return Integer.parseInt(s, 8);
    }

    /** An instance spec from a request's fields, by the config file's rules. */
    private static InstanceSpec spec(final Map<String, Object> req, final boolean relativeClocks) {
        final String name = string(req, "name", true);
        final InstanceSpec.Builder b = InstanceSpec.builder(name, InstanceSpec.Origin.CONTROL, null, 0);
        for (final String k : List.of("node", "transport", "mount", "owner", "group", "mode", "minor", "wall_clock_offset",
                "boottime_offset", "monotonic_offset", "clocks_from_pid")) {
            final Object v = req.get(k);
            if (v == null) {
                continue;
            }
            final String text;
            if (v instanceof String) {
                text = (String) v;
            } else if (v instanceof Long && (k.equals("owner") || k.equals("group") || k.equals("minor")
                    || k.equals("clocks_from_pid"))) {
                text = Long.toString((Long) v);
            } else {
                throw new Malformed("field \"" + k + "\" must be a string" + (k.equals("mode") ? " of octal digits such as "
                        + "\"0664\"" : k.endsWith("offset") ? " duration such as \"-1h30m\"" : "") + ": " + Json.write(v));
            }
            b.set(k.replace('_', '-'), text, 0);
        }
        if (relativeClocks && req.containsKey("clocks_from_pid")) {
            throw new Malformed("unshare takes offsets relative to the parent, not clocks_from_pid");
        }
        return b.build(Files.exists(Path.of("/dev/cuse")), Path.of("/proc"));
    }
}
