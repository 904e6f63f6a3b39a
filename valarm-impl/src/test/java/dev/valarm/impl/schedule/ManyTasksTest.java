package dev.valarm.impl.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmType;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.internal.InstanceState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import org.junit.jupiter.api.Test;

/** Ten thousand tasks on one instance, over four alarm types, multiplexed onto the instance's driver alarms. */
class ManyTasksTest extends SchedulerFixture {
    private static final AlarmType[] TYPES = {AlarmType.RTC, AlarmType.RTC_WAKEUP, AlarmType.ELAPSED_REALTIME,
        AlarmType.SYSTEMTIME};
    private static final int PER_TYPE = 2500;
    private static final long HOUR = Duration.ofHours(1).toNanos();

    /** One task: when it was due, on which clock, and what that clock said when it ran. */
    private static final class Task {
        final int id;
        final AlarmType type;
        final long due;
        volatile long ranAt = Long.MIN_VALUE;
        ScheduledFuture<?> future;

        Task(final int id, final AlarmType type, final long due) {
            this.id = id;
            this.type = type;
            this.due = due;
        }
    }

    private long now(final AlarmType type) {
        return inst.now(type).toNanos();
    }

    @Test
    void tenThousandTasksRunOnceEachInOrderWithOnlyEachHeadArmed() throws Exception {
        final SplittableRandom random = new SplittableRandom(13);
        final List<Task> tasks = new ArrayList<>();
        final ConcurrentLinkedQueue<Task> ran = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < TYPES.length * PER_TYPE; i++) {
            final AlarmType type = TYPES[i % TYPES.length];
            final long delay = 1 + random.nextLong(HOUR);
            final Task t = new Task(i, type, now(type) + delay);
            final Runnable body = () -> {
                t.ranAt = now(type);
                ran.add(t);
            };
            t.future = type.clockBase() == dev.valarm.ClockBase.REALTIME
                    ? scheduler.scheduleAt(body, Instant.ofEpochSecond(0, t.due), type)
                    : scheduler.schedule(body, Duration.ofNanos(delay), type);
            tasks.add(t);
        }
        int cancelled = 0;
        for (int i = 0; i < tasks.size(); i += 3) {
            assertTrue(tasks.get(i).future.cancel(false));
            cancelled++;
        }
        assertEquals(tasks.size() - cancelled, scheduler.queuedTasks());

        // Only the head of each type's heap is the instance's driver alarm.
        final InstanceState state = DriverAccess.state(inst);
        int mask = 0;
        for (final AlarmType type : TYPES) {
            mask |= type.mask();
            final long head = tasks.stream().filter(t -> t.type == type && !t.future.isCancelled())
                    .mapToLong(t -> t.due).min().orElseThrow();
            assertEquals(head, state.armedTimes().get(type.number()), "the driver alarm of " + type + " is its head");
        }
        assertEquals(mask, state.enabled(), "one driver alarm per type in use, no other");

        for (int minute = 0; minute < 60; minute++) {
            machine.advance(Duration.ofMinutes(1));
        }
        for (final Task t : tasks) {
            if (!t.future.isCancelled()) {
                get(t.future);
            }
        }
        assertEquals(tasks.size() - cancelled, ran.size(), "every live task ran exactly once");
        assertEquals(0, scheduler.queuedTasks());

        final List<Task> order = new ArrayList<>(ran);
        for (final Task t : order) {
            assertFalse(t.future.isCancelled(), "a cancelled task ran: " + t.id);
            assertTrue(t.ranAt >= t.due, "task " + t.id + " ran " + (t.due - t.ranAt) + " ns early");
        }
        for (final AlarmType type : TYPES) {
            final List<Task> ofType = order.stream().filter(t -> t.type == type).toList();
            final List<Task> sorted = new ArrayList<>(ofType);
            sorted.sort(Comparator.<Task>comparingLong(t -> t.due).thenComparingInt(t -> t.id));
            assertEquals(sorted.stream().map(t -> t.id).toList(), ofType.stream().map(t -> t.id).toList(),
                    type + " tasks ran in the order of their times (one thread)");
        }
        awaitTrue(() -> DriverAccess.state(inst).enabled() == 0, "no driver alarm left armed");
    }
}
