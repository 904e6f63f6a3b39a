package dev.valarm.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Argument parsing shared by the commands. Stateless. */
final class Args {
    /** The fewest instances a scenario runs (the demo's three tenants). */
    static final int MIN_INSTANCES = 3;
    /** The most instances a scenario runs (tenants A to Z). */
    static final int MAX_INSTANCES = 26;

    private Args() {
    }

    /**
     * Parses options written {@code --name VALUE} or {@code --name=VALUE}, each given at most once: a
     * repeated option is an error, not "the last one wins", since one of the two values would be silently
     * ignored.
     *
     * @param args the arguments after the command name
     * @param names the options the command knows, such as {@code --out}
     * @return the value of each option given, in the order given
     * @throws Command.UsageException naming an unknown argument, an option without its value, or an option
     *         given twice (with both values)
     */
    static Map<String, String> options(final List<String> args, final Set<String> names) {
        final Map<String, String> given = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            final String a = args.get(i);
            final int eq = a.startsWith("--") ? a.indexOf('=') : -1;
            final String name = eq > 0 ? a.substring(0, eq) : a;
            if (!names.contains(name)) {
                throw new Command.UsageException("unknown argument: " + a);
            }
            final String value;
            if (eq > 0) {
                value = a.substring(eq + 1);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                throw new Command.UsageException(a + " needs a value");
            }
            final String before = given.putIfAbsent(name, value);
            if (before != null) {
                throw new Command.UsageException(name + " is given twice (" + before + " and " + value
                        + "); give it once");
            }
        }
        return given;
    }

    /**
     * Parses {@code --instances}.
     *
     * @param s the value given
     * @return the number, in [3, 26]
     * @throws Command.UsageException naming the value if it is not a number in range
     */
    static int instances(final String s) {
        final int n;
        try {
            n = Integer.parseInt(s);
        } catch (final NumberFormatException e) {
            throw new Command.UsageException("--instances must be a number: " + s);
        }
        if (n < MIN_INSTANCES || n > MAX_INSTANCES) {
            throw new Command.UsageException("--instances must be in [" + MIN_INSTANCES + ", " + MAX_INSTANCES + "]: " + n);
        }
        return n;
    }
}
