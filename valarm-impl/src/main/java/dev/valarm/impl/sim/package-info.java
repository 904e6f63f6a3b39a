/**
 * A simulated machine for tests: host clocks that move only when told, an RTC with a log of every call,
 * drift and fault injection, a suspend blocker, and suspend/resume. Time never passes by itself, so
 * tests are deterministic and never sleep.
 *
 * <pre>{@code
 * SimulatedMachine machine = SimulatedMachine.builder().build();
 * try (ValarmDevice device = machine.newDevice()) {
 *     AlarmHandle h = device.createInstance().open(OpenMode.READ_WRITE);
 *     h.set(AlarmType.RTC_WAKEUP, Timespec.ofNanos(machine.clocks().nanos(ClockBase.REALTIME) + 5_000_000_000L));
 *     machine.advance(Duration.ofSeconds(5));           // returns once the device has fired what is due
 *     AlarmEvents ev = h.await(Duration.ZERO);           // RTC_WAKEUP fired
 * }
 * }</pre>
 */
package dev.valarm.impl.sim;
