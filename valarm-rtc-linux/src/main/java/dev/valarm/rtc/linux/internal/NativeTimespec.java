package dev.valarm.rtc.linux.internal;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/**
 * {@code struct timespec} (x86-64 / aarch64: {@code time_t tv_sec} and {@code long tv_nsec}, 16 bytes),
 * from {@code <time.h>}. Not thread-safe.
 */
public final class NativeTimespec extends Struct {
    /** Seconds, offset 0. */
    public final Signed64 tvSec = new Signed64();
    /** Nanoseconds in [0, 999 999 999], offset 8. */
    public final Signed64 tvNsec = new Signed64();

    /**
     * A timespec in Java-heap memory (jnr copies it for the call).
     *
     * @param runtime the jnr runtime
     */
    public NativeTimespec(final Runtime runtime) {
        super(runtime);
    }

    /**
     * Sets both fields from one count of nanoseconds.
     *
     * @param nanos nanoseconds (floor-divided into seconds)
     */
    public void setNanos(final long nanos) {
        tvSec.set(Math.floorDiv(nanos, 1_000_000_000L));
        tvNsec.set(Math.floorMod(nanos, 1_000_000_000L));
    }

    /**
     * The value as one count of nanoseconds (saturating).
     *
     * @return the nanoseconds
     */
    public long nanos() {
        return Native.toNanos(tvSec.get(), tvNsec.get());
    }
}
