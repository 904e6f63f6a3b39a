/**
 * Internals of valarm-impl: public so that the benchmarks can reach them, never exported from the
 * module, not API. Everything here is confined to one thread or guarded by its owner's lock unless its
 * javadoc says otherwise.
 */
package dev.valarm.impl.internal;
