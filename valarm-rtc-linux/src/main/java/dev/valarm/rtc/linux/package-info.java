/**
 * The Linux backend of valarm: host clocks through {@code clock_gettime} and timerfds
 * ({@link dev.valarm.rtc.linux.LinuxHostClocks}), and three wake backends for the one hardware RTC
 * alarm, tried in this order: alarm-clock timerfds ({@link dev.valarm.rtc.linux.AlarmTimerBackend}), the
 * RTC character device ({@link dev.valarm.rtc.linux.RtcDeviceBackend}) and the sysfs {@code wakealarm}
 * file ({@link dev.valarm.rtc.linux.SysfsWakealarmBackend}). {@link dev.valarm.rtc.linux.LinuxBackendProvider}
 * is found through {@link java.util.ServiceLoader}, probes the machine and opens them.
 */
package dev.valarm.rtc.linux;
