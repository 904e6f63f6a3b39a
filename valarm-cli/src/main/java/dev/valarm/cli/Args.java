package dev.valarm.cli;

/** Argument parsing shared by the commands. Stateless. */
final class Args {
    /** The fewest instances a scenario runs (the demo's three tenants). */
    static final int MIN_INSTANCES = 3;
    /** The most instances a scenario runs (tenants A to Z). */
    static final int MAX_INSTANCES = 26;

    private Args() {
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
