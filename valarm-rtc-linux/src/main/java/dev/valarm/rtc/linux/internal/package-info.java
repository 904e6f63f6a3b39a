/**
 * The native binding behind {@code dev.valarm.rtc.linux}: public for the sibling package, not API.
 *
 * <p>Layout, after jnr-posix without its flat mega-package: one narrow interface ({@link
 * dev.valarm.rtc.linux.internal.LibC}) declares only the libc calls used; {@code Struct} classes mirror
 * the kernel structs ({@code timespec}, {@code itimerspec}, {@code rtc_time}, {@code rtc_wkalrm}); {@link
 * dev.valarm.rtc.linux.internal.LinuxAbi} holds every constant with the header it comes from; {@link
 * dev.valarm.rtc.linux.internal.Native} loads the binding once with {@code failImmediately()} and turns
 * errno into {@link dev.valarm.spi.RtcException}, never falling back silently.
 *
 * <p>errno rules: hot calls whose failure is impossible or harmless ({@code clock_gettime} on a valid
 * clock into direct memory, the eventfd {@code write}) carry {@code @IgnoreError}; every other call saves
 * errno, read through jnr's {@code LastError} on the calling thread right after the call.
 *
 * <p>Threads: {@link dev.valarm.rtc.linux.internal.TimerfdWatcher} is the only thread this package
 * starts (one per open wake backend); it waits in {@code poll} on a timerfd and an eventfd used to stop
 * it. {@link dev.valarm.rtc.linux.internal.RtcAlarmWatch} uses it to notice a single-slot RTC alarm's
 * second pass without holding the RTC open.
 */
package dev.valarm.rtc.linux.internal;
