/**
 * The Linux backend of valarm: host clocks through {@code clock_gettime} and timerfds
 * ({@code LinuxHostClocks}), and three wake backends for the one hardware RTC
 * alarm, tried in this order: alarm-clock timerfds ({@code AlarmTimerBackend}), the
 * RTC character device ({@link dev.valarm.rtc.linux.RtcDeviceBackend}) and the sysfs {@code wakealarm}
 * file ({@code SysfsWakealarmBackend}). {@code LinuxBackendProvider}
 * is found through {@link java.util.ServiceLoader}, probes the machine and opens them.
 */
package dev.valarm.rtc.linux;
