package dev.valarm.impl.reliability;

import dev.valarm.Errno;
import dev.valarm.impl.jdk.JdkHostClocks;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.BackendProvider;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcException;
import java.util.List;
import java.util.Optional;

/**
 * A provider for {@link ExplicitChoiceTest}, found through {@link java.util.ServiceLoader} in this module's
 * tests only. It ranks above the JDK provider but is unusable unless {@value #USABLE} is {@code true}, so
 * every other test that selects a provider automatically passes over it; its RTC backend never opens. With
 * {@value #CHOICE} set it says it was told which RTC backend to use.
 */
public final class ChoiceTestProvider implements BackendProvider {
    /** The provider's name. */
    static final String NAME = "choice-test";
    /** System property: {@code true} makes the provider usable. */
    static final String USABLE = "valarm.test.choice.usable";
    /** System property: the RTC backend it was told to use (unset: automatic). */
    static final String CHOICE = "valarm.test.choice.rtc";
    /** The reason its RTC backends do not open. */
    static final String NO_RTC = "no wake backend in this test provider";

    /** Created by ServiceLoader. */
    public ChoiceTestProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public List<BackendProbe> probe() {
        final boolean usable = Boolean.getBoolean(USABLE);
        return List.of(new BackendProbe(NAME, "test-clocks", usable, false,
                usable ? "usable (" + USABLE + "=true)" : "switched off (" + USABLE + " is not true)"));
    }

    @Override
    public HostClocks openHostClocks() {
        return new JdkHostClocks();
    }

    @Override
    public RtcBackend openRtcBackend(final String backend) {
        final String name = backend != null ? backend : System.getProperty(CHOICE, "auto");
        throw new RtcException(Errno.ENODEV, "open " + name, NO_RTC);
    }

    @Override
    public Optional<String> rtcBackendChoice() {
        final String c = System.getProperty(CHOICE);
        return c == null ? Optional.empty() : Optional.of(c + " (system property " + CHOICE + ")");
    }
}
