package dev.valarm.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.openjdk.jmh.infra.IterationParams;

/**
 * Reports the CPU time of Netty's HashedWheelTimer worker per caller operation, per JMH iteration: a
 * printed line, and a JSON line appended to the file named by the system property
 * {@code valarm.bench.aux} (set by {@code run.sh}) so the table can show it next to the caller's ns/op.
 * Does nothing for other adapters. Not thread-safe: one per benchmark state.
 */
final class WorkerCpu {
    private long cpuAtStart;
    private int indexAtStart;

    void begin(final TimerAdapter adapter, final int index) {
        if (adapter instanceof NettyHwtAdapter) {
            cpuAtStart = ((NettyHwtAdapter) adapter).workerCpuNanos();
            indexAtStart = index;
        }
    }

    void end(final TimerAdapter adapter, final int index, final String benchmark, final String impl, final int size,
            final String params, final IterationParams iteration) {
        if (!(adapter instanceof NettyHwtAdapter)) {
            return;
        }
        final long cpu = ((NettyHwtAdapter) adapter).workerCpuNanos() - cpuAtStart;
        final long ops = index - indexAtStart;
        final String line = String.format(Locale.ROOT,
                "{\"benchmark\":\"%s\",\"impl\":\"%s\",\"size\":%d,\"params\":\"%s\",\"iteration\":\"%s\","
                        + "\"ops\":%d,\"workerCpuNs\":%d,\"workerCpuNsPerOp\":%.2f}",
                benchmark, impl, size, params, iteration.getType(), ops, cpu, ops == 0 ? 0.0 : (double) cpu / ops);
        System.out.println("# hwt worker cpu " + line);
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
