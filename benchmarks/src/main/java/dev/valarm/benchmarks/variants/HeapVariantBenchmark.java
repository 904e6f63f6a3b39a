package dev.valarm.benchmarks.variants;

import dev.valarm.impl.internal.TimerHeap;
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
 * Design-choice benchmarks for the timer heap: the shipped {@link TimerHeap} (arity 2, 4, 8) against the
 * first version ({@link BaselineTimerHeap}) and a lazy-deletion variant ({@link LazyTimerHeap}). This is
 * not the peer comparison (that is the bench module's job); it picks the design.
 *
 * <p>The default grid is the five main candidates; {@code -p impl=i4,x4u,...} selects the others (see
 * {@link #impl}). On a loaded machine use {@link HeapVariantCpuTimer}, which times the same methods
 * by thread CPU time. The numbers and the decision are in the block comment of {@link TimerHeap}.
 *
 * <p>Every cell runs in its own fork, so the adapter call sites stay monomorphic. Deadlines are uniform
 * over 2^36 ns (about 68.7 s) from an inline xorshift, identical for every variant. Quick run:
 * <pre>
 * java -cp ... org.openjdk.jmh.Main HeapVariantBenchmark -f 1 -wi 3 -i 5 -w 1 -r 1 -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class HeapVariantBenchmark {
    private static final long SPAN_MASK = (1L << 36) - 1;
    private static final int BURST = 64;

    /**
     * Implementation name: tuned heap with arity 2/4/8, the first version, the lazy variant, and the lazy
     * variant with eager cancel (lazyLater4: only a later reschedule is lazy).
     */
    @Param({"tuned4", "tuned2", "tuned8", "baseline4", "lazy4"})
    public String impl;

    /** Live entries (a power of 2). */
    @Param({"1024", "65536", "1048576"})
    public int size;

    private Ops ops;
    private long[] handles;
    private int mask;
    private long x = 0x9E3779B97F4A7C15L;
    private long now;
    private long sink;
    private final TimerHeap.ExpiryHandler handler = (h, d, p) -> {
        sink += p;
        return true;
    };

    /** The operations every variant offers. */
    interface Ops {
        long schedule(long deadline, int payload);

        boolean cancel(long handle);

        boolean reschedule(long handle, long deadline);

        long replaceTop(long deadline);

        int pollExpired(long now, TimerHeap.ExpiryHandler handler, int limit);

        long peekDeadline();

        int size();
    }

    @Setup(Level.Trial)
    public void setUp() {
        ops = create(impl, size);
        handles = new long[size];
        mask = size - 1;
        for (int i = 0; i < size; i++) {
            handles[i] = ops.schedule(next() & SPAN_MASK, i);
        }
        now = 0;
    }

    private long next() {
        long v = x;
        v ^= v << 13;
        v ^= v >>> 7;
        v ^= v << 17;
        x = v;
        return v;
    }

    /** Workload (a), replace-churn: cancel a random live entry, schedule a new one. */
    @Benchmark
    public long replace() {
        final long r = next();
        final int j = (int) r & mask;
        ops.cancel(handles[j]);
        return handles[j] = ops.schedule((r >>> 20) & SPAN_MASK, j);
    }

    /** Reschedule a random entry in place to a uniform deadline (half earlier, half later). */
    @Benchmark
    public boolean rescheduleRandom() {
        final long r = next();
        return ops.reschedule(handles[(int) r & mask], (r >>> 20) & SPAN_MASK);
    }

    /** Reschedule mostly later (keep-alive push-back): now advances, new deadline in now + [S/2, S). */
    @Benchmark
    public boolean pushBack() {
        final long r = next();
        now += 1024;
        final long d = now + (SPAN_MASK >>> 1) + ((r >>> 20) & (SPAN_MASK >>> 1));
        return ops.reschedule(handles[(int) r & mask], d);
    }

    /** Workload (b), hold: poll the earliest (now = its deadline), schedule a new entry after it. */
    @Benchmark
    public long hold() {
        final long t = ops.peekDeadline();
        now = t;
        ops.pollExpired(t, handler, 1);
        return ops.schedule(t + (next() & SPAN_MASK), 0);
    }

    /** Workload (b) fused: replaceTop(now + delay). */
    @Benchmark
    public long holdReplaceTop() {
        final long t = ops.peekDeadline();
        return ops.replaceTop(t + (next() & SPAN_MASK));
    }

    /** Workload (c), burst: schedule 64 entries due in the next 64 ns and drain them (ns per entry). */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public int burst() {
        final long base = now - (1L << 62); // far before every background deadline
        for (int i = 0; i < BURST; i++) {
            ops.schedule(base + 1 + (next() & (BURST - 1)), i);
        }
        now += BURST + 1;
        return ops.pollExpired(base + BURST, handler, Integer.MAX_VALUE);
    }

    static Ops create(final String impl, final int capacity) {
        switch (impl) {
            case "tuned2": return tuned(new TimerHeap(2, capacity));
            case "tuned4": return tuned(new TimerHeap(4, capacity));
            case "tuned8": return tuned(new TimerHeap(8, capacity));
            case "baseline4": return baseline(new BaselineTimerHeap(4, capacity));
            case "lazy4": return lazy(new LazyTimerHeap(4, capacity));
            case "lazyLater4": return lazy(new LazyTimerHeap(4, capacity, false));
            default: throw new IllegalArgumentException("unknown impl: " + impl);
        }
    }

    private static Ops tuned(final TimerHeap h) {
        return new Ops() {
            @Override public long schedule(final long d, final int p) { return h.schedule(d, p); }
            @Override public boolean cancel(final long handle) { return h.cancel(handle); }
            @Override public boolean reschedule(final long handle, final long d) { return h.reschedule(handle, d); }
            @Override public long replaceTop(final long d) { return h.replaceTop(d); }
            @Override public int pollExpired(final long n, final TimerHeap.ExpiryHandler e, final int l) {
                return h.pollExpired(n, e, l);
            }
            @Override public long peekDeadline() { return h.peekDeadline(); }
            @Override public int size() { return h.size(); }
        };
    }

    private static Ops baseline(final BaselineTimerHeap h) {
        return new Ops() {
            @Override public long schedule(final long d, final int p) { return h.schedule(d, p); }
            @Override public boolean cancel(final long handle) { return h.cancel(handle); }
            @Override public boolean reschedule(final long handle, final long d) { return h.reschedule(handle, d); }
            @Override public long replaceTop(final long d) { return h.replaceTop(d); }
            @Override public int pollExpired(final long n, final TimerHeap.ExpiryHandler e, final int l) {
                return h.pollExpired(n, e, l);
            }
            @Override public long peekDeadline() { return h.peekDeadline(); }
            @Override public int size() { return h.size(); }
        };
    }

    private static Ops lazy(final LazyTimerHeap h) {
        return new Ops() {
            @Override public long schedule(final long d, final int p) { return h.schedule(d, p); }
            @Override public boolean cancel(final long handle) { return h.cancel(handle); }
            @Override public boolean reschedule(final long handle, final long d) { return h.reschedule(handle, d); }
            @Override public long replaceTop(final long d) { return h.replaceTop(d); }
            @Override public int pollExpired(final long n, final TimerHeap.ExpiryHandler e, final int l) {
                return h.pollExpired(n, e, l);
            }
            @Override public long peekDeadline() { return h.peekDeadline(); }
            @Override public int size() { return h.size(); }
        };
    }
}
