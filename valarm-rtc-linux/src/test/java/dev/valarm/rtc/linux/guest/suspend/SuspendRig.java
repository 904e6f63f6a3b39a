package dev.valarm.rtc.linux.guest.suspend;

import dev.valarm.AlarmHandle;
import dev.valarm.InstanceConfig;
import dev.valarm.OpenMode;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.Valarm;
import dev.valarm.rtc.linux.LinuxBackendProvider;
import dev.valarm.rtc.linux.guest.RawRtc;
import dev.valarm.rtc.linux.internal.Native;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.RtcBackend;
import dev.valarm.spi.RtcException;
import dev.valarm.spi.SuspendBlocker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One wake backend under test in the guest: a valarm device on the Linux provider with that backend, its
 * tenants (instance, owner handle, waiter thread), the hardware log, and the real suspend-to-RAM.
 *
 * <p>Not thread-safe: used by the test thread.
 */
final class SuspendRig implements AutoCloseable {

    /** The backends, as the provider names them. */
    static final String ALARM_TIMERFD = "alarm-timerfd";
    static final String RTC_DEVICE = "rtc-device:/dev/rtc0";
    static final String SYSFS_WAKEALARM = "sysfs-wakealarm:/sys/class/rtc/rtc0";
    static final String RTC = "/dev/rtc0";

    /** An instance, its owner handle and the thread waiting on it. */
    record Tenant(ValarmInstance instance, AlarmHandle handle, Waiter waiter) {
    }

    /**
     * One real suspend as the guest and the host saw it.
     *
     * @param ticket the announcement (with the clock sync just before)
     * @param before the guest's clocks right before {@code echo mem}
     * @param after the guest's clocks right after it returned
     * @param afterSync a clock sync right after
     * @param done what the host saw
     */
    record Suspended(HostControl.Ticket ticket, GuestClocks.Reading before, GuestClocks.Reading after,
            HostControl.Sync afterSync, HostControl.Done done) {
        /** The sleep the kernel injected into BOOTTIME (it stopped MONOTONIC), from the CMOS clock. */
        long injectedNs() {
            return (after.boot() - before.boot()) - (after.mono() - before.mono());
        }

        /** A guest REALTIME from before the suspend as host time. */
        long hostBefore(final long guestReal) {
            return ticket.sync().toHost(guestReal);
        }

        /** A guest REALTIME from after the suspend as host time. */
        long hostAfter(final long guestReal) {
            return afterSync.toHost(guestReal);
        }
    }

    final String spec;
    final RtcBackend rtc;
    final ValarmDevice device;
    final HardwareLog hw = new HardwareLog();
    final HostControl host = HostControl.get();
    private final List<Tenant> tenants = new ArrayList<>();

    private SuspendRig(final String spec, final SuspendBlocker blocker) {
        this.spec = spec;
        final LinuxBackendProvider provider = new LinuxBackendProvider(spec, null, null);
        final HostClocks clocks = provider.openHostClocks();
        try {
            this.rtc = provider.openRtcBackend(null);
        } catch (final RuntimeException e) {
            clocks.close();
            throw e;
        }
        this.device = Valarm.builder().hostClocks(clocks).rtcBackend(rtc).suspendBlocker(blocker).listener(hw)
                .threadName("valarm-" + name()).build();
    }

    static SuspendRig open(final String spec) {
        return new SuspendRig(spec, SuspendBlocker.none());
    }

    static SuspendRig open(final String spec, final SuspendBlocker blocker) {
        return new SuspendRig(spec, blocker);
    }

    /** The backend's short name (the provider's name before any ':'). */
    String name() {
        final int colon = spec.indexOf(':');
        return colon < 0 ? spec : spec.substring(0, colon);
    }

    /** Whether the backend writes the RTC's alarm slot itself (else the kernel does, at suspend). */
    boolean programsTheRtc() {
        return !ALARM_TIMERFD.equals(spec);
    }

    Tenant tenant(final String name, final Duration wallOffset, final Duration boottimeOffset) {
        final ValarmInstance in = device.createInstance(InstanceConfig.builder().name(name).wallClockOffset(wallOffset)
                .boottimeOffset(boottimeOffset).build());
        final AlarmHandle h = in.open(OpenMode.READ_WRITE);
        final Tenant t = new Tenant(in, h, new Waiter(name() + "-" + name, h));
        tenants.add(t);
        return t;
    }

    /**
     * Suspends to RAM for real ({@code echo mem > /sys/power/state}, after the announcement {@code t}) and
     * returns once the guest runs again and the host has said what it saw.
     */
    Suspended suspend(final HostControl.Ticket t) {
        final GuestClocks.Reading before = GuestClocks.Reading.now();
        try {
            Native.get().writeSmallFile("/sys/power/state", "mem");
        } catch (final RtcException e) {
            throw new AssertionError("the kernel refused the suspend (" + name() + "): " + e.getMessage()
                    + "; dmesg may say which device failed", e);
        }
        final GuestClocks.Reading after = GuestClocks.Reading.now();
        final HostControl.Sync afterSync = host.sync();
        return new Suspended(t, before, after, afterSync, host.done(t));
    }

    /** RTC_WKALM_RD of /dev/rtc0: {enabled, pending, epoch seconds} (retries while a backend holds the device). */
    static long[] rtcAlarm() {
        return withRtc(RawRtc::readWakeAlarm);
    }

    /** RTC_RD_TIME of /dev/rtc0. */
    static long rtcNow() {
        return withRtc(RawRtc::readTime);
    }

    /** Moves the RTC by {@code seconds} (RTC_SET_TIME). */
    static void moveRtc(final long seconds) {
        withRtc(r -> {
            r.setTime(r.readTime() + seconds);
            return null;
        });
    }

    /** Opens /dev/rtc0 for one call; the backends open it briefly too, so EBUSY is retried for a while. */
    static <T> T withRtc(final java.util.function.Function<RawRtc, T> call) {
        final long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try (RawRtc r = RawRtc.open(RTC)) {
                return call.apply(r);
            } catch (final RawRtc.ErrnoException e) {
                if (e.errno != 16 || System.nanoTime() - end > 0) {
                    throw e;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(2_000_000L);
            }
        }
    }

    /** The alarm lines of /proc/driver/rtc. */
    static String procDriverRtc() {
        try {
            return String.join("; ", java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/driver/rtc")).stream()
                    .filter(l -> l.startsWith("alrm") || l.startsWith("alarm_IRQ") || l.startsWith("rtc_"))
                    .map(l -> l.replaceAll("\\s+", " ")).toList());
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (final Tenant t : tenants) {
            t.waiter().close();
        }
        device.close();
        // Leave no alarm behind for the next backend (the device cancels its own; this is belt and braces).
        withRtc(r -> {
            r.setWakeAlarm(false, r.readTime() + 300);
            return null;
        });
    }
}
