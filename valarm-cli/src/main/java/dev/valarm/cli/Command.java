package dev.valarm.cli;

import java.io.PrintStream;
import java.util.List;

/** One subcommand of {@code ./valarm}. Implementations are stateless. */
interface Command {
    /** Exit code: success. */
    int OK = 0;
    /** Exit code: the command ran and its check failed (an alarm was not delivered, a backend failed). */
    int FAILED = 1;
    /** Exit code: bad arguments. */
    int USAGE = 2;

    /** @return the name typed on the command line */
    String name();

    /** @return one line for the command list */
    String summary();

    /** @return the full help text of the command */
    String usage();

    /**
     * Runs the command.
     *
     * @param args the arguments after the command name
     * @param out standard output
     * @param err standard error
     * @return the exit code
     * @throws UsageException for bad arguments
     */
    int run(List<String> args, PrintStream out, PrintStream err);

    /** Bad arguments: the message is printed with the command's usage, and the exit code is {@link #USAGE}. */
    final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(final String message) {
            super(message);
        }
    }
}
