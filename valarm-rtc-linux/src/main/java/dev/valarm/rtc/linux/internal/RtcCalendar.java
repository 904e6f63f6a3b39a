package dev.valarm.rtc.linux.internal;

import dev.valarm.Errno;
import dev.valarm.spi.RtcException;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * Conversions between epoch seconds and {@code struct rtc_time}, treating the RTC calendar as UTC (as
 * the kernel's RTC core does).
 *
 * <p>Thread-safety: stateless.
 */
public final class RtcCalendar {

    private RtcCalendar() {
    }

    /**
     * Fills an rtc_time from epoch seconds, with a correct weekday and day of year (some drivers need
     * the weekday) and {@code tm_isdst = 0}.
     *
     * @param epochSeconds seconds since the epoch; must be in 1970..9999
     * @param tm the struct to fill
     * @throws RtcException EINVAL if the time is outside what an RTC can hold
     */
    public static void fill(final long epochSeconds, final RtcTime tm) {
        if (epochSeconds < 0 || epochSeconds > 253_402_300_799L) {
            throw new RtcException(Errno.EINVAL, "rtc_time", "RTC times must be in 1970-01-01..9999-12-31: "
                    + epochSeconds + " s since the epoch");
        }
        final LocalDateTime t = LocalDateTime.ofEpochSecond(epochSeconds, 0, ZoneOffset.UTC);
        tm.tmSec.set(t.getSecond());
        tm.tmMin.set(t.getMinute());
        tm.tmHour.set(t.getHour());
        tm.tmMday.set(t.getDayOfMonth());
        tm.tmMon.set(t.getMonthValue() - 1);
        tm.tmYear.set(t.getYear() - 1900);
        tm.tmWday.set(t.getDayOfWeek().getValue() % 7);
        tm.tmYday.set(t.getDayOfYear() - 1);
        tm.tmIsdst.set(0);
    }

    /**
     * Whether an rtc_time holds a valid calendar time (the kernel's {@code rtc_valid_tm}).
     *
     * @param tm the struct
     * @return true if valid
     */
    public static boolean isValid(final RtcTime tm) {
        try {
            toEpochSeconds(tm, "rtc_time");
            return true;
        } catch (final RtcException e) {
            return false;
        }
    }

    /**
     * Epoch seconds from an rtc_time.
     *
     * @param tm the struct
     * @param op the operation that produced it, for the error
     * @return seconds since the epoch
     * @throws RtcException EIO if the fields are not a valid calendar time
     */
    public static long toEpochSeconds(final RtcTime tm, final String op) {
        final int year = tm.tmYear.get();
        try {
            if (year < 70) {
                throw new DateTimeException("year before 1970");
            }
            return LocalDateTime.of(year + 1900, tm.tmMon.get() + 1, tm.tmMday.get(), tm.tmHour.get(),
                    tm.tmMin.get(), tm.tmSec.get()).toEpochSecond(ZoneOffset.UTC);
        } catch (final DateTimeException e) {
            throw new RtcException(Errno.EIO, op, "invalid rtc_time " + describe(tm) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The fields as {@code year-mon-mday hour:min:sec} in the struct's own numbering, for messages.
     *
     * @param tm the struct
     * @return the description
     */
    public static String describe(final RtcTime tm) {
        return String.format(Locale.ROOT, "{year=%d mon=%d mday=%d %02d:%02d:%02d}", tm.tmYear.get(),
                tm.tmMon.get(), tm.tmMday.get(), tm.tmHour.get(), tm.tmMin.get(), tm.tmSec.get());
    }
}
