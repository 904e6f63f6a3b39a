/**
 * A JUnit 5 extension for virtual time: {@link dev.valarm.junit.VirtualTime} gives a test a valarm
 * device on simulated clocks, controls to let time pass ({@link dev.valarm.junit.VirtualTimeControl}),
 * and {@link java.time.Clock} views to inject into the code under test.
 */
package dev.valarm.junit;
