/**
 * The public API and SPI of valarm: virtual Android alarm devices ({@code /dev/alarm}, alarm-dev)
 * with a settable wall clock per instance, multiplexed onto one hardware RTC.
 *
 * <p>This module has no dependencies. Implementations live in {@code dev.valarm.impl}; the Linux
 * backend registers a {@link dev.valarm.spi.BackendProvider} through {@link java.util.ServiceLoader}.
 */
module dev.valarm.api {
    exports dev.valarm;
    exports dev.valarm.spi;

    uses dev.valarm.spi.BackendProvider;
}
