/**
 * Serves virtual alarm devices to real processes through the kernel: each instance as a CUSE character
 * device ({@code /dev/alarm}, a minor per instance) or as a file in a FUSE mount (a mount per container,
 * bind-mountable over {@code /dev/alarm}). Start with {@link dev.valarm.bridge.AlarmBridge}.
 */
package dev.valarm.bridge;
