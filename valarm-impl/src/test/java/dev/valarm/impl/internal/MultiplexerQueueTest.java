package dev.valarm.impl.internal;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.DeviceListener;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.WakeAlarm;
import dev.valarm.spi.WakeReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The multiplexer's hand-over from callers to the dispatcher (issue 14): the bounded change queue when full,
 * changes overtaken before they are applied, stale lower-bound keys, the idle handshake, and waking the
 * dispatcher only when a change needs it.
 */
class MultiplexerQueueTest {
    private static final long SEC = 1_000_000_000L;

    private SimulatedMachine machine;
    private Device device;
    /** Every firing: minor, type number, host deadline, host now. */
    private final List<long[]> firings = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        if (device != null) {
            device.close();
        }
    }

    private Device start(final HostClocks clocks, final int queueCapacity) {
        device = new Device(clocks, machine.rtc(), machine.suspendBlocker(), ForkJoinPool.commonPool(), 8192, 64,
                Duration.ofSeconds(1), "valarm-dispatcher", DeviceListener.NONE, queueCapacity);
        device.observeDeliveries(DeliveryObserver.of(machine.clocks()));
        DriverAccess.probeFirings(device, (instance, type, deadline, now) ->
                firings.add(new long[] {instance.minor(), type.number(), deadline, now}));
        machine.clocks().awaitAttached();
        machine.awaitIdle();
        return device;
    }

    private Device start(final int queueCapacity) {
        machine = SimulatedMachine.builder().build();
        return start(machine.clocks(), queueCapacity);
    }

    private static Timespec in(final AlarmHandle h, final AlarmType type, final double seconds) {
        return Timespec.ofNanos(h.getTime(type).toNanos() + (long) (seconds * SEC));
    }

    private List<AlarmHandle> owners(final int n) {
        final List<AlarmHandle> hs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            hs.add(device.createInstance().open(OpenMode.READ_WRITE));
        }
        return hs;
    }

    @Test
    void aFullQueueMakesTheCallerApplyItsChangeNothingIsLost() throws Exception {
        start(2);
        final List<AlarmHandle> hs = owners(40);
        final long bt0 = machine.nanos(ClockBase.BOOTTIME);
        // The test holds the heap lock: the dispatcher cannot drain, so the queue fills at once.
        device.heapLock.lock();
        try {
            for (int i = 0; i < hs.size(); i++) {
                hs.get(i).set(i % 2 == 0 ? ELAPSED_REALTIME_WAKEUP : ELAPSED_REALTIME, in(hs.get(i), ELAPSED_REALTIME, 40 - i));
            }
        } finally {
            device.heapLock.unlock();
        }
        assertTrue(device.queueFullFallbacks() > 0, "callers applied changes themselves");
        machine.awaitIdle();
        assertEquals(new WakeAlarm(true, false, Timespec.ofNanos(machine.rtc().readTime().toNanos() + 2 * SEC)),
                machine.rtc().alarm(), "the earliest wakeup alarm (instance 38, +2 s) is programmed");
        machine.advance(Duration.ofSeconds(41));
        assertEquals(40, firings.size());
        for (final long[] f : firings) {
            final int i = (int) f[0] - hs.get(0).instance().minor();
            assertEquals(bt0 + (40 - i) * SEC, f[2], "deadline of instance " + i);
            assertEquals(f[2], f[3], "fired exactly at its time: instance " + i);
        }
        assertEquals(0, device.stats().armedAlarms());
        assertEquals(40, device.stats().alarmsFired());
    }

    @Test
    void manyThreadsOnAFullQueueLoseNothing() throws Exception {
        start(2);
        final List<AlarmHandle> hs = owners(800);
        final AtomicInteger failures = new AtomicInteger();
        final List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            final int first = w * 100;
            final Thread t = new Thread(() -> {
                try {
                    for (int round = 0; round < 20; round++) {
                        for (int i = first; i < first + 100; i++) {
                            final AlarmHandle h = hs.get(i);
                            final AlarmType type = AlarmType.of(i % AlarmType.COUNT);
                            if (round % 3 == 2) {
                                h.clear(type);
                            } else {
                                h.set(type, in(h, type, 1 + (i + round) % 50));
                            }
                        }
                    }
                    for (int i = first; i < first + 100; i++) {
                        final AlarmHandle h = hs.get(i);
                        final AlarmType type = AlarmType.of(i % AlarmType.COUNT);
                        h.set(type, in(h, type, 1 + i % 50));
                    }
                } catch (final RuntimeException e) {
                    failures.incrementAndGet();
                    throw e;
                }
            });
            t.start();
            threads.add(t);
        }
        for (final Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(t.isAlive(), "a caller is stuck");
        }
        assertEquals(0, failures.get());
        assertEquals(800, device.stats().armedAlarms());
        machine.advance(Duration.ofSeconds(51));
        assertEquals(800, firings.size(), "every last SET fired once, nothing that was cleared or replaced");
        for (final long[] f : firings) {
            final int i = (int) f[0] - hs.get(0).instance().minor();
            final AlarmType type = AlarmType.of(i % AlarmType.COUNT);
            assertEquals(type.number(), (int) f[1]);
            assertTrue(f[3] >= f[2], "never early");
        }
        assertEquals(0, device.stats().armedAlarms());
    }

    @Test
    void aChangeOvertakenBeforeItIsAppliedNeverFires() throws Exception {
        start(16);
        final List<AlarmHandle> hs = owners(2);
        final AlarmHandle a = hs.get(0);
        final AlarmHandle b = hs.get(1);
        device.heapLock.lock(); // nothing is applied meanwhile
        try {
            a.set(ELAPSED_REALTIME_WAKEUP, in(a, ELAPSED_REALTIME_WAKEUP, 5));
            a.set(ELAPSED_REALTIME_WAKEUP, in(a, ELAPSED_REALTIME_WAKEUP, 20)); // replaces: coalesced with the first
            b.set(ELAPSED_REALTIME_WAKEUP, in(b, ELAPSED_REALTIME_WAKEUP, 3));
            b.clear(ELAPSED_REALTIME_WAKEUP);
            b.set(ELAPSED_REALTIME, in(b, ELAPSED_REALTIME, 4));
            b.clear(ELAPSED_REALTIME);
        } finally {
            device.heapLock.unlock();
        }
        machine.advance(Duration.ofSeconds(19));
        assertEquals(List.of(), firings, "neither the replaced nor the cleared alarms fired");
        machine.advance(Duration.ofSeconds(1));
        assertEquals(1, firings.size());
        assertEquals(a.instance().minor(), firings.get(0)[0]);
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), a.await(Duration.ZERO).mask());
        assertEquals(0, b.await(Duration.ZERO).mask());
    }

    /**
     * The dispatcher has popped a due entry and waits for the instance's lock to fire it; meanwhile the owner
     * clears or replaces the alarm. The entry is stale by then: nothing may fire (replaced: only at the new
     * time). Both an exact wakeup heap and a lower-bound (non-wakeup) heap.
     */
    @Test
    void aClearOrReplaceBetweenPopAndFiringFiresNothingStale() throws Exception {
        start(16);
        final AlarmHandle h = owners(1).get(0);
        final long bt0 = machine.nanos(ClockBase.BOOTTIME);
        final InstanceLock il = DriverAccess.lock(h.instance());
        int round = 0;
        for (final AlarmType type : new AlarmType[] {ELAPSED_REALTIME_WAKEUP, ELAPSED_REALTIME}) {
            for (final boolean replace : new boolean[] {false, true}) {
                final long base = bt0 + round * 100 * SEC;
                h.set(type, Timespec.ofNanos(base + 5 * SEC));
                machine.awaitIdle();
                final CompletableFuture<Void> advanced;
                il.lock();
                try {
                    advanced = CompletableFuture.runAsync(() -> machine.advance(Duration.ofNanos(base + 6 * SEC
                            - machine.nanos(ClockBase.BOOTTIME))));
                    final long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (!il.hasQueuedThreads()) { // the dispatcher popped the entry and waits to fire it
                        assertTrue(System.nanoTime() < giveUp, "the dispatcher never came for the instance's lock");
                        Thread.onSpinWait();
                    }
                    if (replace) {
                        h.set(type, Timespec.ofNanos(base + 9 * SEC));
                    } else {
                        h.clear(type);
                    }
                } finally {
                    il.unlock();
                }
                advanced.get(30, TimeUnit.SECONDS);
                assertEquals(List.of(), firings, type + (replace ? " replaced" : " cleared") + ": the popped entry fired");
                assertEquals(0, h.await(Duration.ZERO).mask());
                if (replace) {
                    machine.advance(Duration.ofSeconds(3));
                    assertEquals(1, firings.size(), type + ": the replacement fires");
                    assertEquals(base + 9 * SEC, firings.get(0)[2]);
                    assertEquals(base + 9 * SEC, firings.get(0)[3], type + ": at its own time");
                    assertEquals(type.mask(), h.await(Duration.ZERO).mask());
                    firings.clear();
                }
                round++;
            }
        }
        assertEquals(WakeAlarm.DISABLED, machine.rtc().alarm());
    }

    @Test
    void aStaleLowerBoundKeyIsReKeyedNeverFired() throws Exception {
        start(16);
        final AlarmHandle h = owners(1).get(0);
        final long bt0 = machine.nanos(ClockBase.BOOTTIME);
        h.set(ELAPSED_REALTIME, in(h, ELAPSED_REALTIME, 5));
        machine.awaitIdle();
        h.clear(ELAPSED_REALTIME); // leaves a tombstone at +5
        h.set(ELAPSED_REALTIME, in(h, ELAPSED_REALTIME, 10)); // later than the key: the heaps keep +5 as a lower bound
        h.set(ELAPSED_REALTIME, in(h, ELAPSED_REALTIME, 12));
        machine.advance(Duration.ofSeconds(6));
        assertEquals(List.of(), firings, "the stale key came due: re-keyed, not fired");
        machine.advance(Duration.ofSeconds(6));
        assertEquals(1, firings.size());
        assertEquals(bt0 + 12 * SEC, firings.get(0)[2]);
        assertEquals(bt0 + 12 * SEC, firings.get(0)[3], "at its time, not at the stale key's");
        // Earlier than the key: applied at once.
        h.set(ELAPSED_REALTIME, in(h, ELAPSED_REALTIME, 30));
        machine.awaitIdle();
        h.set(ELAPSED_REALTIME, in(h, ELAPSED_REALTIME, 2));
        machine.advance(Duration.ofSeconds(2));
        assertEquals(2, firings.size());
        assertEquals(bt0 + 14 * SEC, firings.get(1)[3]);
    }

    @Test
    void setRtcMovesAWallClockAlarmEitherWay() throws Exception {
        start(16);
        final AlarmHandle h = owners(1).get(0);
        final long rt0 = machine.nanos(ClockBase.REALTIME);
        h.set(RTC, in(h, RTC, 100));
        machine.awaitIdle();
        h.setRtc(Timespec.ofNanos(h.getTime(RTC).toNanos() + 50 * SEC)); // 50 s later on the instance: due in 50 s
        machine.advance(Duration.ofSeconds(49));
        assertEquals(List.of(), firings);
        machine.advance(Duration.ofSeconds(1));
        assertEquals(1, firings.size());
        assertEquals(rt0 + 50 * SEC, firings.get(0)[3]);
        h.set(RTC, in(h, RTC, 10));
        machine.awaitIdle();
        h.setRtc(Timespec.ofNanos(h.getTime(RTC).toNanos() - 20 * SEC)); // back: due in 30 s, never at the old key
        machine.advance(Duration.ofSeconds(29));
        assertEquals(1, firings.size(), "not early");
        machine.advance(Duration.ofSeconds(1));
        assertEquals(2, firings.size());
        assertEquals(rt0 + 80 * SEC, firings.get(1)[3]);
    }

    @Test
    void theIdleHandshakeWaitsUntilAQueuedChangeIsApplied() throws Exception {
        start(16);
        final AlarmHandle h = owners(1).get(0);
        final CompletableFuture<Void> holding = new CompletableFuture<>();
        final CompletableFuture<Void> release = new CompletableFuture<>();
        final Thread holder = new Thread(() -> {
            device.heapLock.lock();
            try {
                holding.complete(null);
                release.join();
            } finally {
                device.heapLock.unlock();
            }
        });
        holder.start();
        holding.get(10, TimeUnit.SECONDS);
        h.set(ELAPSED_REALTIME_WAKEUP, in(h, ELAPSED_REALTIME_WAKEUP, 3));
        final CompletableFuture<Void> idle = CompletableFuture.runAsync(machine::awaitIdle);
        assertThrows(TimeoutException.class, () -> idle.get(300, TimeUnit.MILLISECONDS),
                "not idle while the change is queued and not applied");
        release.complete(null);
        idle.get(10, TimeUnit.SECONDS);
        assertTrue(machine.rtc().alarm().enabled(), "applied and programmed once idle");
        holder.join(10_000);
    }

    @Test
    void theDispatcherIsWokenOnlyWhenAChangeNeedsIt() throws Exception {
        machine = SimulatedMachine.builder().build();
        final CountingClocks clocks = new CountingClocks(machine.clocks());
        start(clocks, 16);
        final List<AlarmHandle> hs = owners(4);
        final AlarmHandle a = hs.get(0);
        final AlarmHandle b = hs.get(1);
        final AlarmHandle c = hs.get(2);
        final AlarmHandle d = hs.get(3);
        int w = clocks.wakeups.get();
        a.set(ELAPSED_REALTIME_WAKEUP, in(a, ELAPSED_REALTIME_WAKEUP, 10));
        assertEquals(w + 1, clocks.wakeups.get(), "a new earliest wakeup alarm wakes the dispatcher");
        machine.awaitIdle();
        w = clocks.wakeups.get();
        b.set(ELAPSED_REALTIME_WAKEUP, in(b, ELAPSED_REALTIME_WAKEUP, 20));
        c.set(ELAPSED_REALTIME, in(c, ELAPSED_REALTIME, 30));
        c.clear(ELAPSED_REALTIME);
        c.set(ELAPSED_REALTIME, in(c, ELAPSED_REALTIME, 30));
        assertEquals(w, clocks.wakeups.get(), "changes behind the heads wake nobody");
        d.set(ELAPSED_REALTIME, in(d, ELAPSED_REALTIME, 5));
        assertEquals(w + 1, clocks.wakeups.get(), "an earlier non-wakeup deadline wakes the dispatcher");
        machine.awaitIdle();
        w = clocks.wakeups.get();
        b.clear(ELAPSED_REALTIME_WAKEUP);
        assertEquals(w, clocks.wakeups.get(), "clearing a wakeup alarm behind the head wakes nobody");
        a.clear(ELAPSED_REALTIME_WAKEUP);
        assertEquals(w + 1, clocks.wakeups.get(), "clearing the head does: the hardware alarm must go");
        machine.advance(Duration.ofSeconds(31));
        assertEquals(2, firings.size(), "c and d fired, a and b were cleared");
        assertEquals(WakeAlarm.DISABLED, machine.rtc().alarm(), "no wakeup alarm left");
    }

    @Test
    void aClosedInstanceNeverFiresAndItsMinorStartsClean() throws Exception {
        start(16);
        final ValarmInstance old = device.createInstance(dev.valarm.InstanceConfig.builder().minor(77).build());
        final AlarmHandle h = old.open(OpenMode.READ_WRITE);
        device.heapLock.lock();
        try {
            h.set(ELAPSED_REALTIME_WAKEUP, in(h, ELAPSED_REALTIME_WAKEUP, 5));
            h.set(ELAPSED_REALTIME, in(h, ELAPSED_REALTIME, 5));
        } finally {
            device.heapLock.unlock();
        }
        machine.awaitIdle();
        old.close();
        final AlarmHandle reborn = device.createInstance(dev.valarm.InstanceConfig.builder().minor(77).build())
                .open(OpenMode.READ_WRITE);
        reborn.set(ELAPSED_REALTIME, in(reborn, ELAPSED_REALTIME, 8));
        machine.advance(Duration.ofSeconds(7));
        assertEquals(List.of(), firings, "the closed instance's entries fire nothing");
        machine.advance(Duration.ofSeconds(1));
        assertEquals(1, firings.size());
        assertEquals(ELAPSED_REALTIME.mask(), reborn.await(Duration.ZERO).mask());
        assertEquals(WakeAlarm.DISABLED, machine.rtc().alarm());
    }

    /** Host clocks that count the dispatcher's wake-ups (and, not being registered, give the real-clock wake rule). */
    private static final class CountingClocks implements HostClocks {
        private final HostClocks delegate;
        final AtomicInteger wakeups = new AtomicInteger();

        CountingClocks(final HostClocks delegate) {
            this.delegate = delegate;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public long nanos(final ClockBase base) {
            return delegate.nanos(base);
        }

        @Override
        public boolean canSetRealtime() {
            return delegate.canSetRealtime();
        }

        @Override
        public void setRealtime(final long epochNanos) {
            delegate.setRealtime(epochNanos);
        }

        @Override
        public WakeReason awaitDeadline(final long realtimeDeadline, final long boottimeDeadline, final long monotonicDeadline) {
            return delegate.awaitDeadline(realtimeDeadline, boottimeDeadline, monotonicDeadline);
        }

        @Override
        public void wakeup() {
            wakeups.incrementAndGet();
            delegate.wakeup();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
