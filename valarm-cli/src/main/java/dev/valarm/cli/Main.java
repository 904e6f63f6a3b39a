package dev.valarm.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    private static void printHelp(final PrintStream s) {
        s.println("usage: ./valarm COMMAND [ARGS]   (./valarm COMMAND --help for details)");
        s.println();
        s.println("commands:");
        for (final Command c : COMMANDS.values()) {
            s.printf("  %-10s %s%n", c.name(), c.summary());
        }
        s.println();
        s.println("exit codes: 0 success, 1 the command's check failed, 2 bad arguments");
    }
}
