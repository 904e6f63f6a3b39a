package dev.valarm.rtc.linux.fuse;

import dev.valarm.Errno;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An RTC chip with the semantics the Linux RTC core gives {@code /dev/rtcN} (drivers/rtc/dev.c and
 * interface.c) for an MC146818-like driver: a one-second clock, one user alarm slot (the kernel's aie_timer)
 * with a furthest-ahead window, the interrupt word that {@code read()} returns, and exclusive open. It knows
 * nothing about FUSE: {@link FuseRtcFs} serves it as a file.
 *
 * <p>The clock is {@link RtcTimeSource} plus an offset that {@code RTC_SET_TIME} (or a test) changes. Its
 * sub-second phase is that of the source plus offset, as on a chip whose divider restarts when it is set.
 *
 * <p>Kernel behaviour reproduced: {@code rtc_valid_tm} (EINVAL) before anything changes; outside the absolute
 * range (1970..2099 by default) ERANGE; {@code RTC_WKALM_SET} first removes the old alarm, then (if enabled)
 * arms the new one: at or before the current second it fires at once (the -ETIME path), beyond the furthest
 * alarm it fails with EINVAL and leaves the slot disabled (rtc-cmos's {@code cmos_validate_alarm}); a
 * disabled alarm is not range-checked against the window. {@code RTC_WKALM_RD} reports the slot (enabled,
 * time), pending always 0, enabled 0 after it fired. Firing adds {@code 1 << 8} to the interrupt word and ORs
 * {@code RTC_IRQF | RTC_AF}; open zeroes the word; a read takes and clears it; release leaves the alarm armed.
 *
 * <p>Thread-safety: thread-safe; one lock guards the state, a daemon ticker thread fires the alarm.
 */
public final class EmulatedRtcChip implements AutoCloseable {
    /** The default furthest alarm, as on a plain MC146818 (alarm registers match h:m:s only). */
    public static final Duration MC146818_MAX_ALARM = Duration.ofHours(24).minusSeconds(1);
    /** The default last second of the absolute range (a chip without a century register). */
    public static final long DEFAULT_RANGE_MAX = LocalDateTime.of(2099, 12, 31, 23, 59, 59)
        .toEpochSecond(ZoneOffset.UTC);

    private static final Logger LOG = LoggerFactory.getLogger(EmulatedRtcChip.class);
    private static final long NANOS = 1_000_000_000L;

    /** The state of the one alarm slot. */
    public record AlarmSlot(boolean enabled, long seconds) {
        /**
         * The alarm time.
         *
         * @return the time as an instant
         */
        public Instant instant() {
            return Instant.ofEpochSecond(seconds);
        }
    }

    private final RtcTimeSource source;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Runnable> irqListeners = new CopyOnWriteArrayList<>();
    private final Thread ticker;

    // guarded by lock
    private long offsetNanos;
    private long maxAlarmAheadSeconds;
    private long rangeMaxSeconds = DEFAULT_RANGE_MAX;
    private boolean alarmEnabled;
    private long alarmSeconds;
    private long irqData;
    private long openHandle; // 0 = free
    private long nextHandle = 1;
    private boolean closed;
    private long firedCount;
    private long busyRejections;
    private long wkalmSets;
    private long wkalmSetsRejected;
    private long timeSets;

    /**
     * Creates a chip whose clock starts at the source's time plus {@code offset}.
     *
     * @param source the time that drives the clock, not null
     * @param offset the initial offset from the source, not null
     * @param maxAlarmAhead the furthest alarm the chip takes, at least one second
     */
    public EmulatedRtcChip(final RtcTimeSource source, final Duration offset, final Duration maxAlarmAhead) {
        this.source = Objects.requireNonNull(source, "source");
        this.offsetNanos = offset.toNanos();
        setMaxAlarmAhead(maxAlarmAhead);
        this.ticker = new Thread(this::tick, "emulated-rtc-ticker");
        this.ticker.setDaemon(true);
        this.ticker.start();
        source.addChangeListener(this::signal);
    }

    /**
     * Creates an MC146818-like chip running with the host clock ({@link RtcTimeSource#host()}).
     *
     * @param offset the offset from the host's wall clock, not null
     * @return the chip
     */
    public static EmulatedRtcChip withHostClock(final Duration offset) {
        return new EmulatedRtcChip(RtcTimeSource.host(), offset, MC146818_MAX_ALARM);
    }

    // ---------------------------------------------------------------- configuration and observation

    /**
     * Changes the furthest alarm the chip takes (EINVAL beyond it).
     *
     * @param maxAlarmAhead at least one second
     */
    public void setMaxAlarmAhead(final Duration maxAlarmAhead) {
        if (maxAlarmAhead.getSeconds() < 1) {
            throw new IllegalArgumentException("maxAlarmAhead must be at least 1 s: " + maxAlarmAhead);
        }
        lock.lock();
        try {
            this.maxAlarmAheadSeconds = maxAlarmAhead.getSeconds();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The furthest alarm the chip takes.
     *
     * @return the window
     */
    public Duration maxAlarmAhead() {
        lock.lock();
        try {
            return Duration.ofSeconds(maxAlarmAheadSeconds);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets the clock's offset from its time source, as a battery change or another OS would.
     *
     * @param offset the new offset, not null
     */
    public void setOffset(final Duration offset) {
        lock.lock();
        try {
            offsetNanos = offset.toNanos();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The clock's offset from its time source.
     *
     * @return the offset
     */
    public Duration offset() {
        lock.lock();
        try {
            return Duration.ofNanos(offsetNanos);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The time source driving the clock.
     *
     * @return the source
     */
    public RtcTimeSource source() {
        return source;
    }

    /**
     * The chip's clock with full precision (what the next second edge is computed from).
     *
     * @return nanoseconds since the epoch on the chip's clock
     */
    public long nowNanos() {
        lock.lock();
        try {
            return nowNanosLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The chip's clock as {@code RTC_RD_TIME} reports it (whole seconds).
     *
     * @return the time
     */
    public Instant now() {
        return Instant.ofEpochSecond(Math.floorDiv(nowNanos(), NANOS));
    }

    /**
     * The alarm slot.
     *
     * @return its state
     */
    public AlarmSlot alarm() {
        lock.lock();
        try {
            return new AlarmSlot(alarmEnabled, alarmSeconds);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Programs the slot as another writer would ({@code RTC_WKALM_SET} from rtcwake), through the same checks.
     *
     * @param enabled whether to arm it
     * @param time the alarm time
     * @return 0 or a negative errno
     */
    public int stealAlarm(final boolean enabled, final Instant time) {
        return setWakeAlarm(enabled, RtcAbi.tmForSet(time.getEpochSecond()));
    }

    /**
     * How many times the alarm fired.
     *
     * @return the count since creation
     */
    public long firedCount() {
        lock.lock();
        try {
            return firedCount;
        } finally {
            lock.unlock();
        }
    }

    /**
     * How many opens were refused with EBUSY.
     *
     * @return the count since creation
     */
    public long busyRejections() {
        lock.lock();
        try {
            return busyRejections;
        } finally {
            lock.unlock();
        }
    }

    /**
     * How many {@code RTC_WKALM_SET} calls arrived (accepted or not).
     *
     * @return the count since creation
     */
    public long wkalmSets() {
        lock.lock();
        try {
            return wkalmSets;
        } finally {
            lock.unlock();
        }
    }

    /**
     * How many {@code RTC_WKALM_SET} calls were refused (EINVAL or ERANGE).
     *
     * @return the count since creation
     */
    public long wkalmSetsRejected() {
        lock.lock();
        try {
            return wkalmSetsRejected;
        } finally {
            lock.unlock();
        }
    }

    /**
     * How many {@code RTC_SET_TIME} calls succeeded.
     *
     * @return the count since creation
     */
    public long timeSets() {
        lock.lock();
        try {
            return timeSets;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether someone holds the device open.
     *
     * @return true while an open handle exists
     */
    public boolean isOpen() {
        lock.lock();
        try {
            return openHandle != 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until a condition on the chip holds, woken by every state change.
     *
     * @param what a description for the failure message
     * @param condition the condition, evaluated under the chip's lock
     * @param timeout the most to wait
     * @throws AssertionError if it does not hold in time
     * @throws InterruptedException if interrupted
     */
    public void awaitState(final String what, final java.util.function.BooleanSupplier condition,
            final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!condition.getAsBoolean()) {
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; alarm "
                        + new AlarmSlot(alarmEnabled, alarmSeconds) + ", fired " + firedCount + ", busy "
                        + busyRejections);
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Registers a listener told (outside the lock) whenever the interrupt word becomes non-zero.
     *
     * @param listener the listener, not null, must not block
     */
    public void addIrqListener(final Runnable listener) {
        irqListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    // ---------------------------------------------------------------- the device ABI (0 or -errno)

    /**
     * {@code open()}: exclusive, zeroes the interrupt word.
     *
     * @return a positive handle, or {@code -EBUSY} while another opener holds the device
     */
    public long open() {
        lock.lock();
        try {
            if (closed) {
                return -Errno.ENODEV;
            }
            if (openHandle != 0) {
                busyRejections++;
                changed.signalAll();
                return -Errno.EBUSY;
            }
            openHandle = nextHandle++;
            irqData = 0;
            changed.signalAll();
            return openHandle;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The last close of a handle (release; FUSE's flush too, see {@link FuseRtcFs}): frees the device and
     * leaves the alarm armed.
     *
     * @param handle the handle from {@link #open()}
     */
    public void release(final long handle) {
        lock.lock();
        try {
            if (openHandle == handle) {
                openHandle = 0;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code RTC_RD_TIME}.
     *
     * @return the fields, wday and yday computed, isdst 0
     */
    public int[] readTime() {
        return RtcAbi.secondsToTm(now().getEpochSecond());
    }

    /**
     * {@code RTC_SET_TIME}: the clock reads exactly {@code tm} now and runs on from there.
     *
     * @param tm the fields
     * @return 0, {@code -EINVAL} for a bad tm or {@code -ERANGE} outside the chip's range
     */
    public int setTime(final int[] tm) {
        if (!RtcAbi.validTm(tm)) {
            return -Errno.EINVAL;
        }
        final long seconds = RtcAbi.tmToSeconds(tm);
        if (seconds > rangeMax()) {
            return -Errno.ERANGE;
        }
        lock.lock();
        try {
            offsetNanos = seconds * NANOS - source.nowNanos();
            timeSets++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        LOG.debug("emulated RTC set to {}", Instant.ofEpochSecond(seconds));
        return 0;
    }

    /**
     * {@code RTC_WKALM_SET}.
     *
     * @param enabled the {@code enabled} byte
     * @param tm the alarm time fields
     * @return 0, {@code -EINVAL} (bad tm, or armed beyond the furthest alarm: the slot is then disabled) or
     *         {@code -ERANGE}
     */
    public int setWakeAlarm(final boolean enabled, final int[] tm) {
        boolean fire = false;
        lock.lock();
        try {
            wkalmSets++;
            if (!RtcAbi.validTm(tm)) {
                wkalmSetsRejected++;
                changed.signalAll();
                return -Errno.EINVAL;
            }
            final long seconds = RtcAbi.tmToSeconds(tm);
            if (seconds > rangeMaxSeconds) {
                wkalmSetsRejected++;
                changed.signalAll();
                return -Errno.ERANGE;
            }
            // rtc_set_alarm: remove the old aie_timer, then enqueue the new one if enabled
            alarmEnabled = false;
            alarmSeconds = seconds;
            changed.signalAll();
            if (!enabled) {
                return 0;
            }
            final long now = Math.floorDiv(nowNanosLocked(), NANOS);
            if (seconds <= now) {
                fire = true; // the -ETIME path: accepted, fires at once
            } else if (seconds > now + maxAlarmAheadSeconds) {
                wkalmSetsRejected++;
                LOG.debug("emulated RTC: alarm {} is more than {} s after {}: EINVAL", Instant.ofEpochSecond(seconds),
                    maxAlarmAheadSeconds, Instant.ofEpochSecond(now));
                return -Errno.EINVAL;
            } else {
                alarmEnabled = true;
            }
            if (fire) {
                fireLocked();
            }
        } finally {
            lock.unlock();
        }
        if (fire) {
            irqListeners.forEach(Runnable::run);
        }
        return 0;
    }

    /**
     * {@code RTC_WKALM_RD}: enabled flag and time of the slot; pending is always 0.
     *
     * @return the slot
     */
    public AlarmSlot readWakeAlarm() {
        return alarm();
    }

    /**
     * Takes the interrupt word without waiting ({@code O_NONBLOCK} read).
     *
     * @return the word, or 0 if nothing is pending
     */
    public long takeIrq() {
        lock.lock();
        try {
            final long data = irqData;
            irqData = 0;
            return data;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocking {@code read()}: waits until the interrupt word is non-zero, then takes it.
     *
     * @return the word, or {@code -EINTR} if the chip is shut down (or the thread interrupted) first
     */
    public long awaitIrq() {
        lock.lock();
        try {
            while (irqData == 0) {
                if (closed) {
                    return -Errno.EINTR;
                }
                changed.await();
            }
            final long data = irqData;
            irqData = 0;
            return data;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return -Errno.EINTR;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the interrupt word is non-zero ({@code poll} readiness).
     *
     * @return true if a read would not block
     */
    public boolean irqPending() {
        lock.lock();
        try {
            return irqData != 0;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the ticker and wakes blocked readers with EINTR. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            ticker.join(TimeUnit.SECONDS.toMillis(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- internals

    private long rangeMax() {
        lock.lock();
        try {
            return rangeMaxSeconds;
        } finally {
            lock.unlock();
        }
    }

    private long nowNanosLocked() {
        return source.nowNanos() + offsetNanos;
    }

    private void fireLocked() {
        alarmEnabled = false;
        irqData = (irqData + (1L << 8)) | RtcAbi.RTC_IRQF | RtcAbi.RTC_AF;
        firedCount++;
        changed.signalAll();
        LOG.debug("emulated RTC alarm fired at {} (irq word {})", Instant.ofEpochSecond(alarmSeconds),
            Long.toHexString(irqData));
    }

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void tick() {
        while (true) {
            boolean fired = false;
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                if (alarmEnabled) {
                    final long left = alarmSeconds * NANOS - nowNanosLocked();
                    if (left <= 0) {
                        fireLocked();
                        fired = true;
                    } else if (source.runsByItself()) {
                        changed.awaitNanos(left);
                    } else {
                        changed.await();
                    }
                } else {
                    changed.await();
                }
            } catch (final InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            if (fired) {
                irqListeners.forEach(Runnable::run);
            }
        }
    }
}
