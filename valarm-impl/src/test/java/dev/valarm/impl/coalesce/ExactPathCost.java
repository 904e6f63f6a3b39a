package dev.valarm.impl.coalesce;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.sim.SimulatedMachine;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;

/**
 * A plain timing loop (indicative, not JMH) for the cost of SET on the multiplexer: 10 000 instances
 * on a simulated machine, each re-armed at random times 1 to 2 hours ahead, exact or with a window.
 * Compiles against the API without windows too (the windowed SET is looked up reflectively), so the
 * same source times the code before and after coalescing. Run:
 * <pre>{@code
 * java -cp <classes> dev.valarm.impl.coalesce.ExactPathCost [ELAPSED_REALTIME|ELAPSED_REALTIME_WAKEUP] [window-seconds]
 * }</pre>
 */
public final class ExactPathCost {
    private static final MethodHandle WINDOWED = windowed();

    private ExactPathCost() {
    }

    private static MethodHandle windowed() {
        try {
            return MethodHandles.publicLookup().findVirtual(AlarmHandle.class, "set",
                    MethodType.methodType(void.class, AlarmType.class, Timespec.class, Duration.class));
        } catch (final ReflectiveOperationException e) {
            return null;
        }
    }

    /**
     * Times SET.
     *
     * @param args the alarm type and the window in seconds (0: the exact SET)
     * @throws Throwable if the windowed SET fails
     */
    public static void main(final String[] args) throws Throwable {
        final AlarmType type = AlarmType.valueOf(args.length > 0 ? args[0] : "ELAPSED_REALTIME_WAKEUP");
        final long windowSeconds = args.length > 1 ? Long.parseLong(args[1]) : 0;
        if (windowSeconds > 0 && WINDOWED == null) {
            System.out.println("this build has no windowed SET");
            return;
        }
        final Duration window = Duration.ofSeconds(windowSeconds);
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        try (ValarmDevice device = machine.newDevice()) {
            final int n = 10_000;
            final AlarmHandle[] h = new AlarmHandle[n];
            for (int i = 0; i < n; i++) {
                h[i] = device.createInstance().open(OpenMode.READ_WRITE);
            }
            final long base = h[0].getTime(type).toNanos();
            final Random rnd = new Random(42);
            final Timespec[] at = new Timespec[1 << 16];
            for (int i = 0; i < at.length; i++) {
                at[i] = Timespec.ofNanos(base + 3_600_000_000_000L + (long) (rnd.nextDouble() * 3_600_000_000_000L));
            }
            final int ops = 2_000_000;
            double best = Double.MAX_VALUE;
            for (int round = 0; round < 20; round++) {
                final long t0 = System.nanoTime();
                for (int k = 0; k < ops; k++) {
                    final AlarmHandle x = h[k % n];
                    if (windowSeconds > 0) {
                        WINDOWED.invokeExact(x, type, at[k & (at.length - 1)], window);
                    } else {
                        x.set(type, at[k & (at.length - 1)]);
                    }
                }
                final double ns = (System.nanoTime() - t0) / (double) ops;
                best = Math.min(best, ns);
                machine.awaitIdle();
            }
            System.out.println(String.format(Locale.ROOT, "%s window %d s: best of 20 rounds %.1f ns per SET (%d instances)",
                    type, windowSeconds, best, n));
        }
    }
}
