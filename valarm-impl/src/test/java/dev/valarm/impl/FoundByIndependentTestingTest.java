package dev.valarm.impl;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockRangeException;
import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.InstanceSnapshot;
import dev.valarm.OpenMode;
import dev.valarm.RestoreOptions;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmException;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.sim.SimulatedClocks;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for the defects of issue 15 ("found by independent testing"), each through the public
 * API as the tester found it. Defect 1 is {@link dev.valarm.impl.reliability.HardwareConvergenceTest}; the value-level part of defect
 * 2 is {@code TimespecBoundaryTest} in valarm-api.
 */
class FoundByIndependentTestingTest extends SimFixture {

    private static Timespec in(final ValarmInstance i, final AlarmType type, final long seconds) {
        return Timespec.ofNanos(i.now(type).toNanos() + seconds * SEC);
    }

    /** Defect 2: a time just below the 64-bit nanosecond range is in the past and fires at once. */
    @Test
    void defect2ATimeJustBelowTheNanosecondRangeFiresAtOnce() throws Exception {
        for (final AlarmType type : new AlarmType[] {RTC, ELAPSED_REALTIME}) {
            rw.set(type, new Timespec(-9_223_372_037L, 0));
            machine.awaitIdle();
            assertFalse(inst.snapshot().alarm(type).isPresent(), "fired, not armed for 2262: " + inst.snapshot());
            assertEquals(type.mask(), rw.await(Duration.ZERO).mask(), type + " fired at once");
        }
    }

    /**
     * Defect 3, the scenario of the issue: with {@code callbackExecutor(Runnable::run)} an asynchronous
     * wait's callback ran on the dispatcher inside the expiry loop; blocking in another handle's WAIT
     * released the device lock mid-expiry, another thread armed C meanwhile, and the expiry loop then
     * removed C's entry in place of A's: A fired twice, C never, {@code armedAlarms} read 0.
     */
    @Test
    void defect3ACallbackThatBlocksInAnotherWaitCannotCorruptTheExpiryLoop() throws Exception {
        device.close();
        device = machine.newDevice(b -> b.callbackExecutor(Runnable::run));
        final ValarmInstance a = device.createInstance();
        final ValarmInstance b = device.createInstance();
        final ValarmInstance c = device.createInstance();
        final AlarmHandle ha = a.open(OpenMode.READ_WRITE);
        final AlarmHandle hb = b.open(OpenMode.READ_WRITE);
        final AlarmHandle hc = c.open(OpenMode.READ_WRITE);
        hb.clear(RTC); // hb owns b
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch done = new CountDownLatch(1);
        ha.set(ELAPSED_REALTIME, in(a, ELAPSED_REALTIME, 1));
        ha.awaitAsync().thenRun(() -> {
            entered.countDown();
            try {
                hb.await(Duration.ofSeconds(10)); // user code that waits on the device
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done.countDown();
        });
        machine.clocks().pass(Duration.ofSeconds(1).toNanos(), false); // A comes due; do not wait for idle
        assertTrue(entered.await(10, TimeUnit.SECONDS), "the callback ran");
        hc.set(ELAPSED_REALTIME, Timespec.ZERO); // while the callback waits: C is due at once
        b.open(OpenMode.READ_WRITE).setRtc(b.now(RTC)); // releases the callback's WAIT (time-change on b)
        assertTrue(done.await(10, TimeUnit.SECONDS), "the callback returned");
        machine.awaitIdle();
        assertEquals(ELAPSED_REALTIME.mask(), hc.await(Duration.ZERO).mask(), "C fired: " + c.snapshot() + "; A: " + a.snapshot() + "; " + device.stats());
        assertEquals(0, ha.await(Duration.ZERO).mask(), "A fired once (its one event went to the callback)");
        assertFalse(c.snapshot().alarm(ELAPSED_REALTIME).isPresent(), "C is not left armed");
        assertEquals(0, device.stats().armedAlarms());
        assertEquals(2, device.stats().alarmsFired());
    }

    /** Defect 3: a same-thread callback that blocks does not block the dispatcher: other alarms fire meanwhile. */
    @Test
    void defect3ABlockedSameThreadCallbackDoesNotStopTheDispatcher() throws Exception {
        device.close();
        device = machine.newDevice(b -> b.callbackExecutor(Runnable::run));
        final ValarmInstance a = device.createInstance();
        final ValarmInstance c = device.createInstance();
        final AlarmHandle ha = a.open(OpenMode.READ_WRITE);
        final AlarmHandle hc = c.open(OpenMode.READ_WRITE);
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean returned = new AtomicBoolean();
        ha.awaitAsync().thenRun(() -> {
            entered.countDown();
            try {
                release.await(5, TimeUnit.SECONDS); // blocks (bounded so that the old code cannot hang the test)
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            returned.set(true);
        });
        ha.set(ELAPSED_REALTIME, Timespec.ZERO);
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        hc.set(ELAPSED_REALTIME_WAKEUP, Timespec.ZERO);
        final AlarmEvents ev = hc.await(Duration.ofSeconds(4));
        final boolean stillBlocked = !returned.get();
        release.countDown();
        assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), ev.mask(), "C fired");
        assertTrue(stillBlocked, "C fired while the callback was still blocked");
        machine.awaitIdle();
    }

    /** Defect 3: listeners are user code too: never called under the device lock, nor on the dispatcher. */
    @Test
    void defect3ListenersRunOutsideTheLockAndOffTheDispatcher() throws Exception {
        device.close();
        final List<String> wrong = new CopyOnWriteArrayList<>();
        final List<String> calls = new CopyOnWriteArrayList<>();
        final ReentrantLock[] lock = new ReentrantLock[1];
        final DeviceListener listener = new DeviceListener() {
            private void check(final String what) {
                calls.add(what);
                if (lock[0] != null && lock[0].isHeldByCurrentThread()) {
                    wrong.add(what + " under the device lock");
                }
                if (Thread.currentThread().getName().equals("valarm-dispatcher")) {
                    wrong.add(what + " on the dispatcher");
                }
            }

            @Override
            public void alarmFired(final int minor, final AlarmType type, final long deadline, final long now) {
                check("alarmFired");
            }

            @Override
            public void hardwareProgrammed(final Timespec at, final boolean clamped, final long remaining, final boolean written) {
                check("hardwareProgrammed");
            }

            @Override
            public void hardwareCancelled(final boolean written) {
                check("hardwareCancelled");
            }

            @Override
            public void hardwareFired() {
                check("hardwareFired");
            }
        };
        device = machine.newDevice(b -> b.listener(listener));
        lock[0] = DriverAccess.lock(device);
        final ValarmInstance a = device.createInstance();
        final AlarmHandle ha = a.open(OpenMode.READ_WRITE);
        ha.set(ELAPSED_REALTIME_WAKEUP, in(a, ELAPSED_REALTIME_WAKEUP, 10));
        machine.awaitIdle();
        machine.suspend(Duration.ofMinutes(1));
        ha.clear(ELAPSED_REALTIME_WAKEUP);
        ha.set(ELAPSED_REALTIME, Timespec.ZERO);
        machine.awaitIdle();
        assertTrue(calls.containsAll(List.of("alarmFired", "hardwareProgrammed", "hardwareFired")), calls.toString());
        assertEquals(List.of(), wrong);
    }

    /** A device whose callback executor only queues; the test runs the queue. */
    private LinkedBlockingQueue<Runnable> queueingDevice() {
        device.close();
        final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
        device = machine.newDevice(b -> b.callbackExecutor(queue::add));
        inst = device.createInstance();
        rw = inst.open(OpenMode.READ_WRITE);
        return queue;
    }

    /**
     * Fires ELAPSED_REALTIME into a pending asynchronous wait and waits (on the executor's queue, bounded)
     * until its completion has reached the executor; the completion stays queued.
     */
    private CompletableFuture<AlarmEvents> fireIntoAsyncWait(final LinkedBlockingQueue<Runnable> queue)
            throws InterruptedException {
        final CompletableFuture<AlarmEvents> f = rw.awaitAsync();
        rw.set(ELAPSED_REALTIME, Timespec.ZERO); // fires at once; the waiter takes the event
        final Runnable completion = queue.poll(10, TimeUnit.SECONDS);
        assertTrue(completion != null, "the completion reached the executor");
        queue.add(completion);
        return f;
    }

    private static void runAll(final LinkedBlockingQueue<Runnable> queue) {
        Runnable r;
        while ((r = queue.poll()) != null) {
            r.run();
        }
    }

    /** Defect 4, the sequence: cancel, CLEAR, run the executor: the cleared event must not come back. */
    @Test
    void defect4AClearDropsTheEventACancelledAsynchronousWaiterGivesBack() throws Exception {
        final LinkedBlockingQueue<Runnable> queue = queueingDevice();
        final CompletableFuture<AlarmEvents> f = fireIntoAsyncWait(queue);
        assertTrue(f.cancel(false), "cancelled before its completion ran");
        rw.clear(ELAPSED_REALTIME);
        runAll(queue);
        assertEquals(0, rw.await(Duration.ZERO).mask(), "the cleared event stays cleared");
    }

    /** Defect 4: the events of a cancelled waiter come back at once (not later, on the executor), and once. */
    @Test
    void defect4ACancelledAsynchronousWaiterGivesItsEventsBackAtOnceAndOnlyOnce() throws Exception {
        final LinkedBlockingQueue<Runnable> queue = queueingDevice();
        final CompletableFuture<AlarmEvents> f = fireIntoAsyncWait(queue);
        assertTrue(f.cancel(false));
        assertEquals(ELAPSED_REALTIME.mask(), rw.await(Duration.ZERO).mask(), "given back by the cancel itself");
        runAll(queue);
        assertEquals(0, rw.await(Duration.ZERO).mask(), "not a second time from the executor");
    }

    /**
     * Defect 4: a completion that bypasses the future's methods (obtrudeValue) still gives the events back
     * when the device's completion fails, minus the types cleared since the waiter took them.
     */
    @Test
    void defect4EventsGivenBackAfterAForeignCompletionHonourClearsSinceTheyWereTaken() throws Exception {
        final LinkedBlockingQueue<Runnable> queue = queueingDevice();
        final CompletableFuture<AlarmEvents> f = fireIntoAsyncWait(queue);
        f.obtrudeValue(AlarmEvents.NONE);
        rw.clear(ELAPSED_REALTIME);
        runAll(queue);
        assertEquals(0, rw.await(Duration.ZERO).mask(), "cleared while in flight: dropped");
        final CompletableFuture<AlarmEvents> g = fireIntoAsyncWait(queue);
        g.obtrudeValue(AlarmEvents.NONE);
        runAll(queue);
        assertEquals(ELAPSED_REALTIME.mask(), rw.await(Duration.ZERO).mask(), "not cleared: given back, not lost");
    }

    /** The one error of the clock-range rule: ERANGE, of one type whatever the call. */
    private static ValarmException assertClockRange(final Executable call, final String what) {
        final ValarmException e = assertThrows(ClockRangeException.class, call, what);
        assertEquals(Errno.ERANGE, e.errno(), what + ": " + e);
        return e;
    }

    /** Defect 5: an offset beyond about 292 years is the same typed ERANGE for createInstance and unshare. */
    @Test
    void defect5AnOffsetTooLargeIsOneTypedErangeForCreateAndUnshare() {
        final int before = device.instances().size();
        final Duration far = Duration.ofDays(365L * 300);
        for (final InstanceConfig c : new InstanceConfig[] {InstanceConfig.builder().wallClockOffset(far).build(),
            InstanceConfig.builder().boottimeOffset(far).build(), InstanceConfig.builder().monotonicOffset(far.negated()).build()}) {
            assertClockRange(() -> device.createInstance(c), "createInstance " + c);
            assertClockRange(() -> inst.unshare(c, true), "unshare " + c);
        }
        assertEquals(before, device.instances().size(), "nothing created");
    }

    /** Defect 6: a clock that would saturate within the horizon is refused, so it can never freeze. */
    @Test
    void defect6AClockOrOffsetThatWouldSaturateIsRefused() {
        final Timespec now = inst.now(RTC);
        assertClockRange(() -> rw.setRtc(Timespec.ofNanos(Long.MAX_VALUE - 1_000_000_000L)), "setRtc(max - 1 s)");
        assertClockRange(() -> rw.setRtc(new Timespec(4_611_686_019L, 0)), "setRtc just past the range");
        assertEquals(now.seconds(), inst.now(RTC).seconds(), "the clock was not moved");
        assertClockRange(() -> device.createInstance(InstanceConfig.builder()
                .wallClockOffset(Duration.ofNanos(Long.MAX_VALUE)).build()), "offset Long.MAX_VALUE ns");
        final InstanceSnapshot s = InstanceSnapshot.builder().minor(40).name("far").clocks(inst.now(RTC),
                inst.now(ELAPSED_REALTIME), inst.now(AlarmType.SYSTEMTIME)).wallClockOffset(Duration.ofNanos(Long.MAX_VALUE))
                .build();
        assertClockRange(() -> device.restore(s), "restore with wall-clock offset Long.MAX_VALUE ns");
        assertTrue(device.instance(40).isEmpty());
    }

    /** Defect 6: at the edge of the accepted range the clock runs and an alarm an hour ahead fires after an hour. */
    @Test
    void defect6AtTheEdgeOfTheRangeClocksRunAndAlarmsNeverFireEarly() throws Exception {
        final Timespec edge = Timespec.CLOCK_MAX; // the last accepted instant: 2116-02-20T23:53:38Z
        rw.setRtc(edge);
        rw.await(Duration.ZERO); // the time-change event
        machine.advance(Duration.ofSeconds(2));
        assertEquals(edge.seconds() + 2, inst.now(RTC).seconds(), "the clock runs");
        rw.set(RTC, Timespec.ofNanos(inst.now(RTC).toNanos() + 3_600_000_000_000L));
        machine.advance(Duration.ofMinutes(59));
        assertEquals(0, rw.await(Duration.ZERO).mask(), "not before its time");
        machine.advance(Duration.ofMinutes(1));
        assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask(), "at its time");
    }

    /** Defect 7: a name with a lone surrogate is refused everywhere; what is accepted round-trips exactly. */
    @Test
    void defect7NamesThatCannotRoundTripAreRefusedAndAcceptedOnesRoundTripExactly() {
        for (final String bad : new String[] {"x\uD800y", "\uDC00", "ab\uDE00\uD83D", "tail\uD83D"}) {
            assertThrows(IllegalArgumentException.class, () -> InstanceConfig.builder().name(bad), "config " + bad);
            assertThrows(IllegalArgumentException.class, () -> InstanceSnapshot.builder().name(bad), "snapshot " + bad);
            assertThrows(IllegalArgumentException.class, () -> RestoreOptions.builder().name(bad), "restore " + bad);
        }
        for (final String good : new String[] {"x\uD83D\uDE00y", "caf\u00e9", "\u6642\u8a08", "a"}) {
            final ValarmInstance in = device.createInstance(InstanceConfig.builder().name(good).build());
            final InstanceSnapshot back = InstanceSnapshot.fromBytes(in.snapshot().toBytes());
            assertEquals(good, back.name(), "round trip of " + good);
            assertEquals(in.snapshot(), back);
            in.close();
        }
    }

    /** Defect 8: the simulated machine refuses to start or run beyond its documented limit, the clock range. */
    @Test
    void defect8TheSimulatedMachineRefusesClocksBeyondItsLimit() {
        final Instant end = Instant.ofEpochSecond(Long.MAX_VALUE / 1_000_000_000L, 854_775_807); // 2262-04-11
        for (final Instant start : new Instant[] {end.minusSeconds(10), Instant.ofEpochSecond(4_611_686_019L),
            Instant.ofEpochSecond(-4_611_686_019L), Instant.MAX}) {
            assertClockRange(() -> SimulatedMachine.builder().realtime(start).build(), "start at " + start);
        }
        assertClockRange(() -> SimulatedMachine.builder().sinceBoot(Duration.ofDays(365L * 200)).build(), "boot 200 years ago");
        assertClockRange(() -> new SimulatedClocks(Long.MAX_VALUE, 0, 0), "clocks at the 64-bit end");
        final SimulatedMachine m = SimulatedMachine.builder().realtime(Instant.ofEpochSecond(4_611_686_008L)).build();
        assertClockRange(() -> m.advance(Duration.ofSeconds(11)), "advance past the limit");
        assertClockRange(() -> m.suspend(Duration.ofSeconds(11)), "suspend past the limit");
        assertClockRange(() -> m.jumpRealtime(Duration.ofSeconds(11)), "jump past the limit");
        assertEquals(4_611_686_008_000_000_000L, m.nanos(dev.valarm.ClockBase.REALTIME), "nothing moved");
    }

    /** Defect 8: at its limit the machine works: alarms up to the last instant fire, advance returns at once. */
    @Test
    void defect8AtItsLimitTheSimulatedMachineWorks() throws Exception {
        device.close();
        machine = SimulatedMachine.builder().realtime(Instant.ofEpochSecond(4_611_686_008L)).build(); // CLOCK_MAX - 10 s
        device = machine.newDevice();
        inst = device.createInstance();
        rw = inst.open(OpenMode.READ_WRITE);
        rw.set(AlarmType.RTC_WAKEUP, Timespec.CLOCK_MAX);
        rw.set(RTC, new Timespec(Long.MAX_VALUE, 0)); // never
        final long t0 = System.nanoTime();
        machine.advance(Duration.ofSeconds(10)); // up to the limit exactly
        assertEquals(Timespec.CLOCK_MAX, inst.now(RTC));
        assertEquals(AlarmType.RTC_WAKEUP.mask(), rw.await(Duration.ZERO).mask(), "the alarm at the limit fired");
        rw.await(Duration.ZERO);
        assertEquals(SuspendOutcome.Result.LIMIT_REACHED, machine.suspend(Duration.ZERO).result());
        machine.awaitIdle();
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "no spin, no 30 s idle timeout");
        assertTrue(inst.snapshot().alarm(RTC).isPresent(), "the never-alarm stays armed");
    }

    /**
     * Defect 9, the scenario of the issue: n exact RTC_WAKEUP alarms at T0+10.5 to T0+10.6 s (one per
     * instance), then one with the window [T0+9.5 s, T0+10.9 s]. The hardware must wake at T0+10 s, the
     * resolution instant inside the window, whatever n is (the candidate walk stopped after 64 entries and
     * exact alarms used up that budget, so the RTC went to T0+11 s).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 63, 64, 69, 70, 84, 132, 200, 1000})
    void defect9AWindowIsNeverServedAfterItsEndWhateverTheExactAlarmsAround(final int n) throws Exception {
        final long t0 = machine.nanos(dev.valarm.ClockBase.REALTIME); // the default start: a whole second
        for (int i = 0; i < n; i++) {
            final AlarmHandle h = device.createInstance().open(OpenMode.READ_WRITE);
            h.set(AlarmType.RTC_WAKEUP, Timespec.ofNanos(t0 + 10_500_000_000L + 100_000_000L * i / n));
            machine.awaitIdle();
        }
        rw.set(AlarmType.RTC_WAKEUP, Timespec.ofNanos(t0 + 9_500_000_000L), Duration.ofMillis(1400));
        machine.awaitIdle();
        assertEquals(Timespec.ofNanos(t0 + 10_000_000_000L), machine.rtc().alarm().time(), "n = " + n);
        final SuspendOutcome o = machine.suspend(Duration.ofHours(1));
        assertEquals(SuspendOutcome.Result.WOKEN_BY_ALARM, o.result());
        assertEquals(Duration.ofSeconds(10), o.slept(), "woke inside the window");
        assertEquals(AlarmType.RTC_WAKEUP.mask(), rw.await(Duration.ZERO).mask(), "served at T0+10 s, inside its window");
    }

    /**
     * Defect 9, without any cap: n windowed alarms that hold no whole second ([T0+10.2 s, T0+10.7 s]) end
     * around the head; the one window that does ([T0+9.5 s, T0+10.9 s]) still decides the wake.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 64, 65, 500})
    void defect9ManyWindowedAlarmsAroundDoNotHideTheOneThatHoldsAWholeSecond(final int n) throws Exception {
        final long t0 = machine.nanos(dev.valarm.ClockBase.REALTIME);
        for (int i = 0; i < n; i++) {
            final AlarmHandle h = device.createInstance().open(OpenMode.READ_WRITE);
            h.set(AlarmType.RTC_WAKEUP, Timespec.ofNanos(t0 + 10_200_000_000L + 1000L * i), Duration.ofMillis(500));
        }
        machine.awaitIdle();
        assertEquals(Timespec.ofNanos(t0 + 11_000_000_000L), machine.rtc().alarm().time(), "none holds a whole second");
        rw.set(AlarmType.RTC_WAKEUP, Timespec.ofNanos(t0 + 9_500_000_000L), Duration.ofMillis(1400));
        machine.awaitIdle();
        assertEquals(Timespec.ofNanos(t0 + 10_000_000_000L), machine.rtc().alarm().time(), "n = " + n);
        rw.clear(AlarmType.RTC_WAKEUP);
        machine.awaitIdle();
        assertEquals(Timespec.ofNanos(t0 + 11_000_000_000L), machine.rtc().alarm().time(), "back after the CLEAR");
    }
}
