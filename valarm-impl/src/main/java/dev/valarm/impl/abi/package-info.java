/**
 * The alarm driver's binary interface: {@link dev.valarm.impl.abi.AlarmIoctlCodec} turns the real
 * {@code /dev/alarm} ioctl request numbers and argument bytes into calls on an
 * {@link dev.valarm.AlarmHandle} and returns exactly what the driver would, so that a bridge serving
 * real processes (a socket, FUSE/CUSE, a character device) can sit on top of valarm.
 */
package dev.valarm.impl.abi;
