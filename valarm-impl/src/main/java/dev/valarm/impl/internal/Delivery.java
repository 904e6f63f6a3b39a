package dev.valarm.impl.internal;

import dev.valarm.AlarmType;
import dev.valarm.Timespec;
import dev.valarm.impl.DeviceListener;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device's delivery path: the one way user code is reached. The dispatcher and the callers record
 * what user code must learn (a firing or a hardware decision for the {@link DeviceListener}, an
 * asynchronous wait to complete, one to fail) while they hold the device lock or sit in the expiry loop;
 * this class's own thread takes the records in order and runs them with no lock held: it calls the
 * listener, and hands each completion to the device's callback executor. So no user code ever runs under
 * the device lock or inside the expiry loop, whatever the executor (even {@code Runnable::run}, whose
 * callbacks then run on the delivery thread) and whatever the listener does (block, throw, call back into
 * the device).
 *
 * <p>Records are rows of primitive arrays in a ring that grows by doubling (allocation only when it grows),
 * so recording a firing allocates nothing. Without a listener nothing is recorded for firings and hardware
 * decisions at all.
 *
 * <p>Thread-safety: thread-safe. The ring is guarded by this class's own lock, a leaf: it may be taken
 * while the device lock is held, and nothing else is ever taken while it is held.
 */
final class Delivery implements DeviceListener {
    private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);

    private static final int FIRED = 0;
    private static final int PROGRAMMED = 1;
    private static final int UNCHANGED = 2;
    private static final int CANCELLED = 3;
    private static final int HARDWARE_FIRED = 4;
    private static final int FAULT = 5;
    private static final int COMPLETE = 6;
    private static final int FAIL = 7;

    /** The backlog at which a slow consumer is first reported (then at every further factor of 4). */
    private static final int BACKLOG_WARNING = 1 << 16;

    private static final AlarmType[] TYPES = AlarmType.values();

    private final DeviceListener listener;
    private final boolean listening;
    private final Executor executor;
    /** Set at construction or once right after it ({@link #observe}), before any record exists. */
    private volatile DeliveryObserver observer;
    private final ReentrantLock deviceLock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition nonEmpty = lock.newCondition();
    private final Thread thread;

    // The ring, guarded by lock.
    private int[] kinds = new int[64];
    private int[] ints1 = new int[64];
    private int[] ints2 = new int[64];
    private long[] longs1 = new long[64];
    private long[] longs2 = new long[64];
    private Object[] objects1 = new Object[64];
    private Object[] objects2 = new Object[64];
    private int head;
    private int size;
    private int warnAt = BACKLOG_WARNING;
    private boolean waiting;
    private boolean closing;
    private boolean terminated;

    /**
     * Starts the delivery thread.
     *
     * @param listener the user's listener ({@link DeviceListener#NONE} records nothing for it)
     * @param executor where asynchronous waits complete
     * @param observer told of every record and of its end (the simulated machine's handshake), or null
     * @param deviceLock the device lock (to tell, after close, whether a late record may run inline)
     * @param threadName the delivery thread's name
     */
    Delivery(final DeviceListener listener, final Executor executor, final DeliveryObserver observer,
            final ReentrantLock deviceLock, final String threadName) {
        this.listener = listener;
        this.listening = listener != DeviceListener.NONE;
        this.executor = executor;
        this.observer = observer;
        this.deviceLock = deviceLock;
        this.thread = new Thread(this::loop, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    // ------------------------------------------------------------------ recording (any thread, any lock)

    @Override
    public void alarmFired(final int minor, final AlarmType type, final long hostDeadlineNanos, final long hostNowNanos) {
        if (listening) {
            put(FIRED, minor, type.number(), hostDeadlineNanos, hostNowNanos, null, null);
        }
    }

    @Override
    public void hardwareProgrammed(final Timespec rtcTime, final boolean clamped, final long remainingNanos,
            final boolean written) {
        if (listening) {
            put(PROGRAMMED, clamped ? 1 : 0, written ? 1 : 0, remainingNanos, 0L, rtcTime, null);
        }
    }

    @Override
    public void hardwareUnchanged(final Timespec rtcTime) {
        if (listening) {
            put(UNCHANGED, 0, 0, 0L, 0L, rtcTime, null);
        }
    }

    @Override
    public void hardwareCancelled(final boolean written) {
        if (listening) {
            put(CANCELLED, written ? 1 : 0, 0, 0L, 0L, null, null);
        }
    }

    @Override
    public void hardwareFired() {
        if (listening) {
            put(HARDWARE_FIRED, 0, 0, 0L, 0L, null, null);
        }
    }

    @Override
    public void backendFault(final String operation, final RuntimeException error) {
        if (listening) {
            put(FAULT, 0, 0, 0L, 0L, operation, error);
        }
    }

    /** Completes {@code waiter} with the events it took, through the callback executor. */
    void complete(final Instance.AsyncWaiter waiter) {
        put(COMPLETE, 0, 0, 0L, 0L, waiter, null);
    }

    /** Fails {@code waiter} with {@code error}, through the callback executor. */
    void fail(final Instance.AsyncWaiter waiter, final RuntimeException error) {
        put(FAIL, 0, 0, 0L, 0L, waiter, error);
    }

    private void put(final int kind, final int i1, final int i2, final long l1, final long l2, final Object o1,
            final Object o2) {
        lock.lock();
        try {
            started(1); // before the record can be taken: the observer never sees it finish first
            if (!terminated) {
                if (size == kinds.length) {
                    grow();
                }
                final int t = (head + size) & (kinds.length - 1);
                kinds[t] = kind;
                ints1[t] = i1;
                ints2[t] = i2;
                longs1[t] = l1;
                longs2[t] = l2;
                objects1[t] = o1;
                objects2[t] = o2;
                if (++size == warnAt) {
                    warnAt = warnAt < (1 << 28) ? warnAt * 4 : Integer.MAX_VALUE;
                    LOG.warn("{} deliveries are queued on {}: the device listener or the callback executor is slow "
                            + "or blocked (firing goes on; only listener calls and asynchronous completions wait)",
                            size, thread.getName());
                }
                if (waiting) {
                    nonEmpty.signal();
                }
                return;
            }
        } finally {
            lock.unlock();
        }
        late(kind, i1, i2, l1, l2, o1, o2);
    }

    /** A record after the delivery thread ended (a close racing the device's close): run it here if we may. */
    private void late(final int kind, final int i1, final int i2, final long l1, final long l2, final Object o1,
            final Object o2) {
        if (deviceLock.isHeldByCurrentThread()) {
            LOG.error("a delivery (kind {}) was recorded under the device lock after the device closed; dropped", kind);
            finished();
            return;
        }
        run(kind, i1, i2, l1, l2, o1, o2);
        if (kind < COMPLETE) {
            finished();
        }
    }

    /** Doubles the ring, unrolling it to start at 0. Lock held. */
    private void grow() {
        final int n = kinds.length;
        final int[] k = new int[n * 2];
        final int[] a = new int[n * 2];
        final int[] b = new int[n * 2];
        final long[] c = new long[n * 2];
        final long[] d = new long[n * 2];
        final Object[] e = new Object[n * 2];
        final Object[] f = new Object[n * 2];
        for (int i = 0; i < size; i++) {
            final int s = (head + i) & (n - 1);
            k[i] = kinds[s];
            a[i] = ints1[s];
            b[i] = ints2[s];
            c[i] = longs1[s];
            d[i] = longs2[s];
            e[i] = objects1[s];
            f[i] = objects2[s];
        }
        kinds = k;
        ints1 = a;
        ints2 = b;
        longs1 = c;
        longs2 = d;
        objects1 = e;
        objects2 = f;
        head = 0;
    }

    // ------------------------------------------------------------------ the delivery thread

    private void loop() {
        while (true) {
            final int kind;
            final int i1;
            final int i2;
            final long l1;
            final long l2;
            final Object o1;
            final Object o2;
            lock.lock();
            try {
                while (size == 0) {
                    if (closing) {
                        terminated = true;
                        return;
                    }
                    waiting = true;
                    nonEmpty.awaitUninterruptibly();
                    waiting = false;
                }
                final int h = head;
                kind = kinds[h];
                i1 = ints1[h];
                i2 = ints2[h];
                l1 = longs1[h];
                l2 = longs2[h];
                o1 = objects1[h];
                o2 = objects2[h];
                objects1[h] = null;
                objects2[h] = null;
                head = (h + 1) & (kinds.length - 1);
                size--;
            } finally {
                lock.unlock();
            }
            run(kind, i1, i2, l1, l2, o1, o2);
            if (kind < COMPLETE) {
                finished(); // a completion or failure finishes on the executor (Instance.AsyncWaiter)
            }
        }
    }

    /**
     * Installs the observer if none is installed: only right after construction, before the device has an
     * instance (so that no record can be in flight unobserved).
     */
    void observe(final DeliveryObserver o) {
        if (observer == null) {
            observer = o;
        }
    }

    /** Reports work handed to user code to the observer, if any. */
    void started(final int count) {
        final DeliveryObserver o = observer;
        if (o != null) {
            o.started(count);
        }
    }

    /** Reports the end of one piece of that work to the observer, if any. */
    void finished() {
        final DeliveryObserver o = observer;
        if (o != null) {
            o.finished(1);
        }
    }

    /** Runs one record: user code, no lock held. */
    private void run(final int kind, final int i1, final int i2, final long l1, final long l2, final Object o1,
            final Object o2) {
        try {
            switch (kind) {
                case FIRED:
                    listener.alarmFired(i1, TYPES[i2], l1, l2);
                    break;
                case PROGRAMMED:
                    listener.hardwareProgrammed((Timespec) o1, i1 != 0, l1, i2 != 0);
                    break;
                case UNCHANGED:
                    listener.hardwareUnchanged((Timespec) o1);
                    break;
                case CANCELLED:
                    listener.hardwareCancelled(i1 != 0);
                    break;
                case HARDWARE_FIRED:
                    listener.hardwareFired();
                    break;
                case FAULT:
                    listener.backendFault((String) o1, (RuntimeException) o2);
                    break;
                case COMPLETE:
                    ((Instance.AsyncWaiter) o1).handOff(executor);
                    break;
                default:
                    ((Instance.AsyncWaiter) o1).failOn(executor, (RuntimeException) o2);
                    break;
            }
        } catch (final VirtualMachineError e) {
            throw e;
        } catch (final Throwable e) {
            LOG.error("{} threw; ignored, deliveries go on", kind < COMPLETE ? "the device listener" : "a callback", e);
        }
    }

    /**
     * Lets the thread run what is queued, then stop; waits up to 10 s for that unless called on the
     * delivery thread itself (a listener or callback closing the device).
     */
    void close() {
        lock.lock();
        try {
            closing = true;
            nonEmpty.signal();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.error("delivery thread {} did not finish within 10 s: a listener or callback is blocked", thread.getName());
        }
    }
}
