package dev.valarm.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import org.openjdk.jmh.infra.IterationParams;

/**
 * Per JMH iteration of a scheduler benchmark, CPU time per operation: of the benchmark thread, and of the
 * whole JVM (every thread: the scheduler's workers, the device's dispatcher and callback threads, Netty's
 * wheel worker; JMH's own threads are idle meanwhile). Both are far less disturbed by a loaded machine
 * than wall-clock ns/op, and the process figure counts the work a caller-side score hides. One JSON line
 * per iteration goes to the file named by the system property {@code valarm.bench.aux} (set by
 * {@code run.sh}). {@link #begin} and {@link #end} run on the benchmark thread. Not thread-safe.
 */
final class SchedulerCpuMeter {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private long threadAtStart;
    private long processAtStart;
    private long opsAtStart;

    void begin(final long ops) {
        opsAtStart = ops;
        processAtStart = OS.getProcessCpuTime();
        threadAtStart = THREADS.getCurrentThreadCpuTime();
    }

    void end(final long ops, final String benchmark, final String impl, final int size, final IterationParams iteration) {
        final long thread = THREADS.getCurrentThreadCpuTime() - threadAtStart;
        final long process = OS.getProcessCpuTime() - processAtStart;
        final long n = ops - opsAtStart;
        final String line = String.format(Locale.ROOT,
                "{\"benchmark\":\"%s\",\"impl\":\"%s\",\"size\":%d,\"iteration\":\"%s\",\"ops\":%d,"
                        + "\"threadCpuNsPerOp\":%.3f,\"processCpuNsPerOp\":%.3f}",
                benchmark, impl, size, iteration.getType(), n, n == 0 ? 0.0 : (double) thread / n,
                n == 0 ? 0.0 : (double) process / n);
        CpuMeter.appendAux(line);
    }
}
