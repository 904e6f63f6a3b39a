/**
 * The valarm implementation entry point ({@link dev.valarm.impl.Valarm}) and its observer
 * ({@link dev.valarm.impl.DeviceListener}).
 */
package dev.valarm.impl;
