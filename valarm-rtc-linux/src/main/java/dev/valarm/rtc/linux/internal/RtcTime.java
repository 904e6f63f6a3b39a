package dev.valarm.rtc.linux.internal;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/**
 * {@code struct rtc_time} from {@code <linux/rtc.h>}: 9 {@code int}s, 36 bytes, the fields of
 * {@code struct tm} (month 0-11, year since 1900). Not thread-safe.
 */
public final class RtcTime extends Struct {
    /** Seconds 0-59, offset 0. */
    public final Signed32 tmSec = new Signed32();
    /** Minutes 0-59, offset 4. */
    public final Signed32 tmMin = new Signed32();
    /** Hours 0-23, offset 8. */
    public final Signed32 tmHour = new Signed32();
    /** Day of month 1-31, offset 12. */
    public final Signed32 tmMday = new Signed32();
    /** Month 0-11, offset 16. */
    public final Signed32 tmMon = new Signed32();
    /** Years since 1900 (the kernel requires at least 70), offset 20. */
    public final Signed32 tmYear = new Signed32();
    /** Day of week 0-6 (Sunday 0), offset 24; some drivers need it. */
    public final Signed32 tmWday = new Signed32();
    /** Day of year 0-365, offset 28; ignored on set. */
    public final Signed32 tmYday = new Signed32();
    /** DST flag, offset 32; ignored. */
    public final Signed32 tmIsdst = new Signed32();

    /**
     * An rtc_time in Java-heap memory.
     *
     * @param runtime the jnr runtime
     */
    public RtcTime(final Runtime runtime) {
        super(runtime);
    }
}
