package dev.valarm.impl.coalesce;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Prints the coalescing measurements as a Markdown table (the source of {@code docs/coalescing.md}).
 *
 * <p>Run from the repository root (after {@code mvn -B -q -pl valarm-impl -am test-compile}):
 * <pre>{@code
 * mvn -B -q -pl valarm-impl exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.valarm.impl.coalesce.CoalescingBenchmark [-Dexec.args=small]
 * }</pre>
 */
public final class CoalescingBenchmark {
    private CoalescingBenchmark() {
    }

    /** The workloads: the test runs the small ones, the benchmark the large ones. */
    static List<CoalescingWorkload> workloads(final boolean small) {
        return workloads(small ? 40 : 100, small ? Duration.ofHours(4) : Duration.ofHours(24));
    }

    /** The five workloads at a given size. */
    static List<CoalescingWorkload> workloads(final int n, final Duration h) {
        final double[] mixed = {0, 0.1, 0.25, 0.5, 0.75};
        final double[] android = {0.75};
        return List.of(
                CoalescingWorkload.create("periodic-mixed", n, h, true, false, mixed, true, 1),
                CoalescingWorkload.create("random-mixed", n, h, false, true, mixed, true, 2),
                CoalescingWorkload.create("mixed", n, h, true, true, mixed, true, 3),
                CoalescingWorkload.create("android-75%", n, h, true, true, android, true, 4),
                CoalescingWorkload.create("mixed-ns", n, h, true, true, mixed, false, 5));
    }

    /**
     * Runs the workloads and prints a Markdown table.
     *
     * @param args {@code small} for the test-sized workloads
     * @throws InterruptedException if interrupted
     */
    public static void main(final String[] args) throws InterruptedException {
        final int[] sizes = args.length > 0 && args[0].equals("small") ? new int[] {40} : new int[] {100, 1000};
        final Duration horizon = args.length > 0 && args[0].equals("small") ? Duration.ofHours(4) : Duration.ofHours(24);
        System.out.println("| workload | instances | alarms | exact wakes | coalesced wakes | optimum (1 s RTC) | coalesced / optimum"
                + " | optimum (continuous) | saved vs exact | outside window | windowed past end (< 1 s) | run time exact / coalesced |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (final int n : sizes) {
            for (final CoalescingWorkload w : workloads(n, horizon)) {
                final CoalescingWorkload.Result exact = w.run(true);
                final CoalescingWorkload.Result co = w.run(false);
                final int opt = w.gridOptimum();
                System.out.println(String.format(Locale.ROOT,
                        "| %s | %d | %d | %d | %d | %d | %.3f | %d | %.1f %% | %d | %d | %.1f s / %.1f s |",
                        w.name, w.instances, w.alarms(), exact.hardwareWakes(), co.hardwareWakes(), opt,
                        co.hardwareWakes() / (double) opt, w.optimum(),
                        100.0 * (1 - co.hardwareWakes() / (double) exact.hardwareWakes()),
                        co.outsideWindow() + exact.outsideWindow(), co.windowedPastEnd(), exact.wallNanos() / 1e9,
                        co.wallNanos() / 1e9));
            }
        }
        System.out.println();
        for (final CoalescingWorkload w : workloads(1, horizon)) {
            System.out.println("- " + w.name + ": " + w.description);
        }
    }
}
