/**
 * Optional Micrometer metrics for valarm: a device's counters ({@link dev.valarm.DeviceStats}), the
 * lateness of its firings and its hardware decisions as meters in any {@code MeterRegistry}. See
 * {@link dev.valarm.micrometer.ValarmMetrics}.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // micrometer-core: automatic module
module dev.valarm.micrometer {
    requires transitive dev.valarm.impl;
    requires transitive micrometer.core;

    exports dev.valarm.micrometer;
}
