package dev.valarm.cli;

import dev.valarm.impl.Valarm;
import dev.valarm.spi.BackendProbe;
import java.io.PrintStream;
import java.util.List;

/** {@code ./valarm probe}: which backends are usable here, and why the others are not. */
final class ProbeCommand implements Command {

    @Override
    public String name() {
        return "probe";
    }

    @Override
    public String summary() {
        return "list the host-clock and wake backends, usable or not, and why";
    }

    @Override
    public String usage() {
        return "usage: ./valarm probe\n\n"
                + "Checks every backend of every provider found on this machine (ServiceLoader) and prints\n"
                + "one line each: usable or not, whether it can wake a suspended machine, and the reason.\n"
                + "Exit code 0 when at least one provider is usable (the portable one always is).";
    }

    @Override
    public int run(final List<String> args, final PrintStream out, final PrintStream err) {
        if (!args.isEmpty()) {
            throw new UsageException("probe takes no arguments: " + args);
        }
        final List<BackendProbe> probes = Valarm.probe();
        out.printf("%-8s %-22s %-7s %-8s %s%n", "PROVIDER", "BACKEND", "USABLE", "CAN-WAKE", "REASON");
        for (final BackendProbe p : probes) {
            out.printf("%-8s %-22s %-7s %-8s %s%n", p.provider(), p.backend(), p.usable() ? "yes" : "no",
                    p.canWake() ? "yes" : "no", p.reason());
        }
        final String override = System.getProperty(Valarm.BACKEND_PROPERTY);
        out.println();
        out.println("selection: " + (override != null ? "provider '" + override + "' (system property "
                + Valarm.BACKEND_PROPERTY + ")" : "the usable provider with the highest priority"));
        return probes.stream().anyMatch(BackendProbe::usable) ? OK : FAILED;
    }
}
