package dev.valarm.impl.jdk;

import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.BackendProvider;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.RtcBackend;
import java.util.List;

/**
 * The portable provider (priority 0): {@link JdkHostClocks} and {@link NoWakeRtcBackend}. Always usable,
 * never able to wake the machine.
 *
 * <p>Thread-safety: stateless.
 */
public final class JdkBackendProvider implements BackendProvider {
    /** The provider's name. */
    public static final String NAME = "jdk";

    /** Creates the provider. */
    public JdkBackendProvider() {
        // nothing to load
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public List<BackendProbe> probe() {
        return List.of(
                new BackendProbe(NAME, "jdk-clocks", true, false,
                        "host clocks from the JDK (BOOTTIME approximated by System.nanoTime)"),
                new BackendProbe(NAME, "no-wake", true, false, "no hardware wake: alarms fire only while awake"));
    }

    @Override
    public HostClocks openHostClocks() {
        return new JdkHostClocks();
    }

    @Override
    public RtcBackend openRtcBackend(final String backend) {
        return new NoWakeRtcBackend(new JdkHostClocks());
    }
}
