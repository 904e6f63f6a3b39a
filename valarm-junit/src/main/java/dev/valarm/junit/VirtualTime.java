package dev.valarm.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs each test of the annotated class (or the annotated test method) on a fresh simulated machine
 * with a running valarm device, through {@link VirtualTimeExtension}. Time on that machine never passes
 * by itself: the test moves it with a {@link VirtualTimeControl}, so code under test that reads an
 * injected {@link java.time.Clock} or waits for valarm alarms runs deterministically and instantly.
 *
 * <p>Test and lifecycle methods ({@code @BeforeEach}, {@code @AfterEach}) may declare parameters of
 * these types; within one test they all belong to the same machine:
 * <ul>
 * <li>{@link VirtualTimeControl}: the controls (advance, jump the wall clock, suspend, more instances);</li>
 * <li>{@link java.time.Clock}: the wall clock of the test's default instance;</li>
 * <li>{@link dev.valarm.ValarmInstance}: the test's default instance (one virtual alarm device);</li>
 * <li>{@link dev.valarm.ValarmDevice}: the device (the multiplexer);</li>
 * <li>{@link dev.valarm.impl.sim.SimulatedMachine}: the machine itself (its RTC log, fault injection).</li>
 * </ul>
 * The device is closed after each test. Constructor parameters are refused: the machine lives per test.
 *
 * <p>Example (from {@code VirtualTimeExampleTest} in this module's tests, which compiles and runs it):
 * <pre>{@code
 * @VirtualTime(start = "2030-06-01T12:00:00Z")
 * class VirtualTimeExampleTest {
 *
 *     @Test
 *     void aSessionExpiresAfterItsIdleTimeout(final Clock clock, final VirtualTimeControl time) {
 *         final SessionStore sessions = new SessionStore(clock, Duration.ofMinutes(30));
 *         sessions.touch("alice");
 *         time.advance(Duration.ofMinutes(29));
 *         assertTrue(sessions.isActive("alice"));
 *         time.advance(Duration.ofMinutes(2));
 *         assertFalse(sessions.isActive("alice"));
 *     }
 *
 *     @Test
 *     void aChangedWallClockIsSeenAtOnce(final Clock clock, final VirtualTimeControl time) {
 *         assertEquals(Instant.parse("2030-06-01T12:00:00Z"), clock.instant());
 *         time.jumpWallClock(Duration.ofDays(1));
 *         assertEquals(Instant.parse("2030-06-02T12:00:00Z"), clock.instant());
 *     }
 *
 *     @Test
 *     void aWakeupAlarmEndsASuspend(final ValarmInstance tenant, final VirtualTimeControl time)
 *             throws InterruptedException {
 *         final AlarmHandle alarm = tenant.open(OpenMode.READ_WRITE);
 *         final Timespec now = alarm.getTime(AlarmType.ELAPSED_REALTIME_WAKEUP);
 *         alarm.set(AlarmType.ELAPSED_REALTIME_WAKEUP, now.plus(Duration.ofHours(1)));
 *         final SuspendOutcome slept = time.suspend(Duration.ofDays(1));
 *         assertEquals(Duration.ofHours(1), slept.slept());
 *         assertTrue(alarm.await(Duration.ZERO).fired(AlarmType.ELAPSED_REALTIME_WAKEUP));
 *     }
 * }
 * }</pre>
 *
 * <p>Thread-safety: an annotation; see {@link VirtualTimeControl} for the controls.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@ExtendWith(VirtualTimeExtension.class)
public @interface VirtualTime {

    /**
     * The host wall clock when each test starts, as an ISO-8601 instant.
     *
     * @return the start instant (default {@code 2026-01-01T00:00:00Z})
     */
    String start() default "2026-01-01T00:00:00Z";

    /**
     * How long the machine has been up when each test starts, in seconds (boot time and monotonic time).
     *
     * @return seconds since boot, not negative (default 1000)
     */
    long sinceBootSeconds() default 1000;

    /**
     * Whether the simulated RTC can wake the machine from suspend.
     *
     * @return true (the default) for a wake-capable RTC
     */
    boolean rtcCanWake() default true;
}
