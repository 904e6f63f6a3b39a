package dev.valarm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * {@code ./valarm COMMAND [ARGS]}: the valarm command line. Exit codes: 0 success, 1 the command's check
 * failed, 2 bad arguments.
 */
public final class Main {
    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        register(new DemoCommand());
        register(new ProbeCommand());
        register(new TimelineCommand());
        register(new ServeCommand());
        register(new CtlCommand());
    }

    private Main() {
    }

    static void register(final Command c) {
        COMMANDS.put(c.name(), c);
    }

    /**
     * The entry point.
     *
     * @param args the command and its arguments
     */
    public static void main(final String[] args) {
        System.exit(run(List.of(args), System.out, System.err));
    }

    /**
     * Runs a command line without exiting (for tests).
     *
     * @param args the command and its arguments
     * @param out standard output
     * @param err standard error
     * @return the exit code
     */
    static int run(final List<String> args, final PrintStream out, final PrintStream err) {
        if (!args.isEmpty() && args.get(0).equals("--version")) {
            if (args.size() > 1) {
                err.println("valarm: --version takes no arguments: " + args.subList(1, args.size()));
                return Command.USAGE;
            }
            out.println("valarm " + version() + " (Java " + System.getProperty("java.version") + ", "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")");
            return Command.OK;
        }
        if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h") || args.get(0).equals("help")) {
            if (args.size() > 1 && COMMANDS.containsKey(args.get(1))) {
                out.println(COMMANDS.get(args.get(1)).usage());
                return Command.OK;
            }
            printHelp(args.isEmpty() ? err : out);
            return args.isEmpty() ? Command.USAGE : Command.OK;
        }
        final Command c = COMMANDS.get(args.get(0));
        if (c == null) {
            err.println("valarm: unknown command '" + args.get(0) + "'");
            printHelp(err);
            return Command.USAGE;
        }
        final List<String> rest = new ArrayList<>(args.subList(1, args.size()));
        if (rest.contains("--help") || rest.contains("-h")) {
            out.println(c.usage());
            return Command.OK;
        }
        try {
            return c.run(rest, out, err);
        } catch (final Command.UsageException e) {
            err.println("valarm " + c.name() + ": " + e.getMessage());
            err.println(c.usage());
            return Command.USAGE;
        }
    }

    /**
     * This build's version, from the {@code version.properties} the build filled in.
     *
     * @return the version, such as {@code 0.1.0}
     * @throws IllegalStateException if the resource is missing (a broken build)
     */
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("dev/valarm/cli/version.properties is missing from the class path");
            }
            final Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read dev/valarm/cli/version.properties", e);
        }
    }

    private static void printHelp(final PrintStream s) {
        s.println("usage: ./valarm COMMAND [ARGS]   (./valarm COMMAND --help for details; ./valarm --version)");
        s.println();
        s.println("commands:");
        for (final Command c : COMMANDS.values()) {
            s.printf("  %-10s %s%n", c.name(), c.summary());
        }
        s.println();
        s.println("each option may be given once (a repeated option is a usage error)");
        s.println("exit codes: 0 success, 1 the command's check failed, 2 bad arguments");
    }
}
