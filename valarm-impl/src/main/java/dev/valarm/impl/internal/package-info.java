/**
 * Internals of valarm-impl: public so that the benchmarks can reach them, never exported from the
 * module, not API. Everything here is confined to one thread or guarded by its owner's lock unless its
 * javadoc says otherwise. Code that holds the device lock or runs in the dispatcher's expiry loop never
 * calls user code: it records what user code must learn into the {@code Delivery} path (see
 * {@link dev.valarm.impl.internal.Device}).
 */
package dev.valarm.impl.internal;
