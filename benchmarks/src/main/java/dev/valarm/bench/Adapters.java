package dev.valarm.bench;

import dev.valarm.impl.internal.HybridTimerQueue;
import dev.valarm.impl.internal.TimerHeap;

/**
 * Creates an adapter by the name used in the benchmarks' {@code impl} parameter.
 *
 * <p>Thread-safety: stateless.
 */
public final class Adapters {
    /** Every name, for documentation and the footprint tool. */
    public static final String[] ALL = {
        "heap2", "heap4", "heap8", "heap4-tick", "hybrid", "hybrid-tick", "pq", "stpe", "stpeQueue", "nettyDpq", "agronaWheel", "nettyHwt",
    };

    private Adapters() {
    }

    /**
     * A new adapter.
     *
     * @param impl one of {@link #ALL}
     * @param capacity the most live entries it must hold
     * @return the adapter
     * @throws IllegalArgumentException for an unknown name
     */
    public static TimerAdapter create(final String impl, final int capacity) {
        switch (impl) {
            case "heap2":
                return new HeapAdapter(new TimerHeap(2, Math.max(1, capacity)), false);
            case "heap4":
                return new HeapAdapter(new TimerHeap(4, Math.max(1, capacity)), false);
            case "heap8":
                return new HeapAdapter(new TimerHeap(8, Math.max(1, capacity)), false);
            case "heap4-tick":
                return new HeapAdapter(new TimerHeap(4, Math.max(1, capacity)), true);
            case "hybrid":
                return new HeapAdapter(new HybridTimerQueue(Math.max(1, capacity)), false);
            case "hybrid-tick":
                return new HeapAdapter(new HybridTimerQueue(Math.max(1, capacity)), true);
            case "pq":
                return new PriorityQueueAdapter(capacity);
            case "stpe":
                return new StpeAdapter(capacity);
            case "stpeQueue":
                return new StpeQueueAdapter(capacity);
            case "nettyDpq":
                return new NettyDpqAdapter(capacity);
            case "agronaWheel":
                return new AgronaWheelAdapter(capacity);
            case "nettyHwt":
                return new NettyHwtAdapter(capacity);
            default:
                throw new IllegalArgumentException("unknown impl: " + impl);
        }
    }
}
