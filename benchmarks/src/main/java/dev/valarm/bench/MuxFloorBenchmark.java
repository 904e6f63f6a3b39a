package dev.valarm.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory floor under {@link MuxSetClearBenchmark}: over the same population (the same {@code Shared}
 * state: 100 000 armed instances, or the executor's 100 000 futures) and the same random picks, only the
 * dependent loads that a set/clear cannot avoid, and nothing else.
 *
 * <ul>
 *   <li>{@code handleLine}: the object the caller holds, one dependent miss (valarm: a field of the
 *       {@code AlarmHandle}; executor: the future's state, {@code isDone}).
 *   <li>{@code handleThenInstance}: valarm only in meaning: the handle, then a field of its instance, two
 *       dependent misses (a SET or CLEAR must know the handle before it can reach the instance's lock and
 *       slots). On the executor it is the same load as {@code handleLine}: its future holds its own state,
 *       and what follows is the heap's walk.
 *   <li>{@code handleThenInstanceInTurn}: the same two loads, but each operation's pick depends on the value
 *       the previous one loaded, so one operation's misses cannot overlap the next one's: the latency of the
 *       chain. The other two measure throughput: their operations are a few instructions long and the
 *       processor runs many of them ahead at once (the picks are known in advance). A set/clear is hundreds
 *       of instructions, more than the processor's reorder window holds, so it waits for its own misses
 *       before the next operation's loads can start, as this variant does.
 * </ul>
 * The gap between a set/clear and {@code handleThenInstanceInTurn} is what the driver's work and the timer
 * structure add; {@code handleThenInstanceInTurn} is the least a set/clear can cost with this object model (a
 * handle object that leads to its instance) when operations do not overlap.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar MuxFloorBenchmark -t 1} (or
 * {@code benchmarks/run.sh mux}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Threads(1)
public class MuxFloorBenchmark {

    /** The random picks of one thread (the same stream as {@link MuxSetClearBenchmark}'s thread 0). */
    @State(Scope.Thread)
    public static class Picks {
        int[] picks;
        int index;
        /** Always 0; a field, so that {@code v & zero} is a dependency the compiler cannot fold away. */
        int zero;

        /**
         * Draws the picks.
         *
         * @param shared the population
         */
        @Setup(Level.Trial)
        public void setUp(final MuxSetClearBenchmark.Shared shared) {
            final SplittableRandom r = new SplittableRandom(Workloads.SEED);
            picks = new int[Workloads.RANDOMS];
            for (int i = 0; i < picks.length; i++) {
                picks[i] = r.nextInt(shared.instances);
            }
        }
    }

    /**
     * One dependent load: the object the caller holds.
     *
     * @param shared the population
     * @param p the picks
     * @return what was loaded
     */
    @Benchmark
    public int handleLine(final MuxSetClearBenchmark.Shared shared, final Picks p) {
        final int i = p.picks[p.index++ & Workloads.MASK];
        if (shared.handles != null) {
            return shared.handles[i].mode().ordinal();
        }
        return shared.futures[i].isDone() ? 1 : 0;
    }

    /**
     * Two dependent loads on valarm: the handle, then its instance (one on the executor, see the class).
     *
     * @param shared the population
     * @param p the picks
     * @return what was loaded
     */
    @Benchmark
    public int handleThenInstance(final MuxSetClearBenchmark.Shared shared, final Picks p) {
        final int i = p.picks[p.index++ & Workloads.MASK];
        if (shared.handles != null) {
            return shared.handles[i].instance().minor();
        }
        return shared.futures[i].isDone() ? 1 : 0;
    }

    /**
     * The two dependent loads, one operation after another (see the class): their latency.
     *
     * @param shared the population
     * @param p the picks
     * @return what was loaded
     */
    @Benchmark
    public int handleThenInstanceInTurn(final MuxSetClearBenchmark.Shared shared, final Picks p) {
        final int i = p.picks[p.index & Workloads.MASK];
        // the executor: the future's header (its identity hash), a value; a boolean would become a predicted
        // branch, and the processor would run ahead past it
        final int v = shared.handles != null ? shared.handles[i].instance().minor()
                : System.identityHashCode(shared.futures[i]);
        p.index += 1 + (v & p.zero); // + 1, but neither the compiler nor the processor knows it before the load
        return v;
    }
}
