package dev.valarm.cli;

import dev.valarm.ValarmDevice;
import dev.valarm.impl.Valarm;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.BackendProvider;
import dev.valarm.spi.RtcException;
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
                + "one line each: usable or not, whether it can wake a suspended machine, and the reason; then\n"
                + "the selection: the provider ./valarm demo and Valarm.openDefault() use here, and the clocks\n"
                + "and wake backend they open (a device opened and closed again; nothing is armed or written).\n"
                + "Exit code 0 when a provider is usable and the default device would open (the portable\n"
                + "provider always is and does), 1 when an explicit choice cannot be honoured.";
    }

    /**
     * Prints what {@code Valarm.openDefault()} chooses here: the provider, and the device it opens (opened
     * and closed again to find out, so the answer is the real one; nothing is armed or written).
     *
     * @return false if the default device cannot be opened (an explicit choice that cannot be honoured)
     */
    private static boolean printSelection(final PrintStream out) {
        final String override = System.getProperty(Valarm.BACKEND_PROPERTY);
        try {
            final BackendProvider provider = Valarm.defaultProvider();
            out.println("selection: provider " + provider.name() + (override != null && !override.isBlank()
                    ? " (named by the system property " + Valarm.BACKEND_PROPERTY + ")"
                    : " (the usable provider with the highest priority)"));
            try (ValarmDevice device = Valarm.openDefault()) {
                out.println("           opens " + device.describe() + ": " + (device.rtcCapabilities().canWake()
                        ? "wakeup alarms can wake this machine"
                        : "cannot wake this machine, wakeup alarms fire only while it is awake"));
            }
            return true;
        } catch (final RtcException e) {
            out.println("selection: FAILS, Valarm.openDefault() throws " + e.getMessage());
            return false;
        }
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
        out.println();
        final boolean chosen = printSelection(out);
        if (!chosen) {
            return FAILED;
        }
        return probes.stream().anyMatch(BackendProbe::usable) ? OK : FAILED;
    }
}
