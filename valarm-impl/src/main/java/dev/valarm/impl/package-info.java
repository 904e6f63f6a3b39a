/**
 * The valarm implementation entry point ({@link dev.valarm.impl.Valarm}) and its observer
 * ({@link dev.valarm.impl.DeviceListener}).
 *
 * <p>Threads of a device: callers (any thread) take the device's lock briefly; the dispatcher fires alarms
 * and programs the hardware; the delivery thread runs everything that is user code, after the fact and with
 * no lock held: listener calls and the hand-over of asynchronous-wait completions to the callback
 * executor. No user code ever runs under the device lock or inside the dispatcher's expiry loop.
 */
package dev.valarm.impl;
