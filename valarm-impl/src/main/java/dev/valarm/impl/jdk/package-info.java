/**
 * The portable backend for machines with nothing native: host clocks from the JDK and an RTC backend
 * that says it cannot wake the machine.
 */
package dev.valarm.impl.jdk;
