package dev.valarm.bench;

import dev.valarm.impl.internal.HybridTimerQueue;
import dev.valarm.impl.internal.TimerHeap;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Workload M1, footprint: the heap memory retained per live entry, measured as the difference of the
 * used heap (after repeated full GCs) before and after filling each structure with {@code size}
 * entries. The adapter's own handle table is included for the object-based peers (it is what a
 * handle-based API needs); the caller's array of handles is allocated before the baseline and excluded
 * for everyone. {@code heap4-grown} and {@code hybrid-grown} start our structures at capacity 16 and let
 * them grow, to show the cost of not pre-sizing. Run it with a serial collector so that "used after a full
 * GC" is the live size:
 * {@code java -XX:+UseSerialGC -Xms4g -Xmx4g -cp benchmarks/target/benchmarks.jar
 * dev.valarm.bench.Footprint 1048576 results/footprint.json heap4 heap4-grown nettyDpq ...}.
 *
 * <p>Thread-safety: a command-line tool, single-threaded.
 */
public final class Footprint {
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private Footprint() {
    }

    private static long usedAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, MEMORY.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /**
     * Measures and prints bytes per entry, and writes them as JSON.
     *
     * @param args size, output file, then implementation names (default: all but the real-clock ones)
     * @throws Exception on I/O failure or interruption
     */
    public static void main(final String[] args) throws Exception {
        final int size = args.length > 0 ? Integer.parseInt(args[0]) : 1 << 20;
        final Path out = args.length > 1 ? Path.of(args[1]) : null;
        final List<String> impls = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            impls.add(args[i]);
        }
        if (impls.isEmpty()) {
            impls.addAll(List.of("heap2", "heap4", "heap8", "heap4-grown", "hybrid", "hybrid-grown", "pq", "stpeQueue",
                    "nettyDpq", "agronaWheel", "stpe", "nettyHwt"));
        }
        final long[] deadlines = Workloads.deltas(3);
        final StringBuilder json = new StringBuilder("[\n");
        for (final String impl : impls) {
            final long before = usedAfterGc();
            final TimerAdapter adapter = "heap4-grown".equals(impl)
                    ? new HeapAdapter(new TimerHeap(4, 16), false)
                    : "hybrid-grown".equals(impl) ? new HeapAdapter(new HybridTimerQueue(16), false)
                    : Adapters.create(impl, size);
            for (int i = 0; i < size; i++) {
                adapter.schedule(deadlines[i & Workloads.MASK]);
            }
            if (adapter instanceof NettyHwtAdapter) {
                Thread.sleep(500); // let the worker move the timeouts from its queue into the buckets
            }
            final long after = usedAfterGc();
            final int live = adapter.size();
            Reference.reachabilityFence(adapter);
            adapter.close();
            final double perEntry = (double) (after - before) / size;
            System.out.printf(Locale.ROOT, "%-12s size=%d live=%d retained=%d B  %.1f B/entry%n",
                    impl, size, live, after - before, perEntry);
            if (json.length() > 2) {
                json.append(",\n");
            }
            json.append(String.format(Locale.ROOT,
                    "  {\"impl\":\"%s\",\"size\":%d,\"retainedBytes\":%d,\"bytesPerEntry\":%.2f}",
                    impl, size, after - before, perEntry));
        }
        json.append("\n]\n");
        if (out != null) {
            try {
                Files.writeString(out, json.toString(), StandardCharsets.UTF_8);
            } catch (final IOException e) {
                throw new IOException("cannot write " + out, e);
            }
        }
    }
}
