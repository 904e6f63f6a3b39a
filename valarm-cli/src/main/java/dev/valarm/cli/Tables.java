package dev.valarm.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/** Human-readable renderings of the daemon's replies for {@code ./valarm ctl}. Stateless. */
final class Tables {
    private Tables() {
    }

    @SuppressWarnings("unchecked")
    static void print(final String cmd, final Map<String, Object> reply, final PrintStream out) {
        switch (cmd) {
            case "list": {
                final List<Map<String, Object>> l = (List<Map<String, Object>>) reply.get("instances");
                out.printf("%-16s %6s %-4s %-36s %-11s %4s %5s %7s %4s %7s%n", "NAME", "MINOR", "VIA", "NODE", "OWNER",
                        "MODE", "ARMED", "PENDING", "OPEN", "BLOCKED");
                for (final Map<String, Object> m : l) {
                    out.printf("%-16s %6s %-4s %-36s %-11s %4s %5s %7s %4s %7s%n", m.get("name"), m.get("minor"),
                            m.get("transport"), m.get("node"), m.get("owner") + ":" + m.get("group"), m.get("mode"),
                            mask(m.get("armed")), mask(m.get("pending")), m.get("open_files"), m.get("blocked_waits"));
                }
                out.println(l.size() + " instance(s)");
                return;
            }
            case "stats":
                tree((Map<String, Object>) reply.get("stats"), "", out);
                return;
            case "create":
            case "chmod":
            case "chown":
            case "restore":
            case "unshare": {
                final Map<String, Object> m = (Map<String, Object>) reply.get("instance");
                out.println(m.get("name") + ": " + m.get("transport") + " " + m.get("node") + " " + m.get("owner") + ":"
                        + m.get("group") + " " + m.get("mode") + " (minor " + m.get("minor") + ")");
                return;
            }
            case "snapshot":
                out.println(reply.get("snapshot"));
                return;
            case "upgrade":
                out.println("upgraded: pid " + reply.get("old_pid") + " handed over to pid " + reply.get("new_pid"));
                return;
            case "reload":
                tree((Map<String, Object>) reply.get("reload"), "", out);
                return;
            case "ping":
                out.println("valarm daemon pid " + reply.get("pid") + ", " + reply.get("instances") + " instance(s)");
                return;
            default:
                out.println("done");
        }
    }

    private static String mask(final Object v) {
        final int m = ((Number) v).intValue();
        return m == 0 ? "-" : "0x" + Integer.toHexString(m);
    }

    @SuppressWarnings("unchecked")
    private static void tree(final Map<String, Object> m, final String indent, final PrintStream out) {
        for (final Map.Entry<String, Object> e : m.entrySet()) {
            if (e.getValue() instanceof Map) {
                out.println(indent + e.getKey() + ":");
                tree((Map<String, Object>) e.getValue(), indent + "  ", out);
            } else {
                out.printf("%s%-24s %s%n", indent, e.getKey(), e.getValue());
            }
        }
    }
}
