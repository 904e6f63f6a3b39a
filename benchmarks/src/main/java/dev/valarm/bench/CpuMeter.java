package dev.valarm.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.openjdk.jmh.infra.IterationParams;

/**
 * Per JMH iteration, the CPU time of the benchmark thread per operation (a number that a loaded machine
 * disturbs far less than wall-clock ns/op: time spent descheduled is not counted) and, for Netty's
 * HashedWheelTimer, the CPU time of its worker thread per caller operation (work the caller's ns/op
 * does not show). Both go to a JSON line appended to the file named by the system property
 * {@code valarm.bench.aux} (set by {@code run.sh}); the worker's is also printed. {@link #begin} and
 * {@link #end} must run on the benchmark thread (JMH runs {@code Level.Iteration} fixtures of a
 * {@code Scope.Thread} state there). Not thread-safe: one per benchmark state.
 */
final class CpuMeter {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private long threadCpuAtStart;
    private long workerCpuAtStart;
    private long opsAtStart;

    void begin(final TimerAdapter adapter, final long ops) {
        opsAtStart = ops;
        workerCpuAtStart = adapter instanceof NettyHwtAdapter ? ((NettyHwtAdapter) adapter).workerCpuNanos() : 0;
        threadCpuAtStart = THREADS.getCurrentThreadCpuTime();
    }

    void end(final TimerAdapter adapter, final long ops, final String benchmark, final String impl, final int size,
            final String params, final IterationParams iteration) {
        final long threadCpu = THREADS.getCurrentThreadCpuTime() - threadCpuAtStart;
        final long n = ops - opsAtStart;
        double workerPerOp = -1;
        if (adapter instanceof NettyHwtAdapter) {
            final long worker = ((NettyHwtAdapter) adapter).workerCpuNanos() - workerCpuAtStart;
            workerPerOp = n == 0 ? 0.0 : (double) worker / n;
            System.out.printf(Locale.ROOT, "# hwt worker cpu: %.1f ns per caller op (%d ops)%n", workerPerOp, n);
        }
        final String line = String.format(Locale.ROOT,
                "{\"benchmark\":\"%s\",\"impl\":\"%s\",\"size\":%d,\"params\":\"%s\",\"iteration\":\"%s\","
                        + "\"ops\":%d,\"threadCpuNsPerOp\":%.3f,\"workerCpuNsPerOp\":%.2f}",
                benchmark, impl, size, params, iteration.getType(), n, n == 0 ? 0.0 : (double) threadCpu / n,
                workerPerOp);
        appendAux(line);
    }

    /**
     * Appends one JSON line to the file named by the system property {@code valarm.bench.aux}, if set.
     *
     * @param line the line, without its newline
     */
    static void appendAux(final String line) {
        final String file = System.getProperty("valarm.bench.aux");
        if (file != null && !file.isEmpty()) {
            try {
                Files.writeString(Path.of(file), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot append to " + file, e);
            }
        }
    }
}
