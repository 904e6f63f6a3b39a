package dev.valarm.impl.schedule;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting for events in the scheduler tests: bounded by real time, which only a failure reaches. */
final class Await {
    /** How long any event may take on a loaded machine, in seconds. */
    static final long TIMEOUT = 30;

    private Await() {
    }

    /** Spins on a condition for at most {@link #TIMEOUT} of real time: waiting for an event, not a sleep. */
    static void awaitTrue(final BooleanSupplier condition, final String what) {
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
        }
    }
}
