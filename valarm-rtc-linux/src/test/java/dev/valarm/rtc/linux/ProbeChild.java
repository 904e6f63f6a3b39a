package dev.valarm.rtc.linux;

import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcException;

/**
 * Run in a child JVM (under {@code setpriv}) by {@link CapabilityDropTest}: prints every probe and
 * what auto-selection opened, one line each, on stdout.
 */
public final class ProbeChild {
    private ProbeChild() {
    }

    /**
     * Prints {@code probe NAME usable=B canWake=B reason} lines, then {@code opened NAME} or
     * {@code failed ERRNO message}.
     *
     * With the argument {@code settime} it instead sets the host realtime clock to its current value
     * (read just before) and prints {@code settime ok} or {@code settime failed ERRNO message}.
     *
     * @param args none, or {@code settime}
     */
    public static void main(final String[] args) {
        if (args.length > 0 && "settime".equals(args[0])) {
            try (LinuxHostClocks clocks = LinuxHostClocks.open()) {
                clocks.setRealtime(clocks.nanos(dev.valarm.ClockBase.REALTIME));
                System.out.println("settime ok");
            } catch (final RtcException e) {
                System.out.println("settime failed " + e.errno() + " " + e.getMessage());
            }
            return;
        }
        final LinuxBackendProvider provider = new LinuxBackendProvider();
        for (final BackendProbe p : provider.probe()) {
            System.out.println("probe " + p.backend() + " usable=" + p.usable() + " canWake=" + p.canWake() + " "
                    + p.reason());
        }
        try (RtcBackend b = provider.openRtcBackend(null)) {
            System.out.println("opened " + b.name());
        } catch (final RtcException e) {
            System.out.println("failed " + e.errno() + " " + e.getMessage());
        }
    }
}
