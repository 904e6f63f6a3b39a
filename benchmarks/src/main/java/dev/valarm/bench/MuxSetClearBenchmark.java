package dev.valarm.bench;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.jdk.JdkHostClocks;
import dev.valarm.impl.jdk.NoWakeRtcBackend;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * The multiplexer end to end: set/clear throughput over {@code instances} virtual alarm devices, each
 * with one armed alarm of {@code type} ({@code ELAPSED_REALTIME} by default: a non-wakeup type, whose CLEAR
 * leaves a tombstone and whose SET at or after the entry's key changes nothing in the timer structure, so the
 * dispatcher stays idle; {@code ELAPSED_REALTIME_WAKEUP}: every CLEAR and SET is a change handed to the
 * dispatcher, which removes and inserts the entry). One operation clears a random instance's alarm and sets
 * it again to a new deadline (one to two hours ahead, so nothing fires): the replace churn through the
 * public API, with its ownership checks, lock and dispatcher wake-up decisions. The same work on
 * {@code ScheduledThreadPoolExecutor} (one worker, {@code removeOnCancel = true}) is
 * {@code cancel} + {@code schedule} of one task per instance. With several threads each thread owns a
 * disjoint share of the instances; the device (or executor) is shared. Deadlines are precomputed for both
 * (a table of {@code Timespec}s for the device, of delays for the executor). The device runs on the
 * portable JDK backend (no hardware wake alarm).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar MuxSetClearBenchmark -t 1 -prof gc
 * -rf json -rff setclear-1.json}, and again with {@code -t 2} (or {@code benchmarks/run.sh mux}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Threads(1)
public class MuxSetClearBenchmark {
    private static final long HOUR = 3_600_000_000_000L;
    private static final int TABLE = 1 << 16;
    private static final Runnable TASK = () -> { };

    /** The device or the executor, shared by the benchmark threads. */
    @State(Scope.Benchmark)
    public static class Shared {
        /** {@code valarm} (the multiplexer) or {@code executor} (ScheduledThreadPoolExecutor). */
        @Param({"valarm", "executor"})
        public String impl;

        /** Virtual alarm devices, each with one armed alarm. */
        @Param({"100000"})
        public int instances;

        /** The alarm type set and cleared (an {@link AlarmType} name; the executor ignores it). */
        @Param({"ELAPSED_REALTIME"})
        public String type;

        AlarmType alarmType;

        ValarmDevice device;
        AlarmHandle[] handles;
        ScheduledThreadPoolExecutor executor;
        ScheduledFuture<?>[] futures;
        Timespec[] times;
        long[] delays;

        /** Creates the instances and arms every alarm. */
        @Setup(Level.Trial)
        public void setUp() {
            final SplittableRandom r = new SplittableRandom(Workloads.SEED);
            delays = new long[TABLE];
            for (int i = 0; i < TABLE; i++) {
                delays[i] = HOUR + r.nextLong(HOUR);
            }
            alarmType = AlarmType.valueOf(type);
            if ("valarm".equals(impl)) {
                final JdkHostClocks clocks = new JdkHostClocks();
                device = Valarm.builder().hostClocks(clocks).rtcBackend(new NoWakeRtcBackend(clocks))
                        .maxInstances(Math.max(instances, 1)).build();
                handles = new AlarmHandle[instances];
                for (int i = 0; i < instances; i++) {
                    final ValarmInstance in = device.createInstance();
                    handles[i] = in.open(OpenMode.READ_WRITE);
                }
                final long now = handles[0].getTime(alarmType).toNanos();
                times = new Timespec[TABLE];
                for (int i = 0; i < TABLE; i++) {
                    times[i] = Timespec.ofNanos(now + delays[i]);
                }
                for (int i = 0; i < instances; i++) {
                    handles[i].set(alarmType, times[i & (TABLE - 1)]);
                }
            } else if ("executor".equals(impl)) {
                executor = new ScheduledThreadPoolExecutor(1);
                executor.setRemoveOnCancelPolicy(true);
                futures = new ScheduledFuture<?>[instances];
                for (int i = 0; i < instances; i++) {
                    futures[i] = executor.schedule(TASK, delays[i & (TABLE - 1)], TimeUnit.NANOSECONDS);
                }
            } else {
                throw new IllegalArgumentException("unknown impl: " + impl);
            }
        }

        /** Closes the device or stops the executor. */
        @TearDown(Level.Trial)
        public void tearDown() {
            if (device != null) {
                device.close();
            }
            if (executor != null) {
                executor.shutdownNow();
            }
        }
    }

    /** One benchmark thread's share of the instances, its random stream and its CPU meter. */
    @State(Scope.Thread)
    public static class PerThread {
        int first;
        int count;
        int[] picks;
        int index;
        private String impl;
        private int threadIndex;
        private int threadCount;
        private int instances;
        private String type;
        private long threadCpuAtStart;
        private long processCpuAtStart;
        private int indexAtStart;

        /**
         * Picks this thread's share.
         *
         * @param shared the device
         * @param thread JMH's thread parameters
         */
        @Setup(Level.Trial)
        public void setUp(final Shared shared, final ThreadParams thread) {
            final int n = thread.getThreadCount();
            count = shared.instances / n;
            first = thread.getThreadIndex() * count;
            final SplittableRandom r = new SplittableRandom(Workloads.SEED + thread.getThreadIndex());
            picks = new int[Workloads.RANDOMS];
            for (int i = 0; i < picks.length; i++) {
                picks[i] = first + r.nextInt(count);
            }
            index = thread.getThreadIndex() * 7919;
            impl = shared.impl;
            threadIndex = thread.getThreadIndex();
            threadCount = n;
            instances = shared.instances;
            type = shared.type;
        }

        /** Starts this iteration's CPU meter (on the benchmark thread). */
        @Setup(Level.Iteration)
        public void beginIteration() {
            indexAtStart = index;
            processCpuAtStart = OS.getProcessCpuTime();
            threadCpuAtStart = THREADS.getCurrentThreadCpuTime();
        }

        /**
         * Records this thread's CPU time per operation and (thread 0 only) the whole JVM's per operation of
         * all threads (the device's dispatcher or the executor's worker included), assuming the threads made
         * equal progress.
         *
         * @param iteration JMH's iteration parameters
         */
        @TearDown(Level.Iteration)
        public void endIteration(final IterationParams iteration) {
            final long thread = THREADS.getCurrentThreadCpuTime() - threadCpuAtStart;
            final long process = OS.getProcessCpuTime() - processCpuAtStart;
            final long ops = index - indexAtStart;
            CpuMeter.appendAux(String.format(Locale.ROOT,
                    "{\"benchmark\":\"setClear\",\"impl\":\"%s\",\"size\":%d,\"params\":\"threads=%d\",\"type\":\"%s\","
                            + "\"iteration\":\"%s\",\"thread\":%d,\"ops\":%d,\"threadCpuNsPerOp\":%.3f,"
                            + "\"processCpuNsPerOp\":%.3f}",
                    impl, instances, threadCount, type, iteration.getType(), threadIndex, ops,
                    ops == 0 ? 0.0 : (double) thread / ops,
                    threadIndex != 0 || ops == 0 ? -1.0 : (double) process / (ops * threadCount)));
        }
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /**
     * Clear + set of one instance's alarm on the multiplexer (or cancel + schedule on the executor).
     *
     * @param shared the device or executor
     * @param t this thread's state
     * @return the instance touched
     */
    @Benchmark
    public int setClear(final Shared shared, final PerThread t) {
        final int k = t.index++;
        final int i = t.picks[k & Workloads.MASK];
        if (shared.handles != null) {
            final AlarmHandle h = shared.handles[i];
            h.clear(shared.alarmType);
            h.set(shared.alarmType, shared.times[k & (TABLE - 1)]);
        } else {
            shared.futures[i].cancel(false);
            shared.futures[i] = shared.executor.schedule(TASK, shared.delays[k & (TABLE - 1)], TimeUnit.NANOSECONDS);
        }
        return i;
    }
}
