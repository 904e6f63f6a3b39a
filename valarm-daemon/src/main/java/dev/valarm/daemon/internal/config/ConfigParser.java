package dev.valarm.daemon.internal.config;

import dev.valarm.daemon.ConfigException;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the daemon's config file: a small line format, checked completely before anything is served.
 *
 * <pre>
 * # global settings first
 * state-dir = /run/valarm
 * control-mode = 0600
 *
 * [instance c1]
 * transport = cuse
 * node = alarm-c1
 * owner = 1000
 * group = 1001
 * mode = 0664
 * wall-clock-offset = -1h
 * </pre>
 *
 * Lines are {@code key = value}, a section header {@code [instance NAME]}, a comment (first non-blank
 * character {@code #}) or blank. Every error names the file, the line and the field, with the value.
 *
 * <p>Thread-safety: stateless.
 */
public final class ConfigParser {
    private static final Pattern SECTION = Pattern.compile("\\[\\s*instance\\s+(\\S+)\\s*\\]");
    private static final Pattern KEY_VALUE = Pattern.compile("([a-z][a-z0-9-]*)\\s*=(.*)");

    /** The global keys, with what each holds. */
    public static final Map<String, String> GLOBAL_KEYS = globalKeys();

    private ConfigParser() {
    }

    private static Map<String, String> globalKeys() {
        final Map<String, String> m = new LinkedHashMap<>();
        m.put("state-dir", "the journal, in-flight record, lock and sockets; default /run/valarm");
        m.put("control-socket", "the control socket; default STATE-DIR/control.sock");
        m.put("control-mode", "the control socket's permission bits, octal; default 0600");
        m.put("control-users", "users allowed on the control socket besides root, comma-separated uids or names");
        m.put("control-groups", "groups (the peer's primary group) allowed, comma-separated gids or names");
        m.put("keeper", "spawn (default), connect (a keeper started elsewhere) or off");
        m.put("keeper-socket", "the keeper's socket; default STATE-DIR/keeper.sock");
        m.put("resend", "auto (default: re-send a dead predecessor's requests where the kernel can) or off");
        m.put("journal-sync", "none (default: write(2), survives any crash of the process) or data (fdatasync)");
        m.put("dev-dir", "where CUSE nodes appear; default /dev");
        m.put("cuse-major", "auto (default: one free local major for all devices), 0 (dynamic) or a number");
        m.put("backend", "auto (default: the probe rules) or a provider name (linux, jdk)");
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * Parses and checks a config file.
     *
     * @param file the file
     * @param cuseAvailable whether the kernel has CUSE (for {@code transport} checks)
     * @param proc the proc file system (for {@code clocks-from-pid})
     * @return the config
     * @throws ConfigException naming the file, line and field of the first problem
     */
    public static DaemonConfig parse(final Path file, final boolean cuseAvailable, final Path proc) {
        final List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (final MalformedInputException e) {
            throw new ConfigException(file, 0, null, "not UTF-8 text");
        } catch (final IOException e) {
            throw new ConfigException(file, 0, null, "cannot read the config: " + e.getMessage());
        }
        return parse(file, lines, cuseAvailable, proc);
    }

    /**
     * Parses and checks config lines.
     *
     * @param file the file name for messages
     * @param lines the lines
     * @param cuseAvailable whether the kernel has CUSE
     * @param proc the proc file system
     * @return the config
     * @throws ConfigException naming the file, line and field of the first problem
     */
    public static DaemonConfig parse(final Path file, final List<String> lines, final boolean cuseAvailable,
            final Path proc) {
        final Map<String, String> global = new HashMap<>();
        final Map<String, Integer> globalLine = new HashMap<>();
        final List<InstanceSpec.Builder> builders = new ArrayList<>();
        final Map<String, Integer> names = new HashMap<>();
        InstanceSpec.Builder current = null;
        for (int i = 0; i < lines.size(); i++) {
            final int no = i + 1;
            final String raw = lines.get(i);
            final String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[")) {
                final Matcher m = SECTION.matcher(line);
                if (!m.matches()) {
                    throw new ConfigException(file, no, null, "a section header must be [instance NAME]: \"" + line + "\"");
                }
                final String name = m.group(1);
                final Integer before = names.putIfAbsent(name, no);
                if (before != null) {
                    throw new ConfigException(file, no, "instance", "instance \"" + name + "\" is defined twice (first on line "
                            + before + ")");
                }
                current = InstanceSpec.builder(name, InstanceSpec.Origin.CONFIG, file, no);
                builders.add(current);
                continue;
            }
            final Matcher kv = KEY_VALUE.matcher(line);
            if (!kv.matches()) {
                throw new ConfigException(file, no, null, "expected key = value, [instance NAME], a comment or a blank line: \""
                        + line + "\"");
            }
            final String key = kv.group(1);
            final String value = kv.group(2).strip();
            if (value.isEmpty() && !key.equals("control-users") && !key.equals("control-groups")) {
                throw new ConfigException(file, no, key, "no value");
            }
            if (current != null) {
                current.set(key, value, no);
            } else {
                if (!GLOBAL_KEYS.containsKey(key)) {
                    throw new ConfigException(file, no, key, InstanceSpec.KEYS.containsKey(key)
                            ? "an instance field outside an [instance NAME] section"
                            : "unknown setting (known: " + String.join(", ", GLOBAL_KEYS.keySet()) + ")");
                }
                final Integer before = globalLine.putIfAbsent(key, no);
                if (before != null) {
                    throw new ConfigException(file, no, key, "given twice (first on line " + before + ")");
                }
                global.put(key, value);
            }
        }
        final Globals g = new Globals(file, global, globalLine);
        final DaemonConfig base = g.build();
        final List<InstanceSpec> specs = new ArrayList<>();
        for (final InstanceSpec.Builder b : builders) {
            specs.add(b.build(cuseAvailable, proc));
        }
        checkUnique(file, specs);
        return new DaemonConfig(file, base.stateDir(), base.controlSocket(), base.controlMode(), base.controlUsers(),
                base.controlGroups(), base.keeper(), base.keeperSocket(), base.resend(), base.journalSync(), base.devDir(),
                base.cuseMajor(), base.backend(), List.copyOf(specs));
    }

    /** No two instances with one node, no two with one minor. */
    private static void checkUnique(final Path file, final List<InstanceSpec> specs) {
        final Map<String, InstanceSpec> nodes = new HashMap<>();
        final Map<Integer, InstanceSpec> minors = new HashMap<>();
        for (final InstanceSpec s : specs) {
            final String where = s.transport() == InstanceSpec.Transport.CUSE ? "/dev/" + s.node().name()
                    : s.mount().resolve(s.node().name()).toString();
            final InstanceSpec other = nodes.putIfAbsent(where, s);
            if (other != null) {
                throw new ConfigException(file, s.line(), "node", "instances " + other.name() + " (line " + other.line()
                        + ") and " + s.name() + " both serve " + where);
            }
            if (s.minor() >= 0) {
                final InstanceSpec m = minors.putIfAbsent(s.minor(), s);
                if (m != null) {
                    throw new ConfigException(file, s.line(), "minor", "instances " + m.name() + " (line " + m.line() + ") and "
                            + s.name() + " both ask for minor " + s.minor());
                }
            }
        }
    }

    /** The global settings with their defaults. */
    private static final class Globals {
        private final Path file;
        private final Map<String, String> v;
        private final Map<String, Integer> at;

        Globals(final Path file, final Map<String, String> v, final Map<String, Integer> at) {
            this.file = file;
            this.v = v;
            this.at = at;
        }

        private ConfigException bad(final String key, final String message) {
            return new ConfigException(file, at.getOrDefault(key, 0), key, message);
        }

        private Path path(final String key, final Path dflt) {
            final String s = v.get(key);
            if (s == null) {
                return dflt;
            }
            final Path p = Path.of(s);
            if (!p.isAbsolute()) {
                throw bad(key, "must be an absolute path: \"" + s + "\"");
            }
            return p.normalize();
        }

        private <E extends Enum<E>> E choice(final String key, final Class<E> type, final E dflt) {
            final String s = v.get(key);
            if (s == null) {
                return dflt;
            }
            for (final E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(s)) {
                    return e;
                }
            }
            throw bad(key, "must be one of " + java.util.Arrays.stream(type.getEnumConstants())
                    .map(e -> e.name().toLowerCase(java.util.Locale.ROOT)).toList() + ": \"" + s + "\"");
        }

        private Set<Integer> ids(final String key, final boolean users) {
            final Set<Integer> out = new LinkedHashSet<>();
            final String s = v.get(key);
            if (s == null || s.isBlank()) {
                return Set.of();
            }
            for (final String part : s.split(",")) {
                if (part.isBlank()) {
                    continue;
                }
                try {
                    out.add(users ? Ids.uid(part) : Ids.gid(part));
                } catch (final IllegalArgumentException e) {
                    throw bad(key, e.getMessage());
                }
            }
            return Set.copyOf(out);
        }

        DaemonConfig build() {
            final Path state = path("state-dir", Path.of("/run/valarm"));
            final Path control = path("control-socket", state.resolve("control.sock"));
            final int mode;
            final String m = v.getOrDefault("control-mode", "0600");
            if (!m.matches("0?[0-7]{1,3}")) {
                throw bad("control-mode", "must be octal permission bits in [0, 0777] (e.g. 0600): \"" + m + "\"");
            }
            mode = Integer.parseInt(m, 8);
            final int major;
            final String cm = v.getOrDefault("cuse-major", "auto");
            if (cm.equals("auto")) {
                major = -1;
            } else {
                try {
                    major = Integer.parseInt(cm);
                } catch (final NumberFormatException e) {
                    throw bad("cuse-major", "must be auto, 0 or a major in [1, 4095]: \"" + cm + "\"");
                }
                if (major < 0 || major > 4095) {
                    throw bad("cuse-major", "must be auto, 0 or a major in [1, 4095]: \"" + cm + "\"");
                }
            }
            final String backend = v.getOrDefault("backend", "auto");
            if (!backend.matches("[a-z][a-z0-9-]*")) {
                throw bad("backend", "must be auto or a provider name such as linux or jdk: \"" + backend + "\"");
            }
            if (control.getFileName().toString().length() > 0 && control.toString().length() > 107) {
                throw bad(v.containsKey("control-socket") ? "control-socket" : "state-dir",
                        "a unix socket path must be shorter than 108 bytes: " + control);
            }
            final Path keeperSocket = path("keeper-socket", state.resolve("keeper.sock"));
            if (keeperSocket.toString().length() > 107) {
                throw bad(v.containsKey("keeper-socket") ? "keeper-socket" : "state-dir",
                        "a unix socket path must be shorter than 108 bytes: " + keeperSocket);
            }
            final Path dev = path("dev-dir", Path.of("/dev"));
            return new DaemonConfig(file, state, control, mode, ids("control-users", true), ids("control-groups", false),
                    choice("keeper", DaemonConfig.Keeper.class, DaemonConfig.Keeper.SPAWN), keeperSocket,
                    choice("resend", DaemonConfig.Resend.class, DaemonConfig.Resend.AUTO),
                    choice("journal-sync", DaemonConfig.Sync.class, DaemonConfig.Sync.NONE), dev, major, backend, List.of());
        }
    }
}
