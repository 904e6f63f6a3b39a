package dev.valarm.daemon;

import dev.valarm.daemon.internal.config.ConfigParser;
import dev.valarm.daemon.internal.config.DaemonConfig;
import dev.valarm.daemon.internal.control.Commands;
import dev.valarm.daemon.internal.control.ControlServer;
import dev.valarm.daemon.internal.serve.Daemon;
import dev.valarm.daemon.internal.serve.Handover;
import dev.valarm.daemon.internal.serve.Startup;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The valarm daemon: serves the instances of a config file to the processes of containers, through CUSE
 * character devices or FUSE files, with a control socket for creating and changing instances at run time.
 * Every change a caller is told of is in a journal first; a keeper process holds the kernel connections, so
 * the daemon can be killed or upgraded while callers are blocked in WAIT and they notice only a delay.
 * See {@code docs/daemon.md} (design) and {@code docs/operating.md} (operator guide).
 *
 * <pre>
 * ./valarm serve --config /etc/valarm/daemon.conf [--takeover]
 * java -cp ... dev.valarm.daemon.ValarmDaemon serve --config FILE [--takeover]
 * java -cp ... dev.valarm.daemon.ValarmDaemon keeper --socket PATH      (the keeper process, for a unit)
 * java -p ... -m dev.valarm.daemon/dev.valarm.daemon.ValarmDaemon serve --config FILE   (as a module)
 * </pre>
 *
 * A keeper the daemon starts itself ({@code keeper = spawn}) runs the way the daemon does: from the same class
 * path, or as the module from the same module path.
 *
 * Exit status: 0 after a stop, 1 if it could not serve (another daemon serves the state directory, a node
 * could not be made, ...), 2 for a bad config or bad arguments (nothing is served).
 *
 * <p>Thread-safety: {@link #serve} blocks its caller until the daemon stops.
 */
public final class ValarmDaemon {
    private static final Logger LOG = LoggerFactory.getLogger(ValarmDaemon.class);
    /** The line printed on standard output once the daemon serves. */
    public static final String READY = "valarm daemon ready";

    private ValarmDaemon() {
    }

    /**
     * {@code serve --config FILE [--takeover]}.
     *
     * @param args the arguments
     */
    public static void main(final String[] args) {
        final List<String> a = new ArrayList<>(List.of(args));
        if (!a.isEmpty() && a.get(0).equals("keeper")) {
            dev.valarm.daemon.internal.keeper.Keeper.main(a.subList(1, a.size()).toArray(new String[0]));
            return;
        }
        if (a.isEmpty() || !a.get(0).equals("serve")) {
            System.err.println("usage: ValarmDaemon serve --config FILE [--takeover] | keeper --socket PATH");
            System.exit(2);
        }
        int status;
        try {
            status = serve(a.subList(1, a.size()), System.out, System.err);
        } catch (final RuntimeException | Error e) {
            LOG.error("the daemon failed: {}", e.toString(), e);
            status = 1;
        }
        System.exit(status);
    }

    /**
     * Runs the daemon until it stops.
     *
     * @param args {@code --config FILE [--takeover]}
     * @param out where the ready line goes
     * @param err where errors go
     * @return the exit status (0, 1 or 2)
     */
    public static int serve(final List<String> args, final PrintStream out, final PrintStream err) {
        Path file = null;
        boolean takeover = false;
        for (int i = 0; i < args.size(); i++) {
            final String s = args.get(i);
            if (s.equals("--config") && i + 1 < args.size()) {
                if (file != null) {
                    err.println("valarm serve: --config is given twice (" + file + " and " + args.get(i + 1)
                            + "); give it once");
                    return 2;
                }
                file = Path.of(args.get(++i));
            } else if (s.equals("--takeover")) {
                if (takeover) {
                    err.println("valarm serve: --takeover is given twice; give it once");
                    return 2;
                }
                takeover = true;
            } else {
                err.println("valarm serve: unknown argument '" + s + "' (usage: serve --config FILE [--takeover])");
                return 2;
            }
        }
        if (file == null) {
            err.println("valarm serve: --config FILE is required");
            return 2;
        }
        final DaemonConfig config;
        try {
            config = ConfigParser.parse(file.toAbsolutePath(), Files.exists(Path.of("/dev/cuse")), Path.of("/proc"));
        } catch (final ConfigException e) {
            err.println("valarm serve: " + e.getMessage());
            return 2;
        }
        final Daemon daemon;
        try {
            daemon = Startup.start(config, takeover);
        } catch (final Startup.StartException e) {
            err.println("valarm serve: " + e.getMessage());
            if (e.getCause() != null && e.status() == 1) {
                LOG.debug("start failed", e.getCause());
            }
            return e.status();
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        final Handover handover = new Handover(daemon);
        final ControlServer control = new ControlServer(config, new Commands(daemon, handover, config.file(),
                stopped::countDown));
        try {
            control.start();
        } catch (final IOException e) {
            err.println("valarm serve: " + e.getMessage());
            handover.stopKeepingConnections();
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (stopped.getCount() > 0 && handover.stopKeepingConnections()) {
                control.close();
            }
        }, "valarm-stop"));
        daemon.ready();
        out.println(READY + ": pid " + ProcessHandle.current().pid() + ", " + daemon.names().size() + " instance(s), control "
                + config.controlSocket());
        out.flush();
        try {
            stopped.await();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        control.close();
        return 0;
    }
}
