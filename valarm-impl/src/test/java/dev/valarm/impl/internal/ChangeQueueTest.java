package dev.valarm.impl.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.impl.sim.SimulatedMachine;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The bounded MPSC change queue on its own: order, the full case, and no element lost or doubled under contention. */
class ChangeQueueTest {
    private Device device;
    private final List<Instance> instances = new ArrayList<>();

    @BeforeEach
    void setUp() {
        device = (Device) SimulatedMachine.builder().build().newDevice(b -> b.maxInstances(4096));
        for (int i = 0; i < 4096; i++) {
            instances.add((Instance) device.createInstance());
        }
    }

    @AfterEach
    void tearDown() {
        device.close();
    }

    @Test
    void elementsComeOutInOrderAndAFullQueueRefuses() {
        final ChangeQueue q = new ChangeQueue(4);
        assertTrue(q.isEmpty());
        for (int i = 0; i < 4; i++) {
            assertTrue(q.offer(instances.get(i)));
        }
        assertFalse(q.offer(instances.get(4)), "full: refused, nothing added");
        assertFalse(q.isEmpty());
        final List<Instance> out = new ArrayList<>();
        assertEquals(4, q.drain(out::add));
        assertEquals(instances.subList(0, 4), out);
        assertTrue(q.isEmpty());
        // The freed slots are reused across the wrap.
        for (int round = 0; round < 10; round++) {
            assertTrue(q.offer(instances.get(round)));
            assertTrue(q.offer(instances.get(round + 1)));
            out.clear();
            assertEquals(2, q.drain(out::add));
            assertEquals(List.of(instances.get(round), instances.get(round + 1)), out);
        }
        assertEquals(0, q.drain(out::add));
    }

    @Test
    void capacityMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new ChangeQueue(3));
        assertThrows(IllegalArgumentException.class, () -> new ChangeQueue(1));
        assertEquals(1024, new ChangeQueue(1024).capacity());
    }

    @Test
    void concurrentProducersLoseAndDoubleNothing() throws Exception {
        final ChangeQueue q = new ChangeQueue(64);
        final int producers = 4;
        final int perProducer = 50_000;
        final CountDownLatch go = new CountDownLatch(1);
        final AtomicInteger refused = new AtomicInteger();
        final List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            final int first = p * 1024;
            final Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (final InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perProducer; i++) {
                    final Instance in = instances.get(first + i % 1024);
                    while (!q.offer(in)) {
                        refused.incrementAndGet();
                        Thread.onSpinWait();
                    }
                }
            });
            t.start();
            threads.add(t);
        }
        final Map<Instance, Integer> seen = new IdentityHashMap<>();
        go.countDown();
        int total = 0;
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (total < producers * perProducer && System.nanoTime() < end) {
            total += q.drain(in -> seen.merge(in, 1, Integer::sum));
        }
        for (final Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        assertEquals(producers * perProducer, total, "every offered element drained once");
        for (int p = 0; p < producers; p++) {
            for (int i = 0; i < 1024; i++) {
                final int expected = perProducer / 1024 + (i < perProducer % 1024 ? 1 : 0);
                assertEquals(expected, seen.getOrDefault(instances.get(p * 1024 + i), 0), "instance " + (p * 1024 + i));
            }
        }
        assertTrue(q.isEmpty());
    }
}
