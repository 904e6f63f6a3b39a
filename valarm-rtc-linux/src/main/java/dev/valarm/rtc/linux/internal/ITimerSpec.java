package dev.valarm.rtc.linux.internal;

import jnr.ffi.Memory;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/**
 * {@code struct itimerspec} from {@code <time.h>} / {@code <sys/timerfd.h>}: 32 bytes,
 * {@code it_interval} first (offset 0), then {@code it_value} (offset 16). Not thread-safe.
 */
public final class ITimerSpec extends Struct {
    /** {@code it_interval.tv_sec}, offset 0. */
    public final Signed64 intervalSec = new Signed64();
    /** {@code it_interval.tv_nsec}, offset 8. */
    public final Signed64 intervalNsec = new Signed64();
    /** {@code it_value.tv_sec}, offset 16. */
    public final Signed64 valueSec = new Signed64();
    /** {@code it_value.tv_nsec}, offset 24. */
    public final Signed64 valueNsec = new Signed64();

    /**
     * An itimerspec in Java-heap memory.
     *
     * @param runtime the jnr runtime
     */
    public ITimerSpec(final Runtime runtime) {
        super(runtime);
    }

    /**
     * An itimerspec backed by direct memory, passed to native code without copying (for reuse on a
     * hot path).
     *
     * @param runtime the jnr runtime
     * @return the struct
     */
    public static ITimerSpec direct(final Runtime runtime) {
        final ITimerSpec spec = new ITimerSpec(runtime);
        spec.useMemory(Memory.allocateDirect(runtime, Struct.size(spec)));
        return spec;
    }

    /**
     * Sets a one-shot value (interval zero).
     *
     * @param sec {@code it_value.tv_sec}
     * @param nsec {@code it_value.tv_nsec}
     */
    public void setOneShot(final long sec, final long nsec) {
        intervalSec.set(0);
        intervalNsec.set(0);
        valueSec.set(sec);
        valueNsec.set(nsec);
    }
}
