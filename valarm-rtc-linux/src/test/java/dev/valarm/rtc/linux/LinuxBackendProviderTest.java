package dev.valarm.rtc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.Errno;
import dev.valarm.rtc.linux.internal.LinuxOnly;
import dev.valarm.spi.BackendProbe;
import dev.valarm.spi.BackendProvider;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tier 1: discovery, probing and explicit selection on this host. */
final class LinuxBackendProviderTest {

    @Test
    void serviceLoaderFindsTheProvider() {
        final List<BackendProvider> found = ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get).filter(p -> p instanceof LinuxBackendProvider)
                .collect(Collectors.toList());
        assertEquals(1, found.size());
        assertEquals("linux", found.get(0).name());
        assertEquals(100, found.get(0).priority());
    }

    @Test
    void probeListsTheHostClocksAndEveryBackendWithAReason() {
        LinuxOnly.assumeLinux();
        final List<BackendProbe> probes = new LinuxBackendProvider().probe();
        probes.forEach(p -> System.out.println("probe: " + p));
        assertEquals(List.of("linux-clocks", "alarm-timerfd", "rtc-device", "sysfs-wakealarm"),
                probes.stream().map(BackendProbe::backend).collect(Collectors.toList()));
        assertTrue(probes.get(0).usable(), probes.get(0).reason());
        probes.forEach(p -> assertTrue(!p.reason().isBlank()));
    }

    @Test
    void hostClocksOpenWithoutPrivilege() {
        LinuxOnly.assumeLinux();
        try (HostClocks c = new LinuxBackendProvider().openHostClocks()) {
            assertEquals("linux-clocks", c.name());
        }
    }

    @Test
    void autoSelectionPrefersABackendThatOpens() {
        LinuxOnly.assumeRoot();
        try (RtcBackend b = new LinuxBackendProvider().openRtcBackend(null)) {
            final List<BackendProbe> probes = new LinuxBackendProvider().probe();
            final BackendProbe alarm = probes.get(1);
            assertTrue(alarm.usable(), alarm.reason());
            if (probes.stream().noneMatch(p -> p.usable() && p.canWake() && !"linux-clocks".equals(p.backend()))) {
                assertEquals("alarm-timerfd", b.name(), "none can wake: the first that opened");
            }
            assertEquals(alarm.canWake(), b.capabilities().canWake() || !"alarm-timerfd".equals(b.name()));
        }
    }

    @Test
    void anExplicitNameIsHonouredAndItsFailureReported(@TempDir final Path dir) throws Exception {
        LinuxOnly.assumeLinux();
        final LinuxBackendProvider p = new LinuxBackendProvider();
        final RtcException e = assertThrows(RtcException.class,
                () -> p.openRtcBackend("rtc-device:" + dir.resolve("missing")));
        assertEquals(Errno.ENOENT, e.errno());
        assertThrows(IllegalArgumentException.class, () -> p.openRtcBackend("floppy"));

        final Path rtc = Files.createDirectories(dir.resolve("rtc0"));
        Files.writeString(rtc.resolve("since_epoch"), "1800000000\n");
        Files.writeString(rtc.resolve("wakealarm"), "");
        try (RtcBackend b = new LinuxBackendProvider("sysfs-wakealarm", null, rtc).openRtcBackend(null)) {
            assertTrue(b.name().startsWith("sysfs-wakealarm("), b.name());
        }
        final String old = System.getProperty(LinuxBackendProvider.BACKEND_PROPERTY);
        System.setProperty(LinuxBackendProvider.BACKEND_PROPERTY, "sysfs-wakealarm:" + rtc);
        try (RtcBackend b = new LinuxBackendProvider().openRtcBackend(null)) {
            assertEquals("sysfs-wakealarm(" + rtc + ")", b.name());
        } finally {
            if (old == null) {
                System.clearProperty(LinuxBackendProvider.BACKEND_PROPERTY);
            } else {
                System.setProperty(LinuxBackendProvider.BACKEND_PROPERTY, old);
            }
        }
    }
}
