/**
 * Internals of {@link dev.valarm.impl.schedule.InstanceScheduler}: the engine that multiplexes tasks onto
 * an instance's driver alarms, the task future that is also the heap entry, the per-type task heaps and
 * the own worker pool. Public only where the exported package needs it; never exported from the module,
 * not API. Everything here is guarded by the engine's lock unless its javadoc says otherwise.
 */
package dev.valarm.impl.schedule.internal;
