package dev.valarm.rtc.linux.internal;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/**
 * {@code struct rtc_param} from {@code <linux/rtc.h>} (Linux 5.16+): {@code param} (u64, offset 0), the
 * value union ({@code uvalue}/{@code svalue}/{@code ptr}, u64, offset 8), {@code index} (u32, offset 16),
 * {@code __pad} (u32, offset 20); 24 bytes. Not thread-safe.
 */
public final class RtcParam extends Struct {
    /** Which parameter ({@code RTC_PARAM_FEATURES} = 0, ...). */
    public final Unsigned64 param = new Unsigned64();
    /** The value ({@code uvalue}). */
    public final Unsigned64 uvalue = new Unsigned64();
    /** The index, for indexed parameters. */
    public final Unsigned32 index = new Unsigned32();
    /** Padding. */
    public final Unsigned32 pad = new Unsigned32();

    /**
     * An rtc_param in Java-heap memory.
     *
     * @param runtime the jnr runtime
     */
    public RtcParam(final Runtime runtime) {
        super(runtime);
    }
}
