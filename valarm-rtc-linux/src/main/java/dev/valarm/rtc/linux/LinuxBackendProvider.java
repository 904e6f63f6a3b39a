package dev.valarm.rtc.linux;

import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.BackendProvider;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux {@link BackendProvider}: {@link LinuxHostClocks} and three wake backends, registered for
 * {@link java.util.ServiceLoader}.
 *
 * <p><b>Choosing a wake backend.</b> Unless one is named, {@link #openRtcBackend} tries, in order:
 * <ol>
 * <li>{@value AlarmTimerBackend#NAME} ({@link AlarmTimerBackend}): needs CAP_WAKE_ALARM (EPERM moves on,
 *     with a log line);</li>
 * <li>{@value RtcDeviceBackend#NAME} ({@link RtcDeviceBackend}) at the configured device, by default
 *     {@link RtcDeviceBackend#defaultDevice()};</li>
 * <li>{@value SysfsWakealarmBackend#NAME} ({@link SysfsWakealarmBackend}) in the configured sysfs
 *     directory, by default {@link SysfsWakealarmBackend#defaultRtcDir()}.</li>
 * </ol>
 * The first that opens <em>and can wake the machine</em> wins; if none can wake, the first that opened
 * is used (alarms then fire only while the machine is awake) and a warning is logged; if none opens, an
 * {@link RtcException} ENODEV lists every reason.
 *
 * <p><b>Naming one.</b> A name is {@code alarm-timerfd}, {@code rtc-device}, {@code rtc-device:PATH},
 * {@code sysfs-wakealarm}, {@code sysfs-wakealarm:DIR} or {@code auto}. It comes from, first to last:
 * the argument of {@link #openRtcBackend}, the constructor, the system property {@value #BACKEND_PROPERTY}.
 * The device path and sysfs directory likewise come from the name, the constructor, or the system
 * properties {@value #DEVICE_PROPERTY} and {@value #SYSFS_PROPERTY}. A named backend that cannot be
 * opened is an {@link RtcException} (an unknown name an {@link IllegalArgumentException}), never a
 * fallback: {@link #rtcBackendChoice()} tells {@code Valarm.openDefault()} that the choice was explicit.
 *
 * <p>Thread-safety: immutable and thread-safe; construction does no native work.
 */
public final class LinuxBackendProvider implements BackendProvider {
    private static final Logger LOG = LoggerFactory.getLogger(LinuxBackendProvider.class);

    /** The provider's name. */
    public static final String NAME = "linux";
    /** The provider's priority among usable providers (the portable JDK provider has 0). */
    public static final int PRIORITY = 100;
    /** System property naming the wake backend (see the class comment for the syntax). */
    public static final String BACKEND_PROPERTY = "valarm.rtc.backend";
    /** System property with the RTC device path for {@value RtcDeviceBackend#NAME}. */
    public static final String DEVICE_PROPERTY = "valarm.rtc.device";
    /** System property with the sysfs RTC directory for {@value SysfsWakealarmBackend#NAME}. */
    public static final String SYSFS_PROPERTY = "valarm.rtc.sysfs";
    /** The host clocks' name in probes. */
    public static final String HOST_CLOCKS = "linux-clocks";

    private final String backend;
    private final Path device;
    private final Path sysfsDir;

    /** The provider as {@link java.util.ServiceLoader} creates it: everything from system properties or auto. */
    public LinuxBackendProvider() {
        this(null, null, null);
    }

    /**
     * A provider with explicit choices; a null argument falls back to its system property, then to
     * auto-detection.
     *
     * @param backend the wake backend's name (see the class comment), or null
     * @param device the RTC device path for {@value RtcDeviceBackend#NAME}, or null
     * @param sysfsDir the sysfs RTC directory for {@value SysfsWakealarmBackend#NAME}, or null
     */
    public LinuxBackendProvider(final String backend, final Path device, final Path sysfsDir) {
        this.backend = backend;
        this.device = device;
        this.sysfsDir = sysfsDir;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Four entries: the host clocks, then the three wake backends in the order they are tried. Nothing
     * is written and nothing stays open.
     */
    @Override
    public List<BackendProbe> probe() {
        final List<BackendProbe> probes = new ArrayList<>(4);
        probes.add(probeHostClocks());
        probes.add(AlarmTimerBackend.probe(NAME));
        probes.add(RtcDeviceBackend.probe(NAME, devicePath(null)));
        probes.add(SysfsWakealarmBackend.probe(NAME, sysfsPath(null)));
        return probes;
    }

    private static BackendProbe probeHostClocks() {
        try (LinuxHostClocks c = LinuxHostClocks.open()) {
            c.nanos(ClockBase.BOOTTIME);
            return new BackendProbe(NAME, HOST_CLOCKS, true, false,
                    "clock_gettime, timerfds on REALTIME (CANCEL_ON_SET), BOOTTIME, MONOTONIC and an eventfd work");
        } catch (final RtcException e) {
            return new BackendProbe(NAME, HOST_CLOCKS, false, false, e.getMessage());
        }
    }

    @Override
    public HostClocks openHostClocks() {
        return LinuxHostClocks.open();
    }

    /**
     * {@inheritDoc}
     *
     * <p>The name given to the constructor, else the system property {@value #BACKEND_PROPERTY}; empty
     * when neither is set or the name is {@code auto}.
     */
    @Override
    public Optional<String> rtcBackendChoice() {
        if (isExplicit(backend)) {
            return Optional.of(backend.trim() + " (LinuxBackendProvider constructor)");
        }
        final String property = System.getProperty(BACKEND_PROPERTY);
        if (isExplicit(property)) {
            return Optional.of(property.trim() + " (system property " + BACKEND_PROPERTY + ")");
        }
        return Optional.empty();
    }

    private static boolean isExplicit(final String name) {
        return name != null && !name.isBlank() && !"auto".equals(name.trim());
    }

    @Override
    public RtcBackend openRtcBackend(final String name) {
        final String chosen = name != null ? name : backend != null ? backend : System.getProperty(BACKEND_PROPERTY);
        if (!isExplicit(chosen)) {
            return openAuto();
        }
        final String n = chosen.trim();
        final int colon = n.indexOf(':');
        final String kind = (colon < 0 ? n : n.substring(0, colon)).toLowerCase(Locale.ROOT);
        final String arg = colon < 0 ? null : n.substring(colon + 1);
        switch (kind) {
            case AlarmTimerBackend.NAME:
                return new AlarmTimerBackend();
            case RtcDeviceBackend.NAME:
                return new RtcDeviceBackend(devicePath(arg));
            case SysfsWakealarmBackend.NAME:
                return new SysfsWakealarmBackend(sysfsPath(arg));
            default:
                throw new IllegalArgumentException("unknown RTC backend name: \"" + chosen + "\" (expected "
                        + AlarmTimerBackend.NAME + ", " + RtcDeviceBackend.NAME + "[:PATH], "
                        + SysfsWakealarmBackend.NAME + "[:DIR] or auto)");
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A {@link LinuxSuspendBlocker}: the name is a {@linkplain LinuxSuspendBlocker.Mechanism#label()
     * mechanism label} or {@code auto}; null takes the system property {@value LinuxSuspendBlocker#PROPERTY},
     * else {@code auto}.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    @Override
    public LinuxSuspendBlocker openSuspendBlocker(final String blocker) {
        return LinuxSuspendBlocker.open(blocker);
    }

    private RtcBackend openAuto() {
        final List<String> reasons = new ArrayList<>(3);
        RtcBackend fallback = null;
        final String[] order = {AlarmTimerBackend.NAME, RtcDeviceBackend.NAME, SysfsWakealarmBackend.NAME};
        for (int i = 0; i < order.length; i++) {
            final RtcBackend b;
            try {
                b = i == 0 ? new AlarmTimerBackend()
                        : i == 1 ? new RtcDeviceBackend(devicePath(null))
                        : new SysfsWakealarmBackend(sysfsPath(null));
            } catch (final RtcException e) {
                LOG.info("RTC backend {} not usable, moving on: {}", order[i], e.getMessage());
                reasons.add(order[i] + ": " + e.getMessage());
                continue;
            }
            if (b.capabilities().canWake()) {
                if (fallback != null) {
                    fallback.close();
                }
                LOG.info("using RTC backend {}", b.name());
                return b;
            }
            reasons.add(b.name() + " opened but cannot wake this machine");
            if (fallback == null) {
                fallback = b;
            } else {
                b.close();
            }
        }
        if (fallback != null) {
            LOG.warn("no RTC backend can wake this machine ({}); using {}: alarms fire only while it is awake",
                    reasons, fallback.name());
            return fallback;
        }
        throw new RtcException(Errno.ENODEV, "open RTC backend", "no Linux wake backend is usable: "
                + String.join("; ", reasons));
    }

    private Path devicePath(final String arg) {
        if (arg != null && !arg.isEmpty()) {
            return Paths.get(arg);
        }
        if (device != null) {
            return device;
        }
        final String p = System.getProperty(DEVICE_PROPERTY);
        return p != null && !p.isBlank() ? Paths.get(p.trim()) : RtcDeviceBackend.defaultDevice();
    }

    private Path sysfsPath(final String arg) {
        if (arg != null && !arg.isEmpty()) {
            return Paths.get(arg);
        }
        if (sysfsDir != null) {
            return sysfsDir;
        }
        final String p = System.getProperty(SYSFS_PROPERTY);
        return p != null && !p.isBlank() ? Paths.get(p.trim()) : SysfsWakealarmBackend.defaultRtcDir();
    }
}
