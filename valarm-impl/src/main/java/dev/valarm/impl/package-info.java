/**
 * The valarm implementation entry point ({@link dev.valarm.impl.Valarm}) and its observer
 * ({@link dev.valarm.impl.DeviceListener}).
 *
 * <p>Threads of a device: callers (any thread) take their instance's own lock briefly (there is no
 * device-wide lock on the SET/CLEAR/WAIT path) and hand heap changes to the dispatcher through a bounded
 * queue; the dispatcher applies them, fires alarms and programs the hardware; the delivery thread runs
 * everything that is user code, after the fact and with no lock held: listener calls and the hand-over of
 * asynchronous-wait completions to the callback executor. No user code ever runs under a device or instance
 * lock or inside the dispatcher's expiry loop.
 */
package dev.valarm.impl;
