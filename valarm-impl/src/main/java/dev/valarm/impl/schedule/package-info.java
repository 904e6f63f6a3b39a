/**
 * A scheduler per tenant: {@link dev.valarm.impl.schedule.InstanceScheduler}, a
 * {@link java.util.concurrent.ScheduledExecutorService} whose delays and times run on one
 * {@link dev.valarm.ValarmInstance}'s clocks, with many tasks multiplexed onto the instance's driver
 * alarms.
 *
 * <h2>Clocks</h2>
 * Every task has an alarm type, which names its clock and whether it wakes the machine:
 * <table class="striped">
 * <caption>Where each kind of task runs</caption>
 * <thead><tr><th>scheduled with</th><th>type</th><th>clock</th><th>during a suspend</th>
 * <th>on a wall-clock change (SET_RTC, host clock set)</th></tr></thead>
 * <tbody>
 * <tr><td>the {@code ScheduledExecutorService} delay methods (default)</td><td>{@code ELAPSED_REALTIME}</td>
 * <td>the instance's boot time</td><td>counts; nothing runs; what fell due runs at resume</td>
 * <td>unaffected</td></tr>
 * <tr><td>a delay with {@code ELAPSED_REALTIME_WAKEUP}</td><td>{@code ELAPSED_REALTIME_WAKEUP}</td>
 * <td>the instance's boot time</td><td>counts; the task wakes the machine at its time</td>
 * <td>unaffected</td></tr>
 * <tr><td>a delay with {@code SYSTEMTIME}</td><td>{@code SYSTEMTIME}</td><td>the instance's monotonic
 * time</td><td>stops: suspended time does not count</td><td>unaffected</td></tr>
 * <tr><td>{@code scheduleAt(task, instant, type)}</td><td>{@code RTC} / {@code RTC_WAKEUP}</td>
 * <td>the instance's wall clock</td><td>{@code RTC}: runs at resume if its time passed;
 * {@code RTC_WAKEUP}: wakes the machine</td><td>follows the wall clock</td></tr>
 * <tr><td>{@code scheduleAtFixedRate(task, first, period, type)}</td><td>{@code RTC} /
 * {@code RTC_WAKEUP}</td><td>the instance's wall clock</td><td>missed grid points cost one run</td>
 * <td>follows the wall clock, re-aligned to its grid</td></tr>
 * </tbody>
 * </table>
 * {@link java.util.concurrent.ScheduledThreadPoolExecutor} runs its delays on {@link System#nanoTime()},
 * which on Linux is {@code CLOCK_MONOTONIC}: it stops while the machine is suspended. That is exactly
 * {@code SYSTEMTIME} here ({@code Builder.delayType(AlarmType.SYSTEMTIME)}). The default is the boot-time
 * clock instead, so that a five-minute delay scheduled before a one-hour suspend runs at resume rather
 * than five minutes after it; both are immune to wall-clock changes, which is what users of delays rely
 * on. No delay ever runs on the wall clock (the methods refuse the {@code RTC} types).
 *
 * <h2>Clock changes, exactly</h2>
 * <ul>
 * <li><b>Delays</b> (boot-time and monotonic clocks) are unaffected by SET_RTC on the instance and by
 * host wall-clock changes: neither clock moves. {@code getDelay} does not jump either.</li>
 * <li><b>A wall-clock task</b> ({@code scheduleAt}) waits for the instance's wall clock to reach its
 * instant, whatever moves that clock: time passing, a SET_RTC through any writable handle of the instance,
 * or a host clock change (the instance's clock is the host's plus its offset). A change that moves the
 * clock to or past the instant runs the task at once; one that moves it back delays the task until the
 * clock reaches the instant again. {@code getDelay} is the instant minus the wall clock's time now, so it
 * jumps with the clock. The driver's own RTC alarm follows the clock in the same way, so the scheduler
 * needs no work for this beyond reacting to the alarm.</li>
 * <li><b>The time-change event</b> (raised by SET_RTC and by host clock changes) makes the scheduler
 * poll every heap against the clocks and re-align the wall-clock grid tasks: one whose next run is more
 * than a period ahead of the new time (the clock went back) moves to the first grid point at or after
 * the new time.</li>
 * <li><b>Fixed rate on an elapsed clock</b> is {@code ScheduledThreadPoolExecutor}'s: run n is due at
 * {@code start + n * period}; a late run does not move the later ones, and runs that fell behind (a slow
 * run, a busy executor, or a suspend on a non-wakeup boot-time type) follow each other at once until the
 * task is back on schedule. Choose {@code SYSTEMTIME} for a rate of awake time, or a wakeup type to keep
 * the rate through suspends.</li>
 * <li><b>Fixed rate on the wall clock</b> is a calendar: runs are on the grid {@code first + n * period}
 * of the instance's wall clock, and after each run the next is the first grid point strictly after the
 * wall clock's time when the run ends. Missed grid points (a clock jumped forward, a suspend, a long run)
 * are coalesced into one run, never caught up; a clock set back runs the grid points again as the clock
 * passes them (as {@code cron} does).</li>
 * <li><b>Fixed delay</b> exists on elapsed clocks only: the next run is due {@code delay} after the end of
 * the previous one on the task's clock.</li>
 * </ul>
 *
 * <h2>Multiplexing</h2>
 * Tasks wait in one heap per alarm type (the project's 4-ary timer heap), keyed by their time on the
 * type's clock as the instance sees it. Only the head of each heap is armed as the instance's driver
 * alarm of that type, through the scheduler's owner handle, and a change of head re-arms it (a CLEAR when
 * a heap empties). One asynchronous WAIT is kept outstanding; its completion, on the device's callback
 * executor ({@code Valarm.Builder.callbackExecutor}, the common fork-join pool by default), polls every
 * heap against the instance's clocks, hands the due tasks to the executor and
 * re-arms. Expiry is level-triggered: whatever event arrives, everything due runs, so a stale or spurious
 * event is harmless. Tasks due at the same time on the same clock are handed over in submission order;
 * there is no order between tasks of different types (they are on different clocks). A zero or negative
 * delay (and {@code execute}, {@code submit}) skips the heap and the driver and goes to the executor at
 * once.
 *
 * <p>Allocation: scheduling a task allocates its future and nothing else (the future is the heap entry,
 * as the JDK's {@code ScheduledFutureTask}); cancelling allocates nothing; re-queueing a periodic task
 * allocates nothing. What does allocate is per firing of the instance's driver alarm, however many tasks
 * come due together: the device's asynchronous WAIT and its hop onto the callback executor, and the
 * {@link dev.valarm.Timespec} of the next SET. {@code benchmarks/} measures all of it with JMH
 * {@code -prof gc} against {@code ScheduledThreadPoolExecutor} and Netty's {@code HashedWheelTimer}.
 *
 * <h2>Cancellation and shutdown</h2>
 * <ul>
 * <li>Remove-on-cancel, always: a cancelled task leaves its heap at once (O(log n), no allocation), as
 * {@code ScheduledThreadPoolExecutor} with {@code setRemoveOnCancelPolicy(true)} (its default is
 * {@code false}: it keeps cancelled tasks until their time). Cancelling a running periodic task lets the
 * current run finish (interrupting it with {@code cancel(true)}) and it never runs again.</li>
 * <li>{@code shutdown()} has {@code ScheduledThreadPoolExecutor}'s default policies: queued one-shot tasks
 * still run at their times ({@code executeExistingDelayedTasksAfterShutdown = true}), queued periodic tasks
 * are cancelled ({@code continueExistingPeriodicTasksAfterShutdown = false}), new tasks are rejected with
 * {@link java.util.concurrent.RejectedExecutionException}. It terminates when nothing is queued or
 * running; then it closes its handle (which clears the instance's alarms and releases ownership).</li>
 * <li>{@code shutdownNow()} returns the tasks that never started, without cancelling them, and
 * interrupts the own threads, as the JDK does.</li>
 * <li>The instance or its device closing under the scheduler completes every queued task's future
 * exceptionally with the {@link dev.valarm.ValarmClosedException}, logs a WARN, and shuts the scheduler
 * down: nothing is lost silently.</li>
 * </ul>
 *
 * <h2>Threads, the wake lock and virtual time</h2>
 * No task runs on the device's dispatcher thread, under the device's lock or under the scheduler's lock.
 * The driver holds the instance's wake lock (the device's suspend blocker) from a firing until the
 * scheduler's next WAIT, which follows as soon as the due tasks are handed to the executor, so a task of a
 * wakeup type that must keep the machine awake while it runs takes a wake lock of its own.
 *
 * <p>On a {@link dev.valarm.impl.sim.SimulatedMachine} (or under {@code @VirtualTime}) the scheduler
 * needs nothing special: its heads are ordinary driver alarms, so {@code advance} stops at them and fires
 * them, and the scheduler reacts in the asynchronous WAIT's completion on the device's callback executor,
 * where it also arms the next head. Tasks on the scheduler's own threads run after that hand-over, so a
 * test waits for the task's future (with a timeout), never sleeps. With a direct executor
 * ({@code Builder.executor(Runnable::run)}) due tasks run inside that completion, so a control that waits
 * for the device's callbacks to finish also waits for the tasks.
 */
package dev.valarm.impl.schedule;
