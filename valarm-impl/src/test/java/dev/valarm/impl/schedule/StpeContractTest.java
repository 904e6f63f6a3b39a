package dev.valarm.impl.schedule;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The contract on the JDK's {@link ScheduledThreadPoolExecutor}, the reference: real clock, with
 * {@code setRemoveOnCancelPolicy(true)} (the policy {@link InstanceScheduler} always has; the JDK's default
 * is {@code false}) and the JDK's default shutdown policies.
 */
class StpeContractTest extends ScheduledExecutorContract {

    @Override
    ScheduledExecutorService create(final int threads) {
        final ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(threads);
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    @Override
    void pass(final Duration d) {
        // The real clock passes by itself while the test waits for the events.
    }

    @Override
    long now() {
        return System.nanoTime();
    }

    @Override
    int queued(final ScheduledExecutorService e) {
        return ((ScheduledThreadPoolExecutor) e).getQueue().size();
    }
}
