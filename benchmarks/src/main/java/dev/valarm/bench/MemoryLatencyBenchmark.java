package dev.valarm.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine, not valarm: the latency of one dependent load at random within a working set of
 * {@code megabytes}, the pointer chase through one random cycle over every 64-byte line of an array (each load's
 * address is the previous load's value, so no two overlap). It tells how large a working set stays in the caches
 * of the machine a run is on, and what a miss beyond them costs: the multiplexer's set/clear over 100 000
 * instances is a handful of such misses, and its ratio to the executor depends on how many each one takes in a
 * row (BENCHMARKS.md, the multiplexer). Run with {@code benchmarks/run.sh mux}.
 *
 * <p>Thread-safety: JMH state, one thread.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC"})
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@OperationsPerInvocation(MemoryLatencyBenchmark.CHAIN)
@State(Scope.Thread)
public class MemoryLatencyBenchmark {
    /** Dependent loads per invocation. */
    static final int CHAIN = 1024;
    private static final int INTS_PER_LINE = 16;

    /** The working set in MiB. */
    @Param({"1", "4", "16", "64", "256"})
    public int megabytes;

    private int[] next;
    private int at;

    /** Links every line of the array into one random cycle. */
    @Setup(Level.Trial)
    public void setUp() {
        final int lines = megabytes * (1 << 20) / 64;
        final int[] order = new int[lines];
        for (int i = 0; i < lines; i++) {
            order[i] = i;
        }
        final SplittableRandom r = new SplittableRandom(Workloads.SEED);
        for (int i = lines - 1; i > 0; i--) {
            final int j = r.nextInt(i + 1);
            final int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        next = new int[lines * INTS_PER_LINE];
        for (int i = 0; i < lines; i++) {
            next[order[i] * INTS_PER_LINE] = order[(i + 1) % lines] * INTS_PER_LINE;
        }
        at = order[0] * INTS_PER_LINE;
    }

    /**
     * {@link #CHAIN} dependent loads.
     *
     * @return where the chase stopped (so that it is not optimised away)
     */
    @Benchmark
    public int chase() {
        final int[] n = next;
        int p = at;
        for (int i = 0; i < CHAIN; i++) {
            p = n[p];
        }
        at = p;
        return p;
    }
}
