package dev.valarm.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

@VirtualTime(start = "2030-01-01T00:00:00Z", sinceBootSeconds = 50)
class VirtualTimeExtensionTest {
    private ValarmDevice fromBeforeEach;

    @BeforeEach
    void setUp(final ValarmDevice device) {
        fromBeforeEach = device;
    }

    @Test
    void everyParameterBelongsToTheSameMachine(final VirtualTimeControl time, final ValarmDevice device,
            final SimulatedMachine machine, final ValarmInstance instance, final Clock clock) {
        assertSame(fromBeforeEach, device, "lifecycle methods and the test share one device");
        assertSame(device, time.device());
        assertSame(machine, time.machine());
        assertSame(instance, time.defaultInstance());
        assertEquals(instance.clock(), clock);
        assertEquals(1, device.instances().size());
    }

    @Test
    void settingsComeFromTheAnnotation(final VirtualTimeControl time, final SimulatedMachine machine) {
        assertEquals(Instant.parse("2030-01-01T00:00:00Z"), time.hostNow());
        assertEquals(50_000_000_000L, machine.nanos(ClockBase.BOOTTIME));
    }

    @Test
    @VirtualTime(start = "2040-02-03T04:05:06Z", rtcCanWake = false)
    void aMethodAnnotationWins(final VirtualTimeControl time, final ValarmDevice device) {
        assertEquals(Instant.parse("2040-02-03T04:05:06Z"), time.hostNow());
        assertFalse(device.rtcCapabilities().canWake());
    }

    @Test
    void advanceFiresAlarmsOnTheWay(final ValarmInstance instance, final VirtualTimeControl time) throws Exception {
        final AlarmHandle h = instance.open(OpenMode.READ_WRITE);
        h.set(AlarmType.RTC, Timespec.ofSeconds(h.getTime(AlarmType.RTC).seconds() + 10));
        time.advance(Duration.ofSeconds(9));
        assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO));
        time.advance(Duration.ofSeconds(1));
        assertEquals(AlarmType.RTC.mask(), h.await(Duration.ZERO).mask());
    }

    @Test
    void wallClockControlsMoveEveryInstanceButNotElapsedTime(final VirtualTimeControl time, final Clock clock) {
        final ValarmInstance shifted = time.newInstance("shifted", Duration.ofHours(-5));
        final long boot = shifted.now(AlarmType.ELAPSED_REALTIME).toNanos();
        time.setWallClock(Instant.parse("2031-01-01T00:00:00Z"));
        assertEquals(Instant.parse("2031-01-01T00:00:00Z"), clock.instant());
        assertEquals(Instant.parse("2030-12-31T19:00:00Z"), shifted.clock().instant());
        assertEquals(boot, shifted.now(AlarmType.ELAPSED_REALTIME).toNanos());
        time.jumpWallClock(Duration.ofSeconds(-60));
        assertEquals(Instant.parse("2030-12-31T23:59:00Z"), clock.instant());
    }

    @Test
    void suspendStopsMonotonicTime(final VirtualTimeControl time, final ValarmInstance instance) {
        final long mono = instance.now(AlarmType.SYSTEMTIME).toNanos();
        final SuspendOutcome out = time.suspend(Duration.ofMinutes(5));
        assertEquals(SuspendOutcome.Result.LIMIT_REACHED, out.result());
        assertEquals(mono, instance.now(AlarmType.SYSTEMTIME).toNanos());
    }

    @Nested
    class NestedClassesInheritTheSettings {
        @Test
        void sameStart(final VirtualTimeControl time) {
            assertEquals(Instant.parse("2030-01-01T00:00:00Z"), time.hostNow());
        }
    }

    // ------------------------------------------------------------ run through the engine test kit

    static final List<ValarmDevice> SEEN = new ArrayList<>();

    /** Run only through the test kit below (its name keeps surefire from picking it up). */
    @ExtendWith(VirtualTimeExtension.class)
    static class PlainExtendWith {
        @Test
        void one(final ValarmDevice device, final VirtualTimeControl time) {
            SEEN.add(device);
            assertEquals(Instant.parse("2026-01-01T00:00:00Z"), time.hostNow(), "defaults without the annotation");
        }

        @Test
        void two(final ValarmDevice device) {
            SEEN.add(device);
        }
    }

    @Test
    void eachTestGetsAFreshDeviceThatIsClosedAfterwards() {
        SEEN.clear();
        final Events events = EngineTestKit.engine("junit-jupiter").selectors(selectClass(PlainExtendWith.class))
                .execute().testEvents();
        events.assertStatistics(s -> s.succeeded(2).failed(0));
        assertEquals(2, SEEN.size());
        assertNotEquals(SEEN.get(0), SEEN.get(1));
        assertTrue(SEEN.get(0).isClosed() && SEEN.get(1).isClosed());
    }

    @ExtendWith(VirtualTimeExtension.class)
    static class ConstructorInjection {
        ConstructorInjection(final VirtualTimeControl time) {
            assertTrue(time != null);
        }

        @Test
        void never() {
        }
    }

    @Test
    void constructorParametersAreRefusedWithAClearMessage() {
        final Events events = EngineTestKit.engine("junit-jupiter").selectors(selectClass(ConstructorInjection.class))
                .execute().testEvents();
        events.assertStatistics(s -> s.failed(1));
        final Throwable error = events.failed().stream().findFirst().orElseThrow()
                .getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
        assertTrue(error.getMessage().contains("not on the constructor"), error.getMessage());
    }

    @VirtualTime(start = "yesterday")
    static class BadStart {
        @Test
        void never(final VirtualTimeControl time) {
        }
    }

    @Test
    void aBadStartIsAConfigurationError() {
        final Events events = EngineTestKit.engine("junit-jupiter").selectors(selectClass(BadStart.class))
                .execute().testEvents();
        events.assertStatistics(s -> s.failed(1));
        final Throwable error = events.failed().stream().findFirst().orElseThrow()
                .getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
        assertTrue(String.valueOf(error.getMessage()).contains("\"yesterday\"")
                || String.valueOf(error.getCause()).contains("yesterday"), String.valueOf(error));
    }
}
