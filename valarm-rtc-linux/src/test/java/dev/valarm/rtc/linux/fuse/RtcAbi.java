package dev.valarm.rtc.linux.fuse;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import jnr.ffi.Pointer;

/**
 * The x86-64 RTC character-device ABI ({@code include/uapi/linux/rtc.h}, {@code drivers/rtc/dev.c}) as the
 * emulator and the test clients need it: request numbers, {@code struct rtc_time} (36 bytes, nine int32:
 * sec, min, hour, mday, mon 0-11, year since 1900, wday, yday, isdst) and {@code struct rtc_wkalrm} (40 bytes:
 * enabled u8 @0, pending u8 @1, rtc_time @4), and the kernel's {@code rtc_valid_tm} check.
 *
 * <p>Thread-safety: stateless.
 */
public final class RtcAbi {
    /** {@code _IOR('p', 0x09, struct rtc_time)}. */
    public static final int RTC_RD_TIME = 0x80247009;
    /** {@code _IOW('p', 0x0a, struct rtc_time)}. */
    public static final int RTC_SET_TIME = 0x4024700a;
    /** {@code _IOW('p', 0x0f, struct rtc_wkalrm)}. */
    public static final int RTC_WKALM_SET = 0x4028700f;
    /** {@code _IOR('p', 0x10, struct rtc_wkalrm)}. */
    public static final int RTC_WKALM_RD = 0x80287010;
    /** {@code _IO('p', 0x01)}: not emulated (ENOTTY), as the brief of the emulator says. */
    public static final int RTC_AIE_ON = 0x7001;
    /** {@code _IO('p', 0x02)}: not emulated (ENOTTY). */
    public static final int RTC_AIE_OFF = 0x7002;
    /** {@code _IO('p', 0x03)}: not emulated (ENOTTY); hwclock then busy-waits on RTC_RD_TIME. */
    public static final int RTC_UIE_ON = 0x7003;
    /** {@code _IOR('p', 0x08, struct rtc_time)}: not emulated (ENOTTY). */
    public static final int RTC_ALM_READ = 0x80247008;
    /** {@code _IOW('p', 0x13, struct rtc_param)}: not emulated (ENOTTY, like a pre-5.16 kernel). */
    public static final int RTC_PARAM_GET = 0x40187013;

    /** Interrupt flag in the word {@code read()} returns. */
    public static final int RTC_IRQF = 0x80;
    /** Alarm flag in the word {@code read()} returns. */
    public static final int RTC_AF = 0x20;

    /** {@code sizeof(struct rtc_time)}. */
    public static final int RTC_TIME_SIZE = 36;
    /** {@code sizeof(struct rtc_wkalrm)}. */
    public static final int RTC_WKALRM_SIZE = 40;
    /** Offset of {@code time} in {@code struct rtc_wkalrm}. */
    public static final int WKALRM_TIME_OFFSET = 4;

    /** Number of int fields in {@code struct rtc_time}. */
    public static final int TM_FIELDS = 9;

    private RtcAbi() {
    }

    /**
     * Reads a {@code struct rtc_time}.
     *
     * @param p the memory
     * @param offset where the struct starts
     * @return the nine fields in ABI order
     */
    public static int[] getTm(final Pointer p, final long offset) {
        final int[] tm = new int[TM_FIELDS];
        for (int i = 0; i < TM_FIELDS; i++) {
            tm[i] = p.getInt(offset + 4L * i);
        }
        return tm;
    }

    /**
     * Writes a {@code struct rtc_time}.
     *
     * @param p the memory
     * @param offset where the struct starts
     * @param tm the nine fields in ABI order
     */
    public static void putTm(final Pointer p, final long offset, final int[] tm) {
        for (int i = 0; i < TM_FIELDS; i++) {
            p.putInt(offset + 4L * i, tm[i]);
        }
    }

    /**
     * The kernel's {@code rtc_valid_tm}: year at least 70 (1970), month 0-11, day within the month, hour,
     * minute and second in range; wday, yday and isdst are ignored.
     *
     * @param tm the fields
     * @return whether the kernel would accept them
     */
    public static boolean validTm(final int[] tm) {
        if (tm[5] < 70 || tm[4] < 0 || tm[4] >= 12 || tm[3] < 1 || tm[2] < 0 || tm[2] >= 24 || tm[1] < 0
                || tm[1] >= 60 || tm[0] < 0 || tm[0] >= 60) {
            return false;
        }
        try {
            LocalDateTime.of(tm[5] + 1900, tm[4] + 1, tm[3], 0, 0);
            return true;
        } catch (final DateTimeException e) {
            return false;
        }
    }

    /**
     * Converts valid fields to seconds since the epoch (the RTC calendar is UTC, as in the kernel).
     *
     * @param tm valid fields
     * @return the epoch seconds
     */
    public static long tmToSeconds(final int[] tm) {
        return LocalDateTime.of(tm[5] + 1900, tm[4] + 1, tm[3], tm[2], tm[1], tm[0]).toEpochSecond(ZoneOffset.UTC);
    }

    /**
     * The kernel's {@code rtc_time64_to_tm}: all fields including wday and yday, isdst 0.
     *
     * @param seconds epoch seconds
     * @return the nine fields
     */
    public static int[] secondsToTm(final long seconds) {
        final LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
        return new int[] {t.getSecond(), t.getMinute(), t.getHour(), t.getDayOfMonth(), t.getMonthValue() - 1,
            t.getYear() - 1900, t.getDayOfWeek().getValue() % 7, t.getDayOfYear() - 1, 0};
    }

    /**
     * Builds the fields rtcwake passes (wday, yday and isdst -1).
     *
     * @param seconds epoch seconds
     * @return the fields
     */
    public static int[] tmForSet(final long seconds) {
        final int[] tm = secondsToTm(seconds);
        tm[6] = -1;
        tm[7] = -1;
        tm[8] = -1;
        return tm;
    }
}
