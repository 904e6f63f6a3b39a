package dev.valarm.cli;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.DeviceStats;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.DeviceListener;
import dev.valarm.impl.Valarm;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./valarm demo}: several instances on the best backend available here, one with its wall clock in
 * another year, each with wakeup and non-wakeup alarms a few seconds ahead; prints every delivery and every
 * hardware decision, and fails (exit 1) if an alarm is not delivered in time.
 */
final class DemoCommand implements Command {
    private static final AlarmType[] ORDER = {AlarmType.RTC_WAKEUP, AlarmType.ELAPSED_REALTIME,
        AlarmType.ELAPSED_REALTIME_WAKEUP, AlarmType.SYSTEMTIME, AlarmType.RTC};
    private static final long MS = 1_000_000L;

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "run virtual alarm devices on this machine's best backend (no root needed)";
    }

    @Override
    public String usage() {
        return "usage: ./valarm demo [--instances N]\n\n"
                + "Creates N (3 to 26, default 3) virtual alarm devices on the best backend found here (the Linux\n"
                + "host clocks where they load, else the portable JDK clocks). Instance B sets its own wall clock\n"
                + "to another year through SET_RTC. Every instance arms all five alarm types within 4 seconds and\n"
                + "waits for them; each delivery (instance, type, instance time, lateness) and each hardware\n"
                + "wake-alarm decision is printed. Exit 0 when every alarm arrived, 1 otherwise.";
    }

    @Override
    public int run(final List<String> args, final PrintStream out, final PrintStream err) {
        final Map<String, String> options = Args.options(args, Set.of("--instances"));
        final int n = options.containsKey("--instances") ? Args.instances(options.get("--instances")) : 3;
        return demo(n, out, err);
    }

    private int demo(final int n, final PrintStream out, final PrintStream err) {
        final long start = System.nanoTime();
        final Object print = new Object();
        final Log log = (tag, msg) -> {
            synchronized (print) {
                out.printf(Locale.ROOT, "%+8.3fs  %-8s %s%n", (System.nanoTime() - start) / 1e9, tag, msg);
            }
        };
        final AtomicLong decisions = new AtomicLong();
        final DeviceListener listener = new DeviceListener() {
            @Override
            public void hardwareProgrammed(final Timespec rtcTime, final boolean clamped, final long remaining,
                    final boolean written) {
                decisions.incrementAndGet();
                log.line("[rtc]", String.format(Locale.ROOT, "wake alarm -> %s (earliest wakeup in %.3f s%s)%s",
                        rtcTime.toInstant(), remaining / 1e9, clamped ? ", clamped" : "",
                        written ? ": written" : ": not written, this backend cannot wake the machine"));
            }

            @Override
            public void hardwareUnchanged(final Timespec rtcTime) {
                decisions.incrementAndGet();
                log.line("[rtc]", "wake alarm stays at " + rtcTime.toInstant() + " (same second: no write)");
            }

            @Override
            public void hardwareCancelled(final boolean written) {
                decisions.incrementAndGet();
                log.line("[rtc]", "wake alarm cancelled: no wakeup alarm left" + (written ? "" : " (not written)"));
            }

            @Override
            public void hardwareFired() {
                log.line("[rtc]", "wake alarm fired");
            }

            @Override
            public void backendFault(final String operation, final RuntimeException error) {
                log.line("[rtc]", operation + " failed, will retry: " + error.getMessage());
            }
        };
        try (ValarmDevice device = Valarm.openDefault(b -> b.listener(listener))) {
            out.println("valarm demo: " + n + " virtual alarm devices on " + device.describe());
            out.println("  RTC: resolution " + device.rtcCapabilities().resolution() + ", furthest alarm "
                    + device.rtcCapabilities().maxAlarmAhead() + ", can wake: " + device.rtcCapabilities().canWake());
            final List<Tenant> tenants = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                tenants.add(new Tenant(device.createInstance(
                        dev.valarm.InstanceConfig.builder().name("tenant-" + (char) ('A' + i)).build())));
            }
            // B lives in another year: SET_RTC on B moves B's wall clock only.
            final Tenant b = tenants.get(1);
            final Instant other = LocalDate.now(ZoneOffset.UTC).plusYears(5).atStartOfDay(ZoneOffset.UTC).toInstant()
                    .plusSeconds(12 * 3600);
            b.handle.setRtc(Timespec.of(other));
            log.line("[" + b.instance.name() + "]", "SET_RTC -> " + other + " (this instance only; host and others keep "
                    + Instant.now() + ")");
            b.handle.await(Duration.ZERO); // collects the TIME_CHANGE event SET_RTC raised
            final AtomicInteger delivered = new AtomicInteger();
            final AtomicLong worstLate = new AtomicLong();
            final CountDownLatch done = new CountDownLatch(n);
            for (int i = 0; i < n; i++) {
                final Tenant t = tenants.get(i);
                for (int k = 0; k < ORDER.length; k++) {
                    final AlarmType type = ORDER[k];
                    final long at = t.handle.getTime(type).toNanos() + (1000 + 500L * k + 97L * i) * MS;
                    t.armed[type.number()] = at;
                    t.handle.set(type, Timespec.ofNanos(at));
                    log.line("[" + t.instance.name() + "]", String.format(Locale.ROOT, "SET %-23s at %s (+%.3f s)", type,
                            describe(type, at), (at - t.handle.getTime(type).toNanos()) / 1e9));
                }
                final Thread th = new Thread(() -> t.collect(log, delivered, worstLate, done), "owner-" + t.instance.name());
                th.setDaemon(true);
                th.start();
            }
            final boolean all = done.await(20, TimeUnit.SECONDS);
            final DeviceStats st = device.stats();
            out.println();
            out.printf(Locale.ROOT, "delivered %d of %d alarms, worst lateness %.3f ms; %d hardware decisions"
                    + " (%d written); device stats: %s%n", delivered.get(), n * ORDER.length, worstLate.get() / 1e6,
                    decisions.get(), st.hardwareWrites(), st);
            if (!all || delivered.get() != n * ORDER.length) {
                err.println("valarm demo: FAILED: not every alarm was delivered within 20 s");
                return FAILED;
            }
            return OK;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("valarm demo: interrupted");
            return FAILED;
        } catch (final RuntimeException e) {
            err.println("valarm demo: FAILED: " + e);
            return FAILED;
        }
    }

    private static String describe(final AlarmType type, final long nanos) {
        if (type.clockBase() == dev.valarm.ClockBase.REALTIME) {
            return Timespec.ofNanos(nanos).toInstant().toString();
        }
        return String.format(Locale.ROOT, "%s %.3f s", type.clockBase().name().toLowerCase(Locale.ROOT), nanos / 1e9);
    }

    /** Prints one line. */
    @FunctionalInterface
    private interface Log {
        void line(String tag, String message);
    }

    /** One instance, its owner handle and the times it armed. */
    private static final class Tenant {
        final ValarmInstance instance;
        final AlarmHandle handle;
        final long[] armed = new long[AlarmType.COUNT];

        Tenant(final ValarmInstance instance) {
            this.instance = instance;
            this.handle = instance.open(OpenMode.READ_WRITE);
        }

        void collect(final Log log, final AtomicInteger delivered, final AtomicLong worstLate, final CountDownLatch done) {
            int seen = 0;
            try {
                while (seen != AlarmType.ALL_TYPES_MASK) {
                    final AlarmEvents ev = handle.await(Duration.ofSeconds(20));
                    if (ev.isEmpty()) {
                        log.line("[" + instance.name() + "]", "timed out waiting; missing mask 0x"
                                + Integer.toHexString(AlarmType.ALL_TYPES_MASK & ~seen));
                        return;
                    }
                    for (final AlarmType type : ev.firedTypes()) {
                        final long now = handle.getTime(type).toNanos();
                        final long late = now - armed[type.number()];
                        worstLate.accumulateAndGet(late, Math::max);
                        delivered.incrementAndGet();
                        log.line("[" + instance.name() + "]", String.format(Locale.ROOT,
                                "FIRED %-23s instance time %s, late %.3f ms", type, describe(type, now), late / 1e6));
                    }
                    seen |= ev.typeMask();
                }
                done.countDown();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (final RuntimeException e) {
                log.line("[" + instance.name() + "]", "failed: " + e);
            }
        }
    }
}
