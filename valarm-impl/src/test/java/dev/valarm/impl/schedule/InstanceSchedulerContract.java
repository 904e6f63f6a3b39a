package dev.valarm.impl.schedule;

import dev.valarm.AlarmType;
import dev.valarm.ValarmInstance;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The contract on {@link InstanceScheduler}: a fresh instance (of the subclass's device) per executor; the
 * delay clock is the first instance's boot-time clock (every instance of a device shares the host's).
 */
abstract class InstanceSchedulerContract extends ScheduledExecutorContract {
    private ValarmInstance firstInstance;

    /** A new instance on the subclass's device. */
    abstract ValarmInstance newInstance();

    @Override
    final ScheduledExecutorService create(final int threads) {
        final ValarmInstance instance = newInstance();
        if (firstInstance == null) {
            firstInstance = instance;
        }
        return InstanceScheduler.builder(instance).threads(threads).build();
    }

    @Override
    final long now() {
        return firstInstance.now(AlarmType.ELAPSED_REALTIME).toNanos();
    }

    @Override
    final int queued(final ScheduledExecutorService e) {
        return ((InstanceScheduler) e).queuedTasks();
    }
}
