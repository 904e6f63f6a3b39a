package dev.valarm.rtc.linux.internal;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/**
 * {@code struct rtc_wkalrm} from {@code <linux/rtc.h>}: {@code enabled} (u8, offset 0), {@code pending}
 * (u8, offset 1), 2 bytes of padding, {@code struct rtc_time time} (offset 4); 40 bytes. Not thread-safe.
 */
public final class RtcWkAlrm extends Struct {
    /** 1 to arm the alarm (on set), whether it is armed (on read). */
    public final Unsigned8 enabled = new Unsigned8();
    /** Whether the alarm fired and was not consumed (read only). */
    public final Unsigned8 pending = new Unsigned8();
    /** The alarm time on the RTC's clock, offset 4. */
    public final RtcTime time;

    /**
     * An rtc_wkalrm in Java-heap memory.
     *
     * @param runtime the jnr runtime
     */
    public RtcWkAlrm(final Runtime runtime) {
        super(runtime);
        time = inner(new RtcTime(runtime));
    }
}
