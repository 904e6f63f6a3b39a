/**
 * The service-provider interface: the hardware RTC ({@link dev.valarm.spi.RtcBackend}), the host clocks
 * the dispatcher sleeps on ({@link dev.valarm.spi.HostClocks}), the suspend blocker (the driver's
 * wakelock, {@link dev.valarm.spi.SuspendBlocker}), and platform discovery
 * ({@link dev.valarm.spi.BackendProvider}).
 */
package dev.valarm.spi;
