package dev.valarm.cli;

import dev.valarm.daemon.ControlClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./valarm ctl [--socket PATH] [--json] COMMAND ...}: talks to a running daemon over its control
 * socket. Human tables by default; {@code --json} prints the daemon's reply as it came (one JSON object).
 */
final class CtlCommand implements Command {
    /** The default control socket. */
    static final String DEFAULT_SOCKET = "/run/valarm/control.sock";
    private static final Set<String> SPEC_OPTIONS = Set.of("--node", "--transport", "--mount", "--owner", "--group",
            "--mode", "--minor", "--wall-clock-offset", "--boottime-offset", "--monotonic-offset", "--clocks-from-pid");

    @Override
    public String name() {
        return "ctl";
    }

    @Override
    public String summary() {
        return "control a running daemon: list, create, destroy, chmod, stats, upgrade, ...";
    }

    @Override
    public String usage() {
        return "usage: ./valarm ctl [--socket PATH] [--json] COMMAND [ARGS]\n\n"
                + "commands:\n"
                + "  list                          the instances, their nodes and state\n"
                + "  stats                         the device's and the daemon's counters\n"
                + "  create NAME [OPTIONS]         create and serve an instance\n"
                + "  destroy NAME                  remove an instance and its node\n"
                + "  chmod NAME MODE               change a node's permission bits (octal)\n"
                + "  chown NAME OWNER[:GROUP]      change a node's owner (and group): ids or names\n"
                + "  snapshot NAME [--out FILE]    write the instance's snapshot (docs/migration.md; base64 on stdout)\n"
                + "  restore NAME --from FILE [OPTIONS] [--wall-clock follow-host|continue]\n"
                + "                                serve a snapshot as a new instance\n"
                + "  unshare PARENT NAME [OPTIONS] [--copy-alarms]\n"
                + "                                a child with the parent's clocks (offsets relative to it)\n"
                + "  reload                        re-read the config: add, change permissions, remove\n"
                + "  upgrade                       hand over to a new daemon process (no client notices)\n"
                + "  shutdown                      stop for good: ENODEV to blocked callers, nodes removed\n"
                + "  ping                          the daemon's pid\n"
                + "OPTIONS (as in the config file): --node N --transport cuse|fuse|auto --mount DIR --owner U\n"
                + "  --group G --mode 0664 --minor N --wall-clock-offset D --boottime-offset D --monotonic-offset D\n"
                + "  --clocks-from-pid PID   (durations such as -1h30m, 90s, 250ms)\n\n"
                + "The socket is --socket, else $VALARM_CONTROL_SOCKET, else " + DEFAULT_SOCKET + ".\n"
                + "Exit 0 on success, 1 if the daemon refused (the reason is printed) or cannot be reached,\n"
                + "2 for bad arguments.";
    }

    @Override
    public int run(final List<String> argsIn, final PrintStream out, final PrintStream err) {
        final List<String> args = new ArrayList<>(argsIn);
        String socket = null;
        boolean json = false;
        while (!args.isEmpty() && args.get(0).startsWith("--")) {
            final String o = args.remove(0);
            if (o.equals("--json")) {
                if (json) {
                    throw new UsageException("--json is given twice; give it once");
                }
                json = true;
            } else if (o.equals("--socket") && !args.isEmpty()) {
                if (socket != null) {
                    throw new UsageException("--socket is given twice (" + socket + " and " + args.get(0) + "); give it once");
                }
                socket = args.remove(0);
            } else {
                throw new UsageException("unknown option " + o);
            }
        }
        if (args.isEmpty()) {
            throw new UsageException("which command? (list, stats, create, destroy, chmod, chown, snapshot, restore, "
                    + "unshare, reload, upgrade, shutdown, ping)");
        }
        if (socket == null) {
            socket = System.getenv().getOrDefault("VALARM_CONTROL_SOCKET", DEFAULT_SOCKET);
        }
        final String cmd = args.remove(0);
        final Map<String, Object> req = new LinkedHashMap<>();
        String outFile = null;
        switch (cmd) {
            case "list":
            case "stats":
            case "reload":
            case "upgrade":
            case "shutdown":
            case "ping":
                noMore(cmd, args);
                req.put("cmd", cmd);
                break;
            case "create":
                req.put("cmd", "create");
                req.put("name", positional(cmd, args, "NAME"));
                options(cmd, args, req, SPEC_OPTIONS);
                break;
            case "destroy":
                req.put("cmd", "destroy");
                req.put("name", positional(cmd, args, "NAME"));
                noMore(cmd, args);
                break;
            case "chmod":
                req.put("cmd", "set-node");
                req.put("name", positional(cmd, args, "NAME"));
                req.put("mode", positional(cmd, args, "MODE"));
                noMore(cmd, args);
                break;
            case "chown": {
                req.put("cmd", "set-node");
                req.put("name", positional(cmd, args, "NAME"));
                final String og = positional(cmd, args, "OWNER[:GROUP]");
                final int colon = og.indexOf(':');
                req.put("owner", colon < 0 ? og : og.substring(0, colon));
                if (colon >= 0) {
                    req.put("group", og.substring(colon + 1));
                }
                noMore(cmd, args);
                break;
            }
            case "snapshot":
                req.put("cmd", "snapshot");
                req.put("name", positional(cmd, args, "NAME"));
                if (!args.isEmpty()) {
                    if (args.size() != 2 || !args.get(0).equals("--out")) {
                        throw new UsageException("snapshot NAME [--out FILE]: " + args);
                    }
                    outFile = args.get(1);
                    args.clear();
                }
                break;
            case "restore": {
                req.put("cmd", "restore");
                req.put("name", positional(cmd, args, "NAME"));
                final int from = args.indexOf("--from");
                if (from < 0 || from + 1 >= args.size()) {
                    throw new UsageException("restore needs --from FILE");
                }
                final Path f = Path.of(args.get(from + 1));
                args.remove(from + 1);
                args.remove(from);
                try {
                    final String text = Files.readString(f).trim();
                    req.put("snapshot", text.matches("[A-Za-z0-9+/=\\s]+") && !text.isEmpty() ? text.replaceAll("\\s", "")
                            : java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(f)));
                } catch (final java.nio.charset.MalformedInputException e) {
                    req.put("snapshot", readBase64(f));
                } catch (final IOException e) {
                    err.println("valarm ctl: cannot read " + f + ": " + e.getMessage());
                    return FAILED;
                }
                final Set<String> opts = new java.util.HashSet<>(SPEC_OPTIONS);
                opts.add("--wall-clock");
                options(cmd, args, req, opts);
                break;
            }
            case "unshare":
                req.put("cmd", "unshare");
                req.put("parent", positional(cmd, args, "PARENT"));
                req.put("name", positional(cmd, args, "NAME"));
                if (args.remove("--copy-alarms")) {
                    req.put("copy_alarms", true);
                }
                final Set<String> opts = new java.util.HashSet<>(SPEC_OPTIONS);
                opts.remove("--clocks-from-pid");
                options(cmd, args, req, opts);
                break;
            default:
                throw new UsageException("unknown command '" + cmd + "'");
        }
        final Map<String, Object> reply;
        String raw = null;
        // During an upgrade the socket is refused, or a connection to the old process ends without a reply, for
        // a moment (the old process answers nothing after it parked: EBUSY or nothing): try again for 10 s.
        final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(RETRY_SECONDS);
        IOException last = null;
        while (raw == null) {
            try (ControlClient c = ControlClient.connect(Path.of(socket))) {
                raw = c.callRaw(ControlClient.toJson(req));
            } catch (final IOException e) {
                last = e;
                if (!retryable(e) || System.nanoTime() - deadline > 0) {
                    err.println("valarm ctl: " + e.getMessage());
                    return FAILED;
                }
                try {
                    Thread.sleep(50);
                } catch (final InterruptedException x) {
                    Thread.currentThread().interrupt();
                    err.println("valarm ctl: interrupted; last error: " + last.getMessage());
                    return FAILED;
                }
            }
        }
        reply = ControlClient.parse(raw);
        final boolean ok = Boolean.TRUE.equals(reply.get("ok"));
        if (json) {
            out.println(raw);
            return ok ? OK : FAILED;
        }
        if (!ok) {
            err.println("valarm ctl " + cmd + ": " + reply.get("error") + " (" + reply.get("errno") + ")");
            return FAILED;
        }
        if (outFile != null) {
            try {
                Files.write(Path.of(outFile), java.util.Base64.getDecoder().decode((String) reply.get("snapshot")));
            } catch (final IOException e) {
                err.println("valarm ctl: cannot write " + outFile + ": " + e.getMessage());
                return FAILED;
            }
            out.println("wrote the snapshot of " + req.get("name") + " to " + outFile);
            return OK;
        }
        Tables.print(cmd, reply, out);
        return OK;
    }

    /** How long ctl tries again while the daemon is being upgraded. */
    private static final long RETRY_SECONDS = 10;

    /** A refused connection or a connection closed without a reply: the daemon is changing hands. */
    private static boolean retryable(final IOException e) {
        final String m = String.valueOf(e.getMessage());
        return m.contains("Connection refused") || m.contains("Connection reset") || m.contains("Broken pipe")
                || m.contains("without a reply");
    }

    private static String readBase64(final Path f) {
        try {
            return java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(f));
        } catch (final IOException e) {
            throw new UsageException("cannot read " + f + ": " + e.getMessage());
        }
    }

    private static String positional(final String cmd, final List<String> args, final String what) {
        if (args.isEmpty() || args.get(0).startsWith("--")) {
            throw new UsageException(cmd + " needs " + what);
        }
        return args.remove(0);
    }

    private static void noMore(final String cmd, final List<String> args) {
        if (!args.isEmpty()) {
            throw new UsageException(cmd + " takes no more arguments: " + args);
        }
    }

    private static void options(final String cmd, final List<String> args, final Map<String, Object> req,
            final Set<String> allowed) {
        while (!args.isEmpty()) {
            final String o = args.remove(0);
            if (!allowed.contains(o)) {
                throw new UsageException(cmd + ": unknown option " + o + " (allowed: " + new java.util.TreeSet<>(allowed) + ")");
            }
            if (args.isEmpty()) {
                throw new UsageException(o + " needs a value");
            }
            final Object before = req.putIfAbsent(o.substring(2).replace('-', '_'), args.get(0));
            if (before != null) {
                throw new UsageException(o + " is given twice (" + before + " and " + args.get(0) + "); give it once");
            }
            args.remove(0);
        }
    }
}
