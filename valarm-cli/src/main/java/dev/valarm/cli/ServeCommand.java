package dev.valarm.cli;

import dev.valarm.daemon.ValarmDaemon;
import java.io.PrintStream;
import java.util.List;

/** {@code ./valarm serve --config FILE}: runs the daemon (see docs/operating.md). */
final class ServeCommand implements Command {

    @Override
    public String name() {
        return "serve";
    }

    @Override
    public String summary() {
        return "run the daemon: serve the config's instances to containers (CUSE/FUSE), with a control socket";
    }

    @Override
    public String usage() {
        return "usage: ./valarm serve --config FILE [--takeover]\n\n"
                + "Serves the instances of FILE through CUSE character devices or FUSE files, with a control\n"
                + "socket (./valarm ctl). Every change a client is told of is journaled first; a keeper process\n"
                + "holds the kernel connections, so the daemon can crash or be upgraded (./valarm ctl upgrade)\n"
                + "while clients are blocked in WAIT. Needs root. The format of FILE and the operator's guide are\n"
                + "in docs/operating.md.\n"
                + "  --takeover   take over from the daemon running on the same control socket (what\n"
                + "               ./valarm ctl upgrade starts)\n\n"
                + "Exit 0 after a stop, 1 if it could not serve, 2 for a bad config (naming file, line and\n"
                + "field) or bad arguments: nothing is served then.";
    }

    @Override
    public int run(final List<String> args, final PrintStream out, final PrintStream err) {
        return ValarmDaemon.serve(args, out, err);
    }
}
