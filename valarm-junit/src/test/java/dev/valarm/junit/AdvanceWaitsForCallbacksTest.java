package dev.valarm.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.InstanceSnapshot;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmInstance;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;

/**
 * {@link VirtualTimeControl#advance} returns only after the callbacks that advancing caused have run
 * (issue 13): asynchronous waits completed with the callbacks that depend on them on the device's callback
 * executor, and blocking waiters woken have returned from WAIT. Repeated, because a race would show as an
 * occasional failure; no test waits on real time before asserting.
 */
@VirtualTime(start = "2030-06-01T12:00:00Z")
class AdvanceWaitsForCallbacksTest {

    private static Timespec in(final AlarmHandle h, final AlarmType type, final long seconds) {
        return Timespec.ofNanos(h.getTime(type).toNanos() + seconds * 1_000_000_000L);
    }

    @RepeatedTest(20)
    void asynchronousWaitsAndTheirCallbacksHaveRunWhenAdvanceReturns(final ValarmInstance instance,
            final VirtualTimeControl time) {
        final AlarmHandle h = instance.open(OpenMode.READ_WRITE);
        final List<String> callbacks = new CopyOnWriteArrayList<>();
        h.set(AlarmType.ELAPSED_REALTIME_WAKEUP, in(h, AlarmType.ELAPSED_REALTIME_WAKEUP, 5));
        final CompletableFuture<AlarmEvents> f = h.awaitAsync();
        f.thenApply(AlarmEvents::mask).thenAccept(m -> callbacks.add("mask " + m)).thenRun(() -> callbacks.add("done"));
        time.advance(Duration.ofSeconds(4));
        assertFalse(f.isDone(), "not before its time");
        time.advance(Duration.ofSeconds(1));
        assertTrue(f.isDone(), "completed when advance returned");
        assertEquals(List.of("mask " + AlarmType.ELAPSED_REALTIME_WAKEUP.mask(), "done"), callbacks,
                "the dependent callbacks ran too");
    }

    @RepeatedTest(20)
    void aCallbackThatArmsTheNextAlarmHasArmedItWhenAdvanceReturns(final ValarmInstance instance,
            final VirtualTimeControl time) {
        final AlarmHandle h = instance.open(OpenMode.READ_WRITE);
        h.set(AlarmType.RTC, in(h, AlarmType.RTC, 1));
        h.awaitAsync().thenRun(() -> h.set(AlarmType.SYSTEMTIME, in(h, AlarmType.SYSTEMTIME, 1)));
        time.advance(Duration.ofSeconds(1));
        assertTrue(instance.snapshot().alarm(AlarmType.SYSTEMTIME).isPresent(), "the callback's SET happened");
        time.advance(Duration.ofSeconds(1));
        assertFalse(instance.snapshot().alarm(AlarmType.SYSTEMTIME).isPresent(), "and that alarm fired on time");
    }

    @RepeatedTest(20)
    void blockingWaitersWokenHaveReturnedFromWaitWhenAdvanceReturns(final ValarmInstance instance,
            final VirtualTimeControl time) throws Exception {
        final AlarmHandle h = instance.open(OpenMode.READ_WRITE);
        h.set(AlarmType.ELAPSED_REALTIME, in(h, AlarmType.ELAPSED_REALTIME, 5));
        final AtomicReference<AlarmEvents> got = new AtomicReference<>();
        final Thread waiter = new Thread(() -> {
            try {
                got.set(h.await());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "blocking-waiter");
        waiter.start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (waiter.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.onSpinWait(); // the waiter thread starting (parked in WAIT when WAITING), not time passing
        }
        assertEquals(Thread.State.WAITING, waiter.getState(), "the waiter is blocked in WAIT");
        time.advance(Duration.ofSeconds(5));
        final InstanceSnapshot after = instance.snapshot();
        assertEquals(AlarmEvents.NONE, after.pendingEvents(), "the woken waiter has taken the event");
        assertTrue(after.waitResultOutstanding(), "its WAIT has returned the result");
        waiter.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(AlarmType.ELAPSED_REALTIME.mask(), got.get().mask());
    }
}
