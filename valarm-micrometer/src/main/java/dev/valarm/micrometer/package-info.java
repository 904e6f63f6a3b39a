/**
 * Micrometer meters for a valarm device: {@link dev.valarm.micrometer.ValarmMetrics} binds one device to
 * one {@code MeterRegistry}; {@link dev.valarm.micrometer.InstanceMetrics} adds per-instance lateness for
 * the instances a user names (opt-in, for cardinality).
 */
package dev.valarm.micrometer;
