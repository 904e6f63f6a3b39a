package dev.valarm.impl;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC;
import static dev.valarm.AlarmType.RTC_WAKEUP;
import static dev.valarm.AlarmType.SYSTEMTIME;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.impl.sim.SimulatedClocks;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SimulatedRtc;
import dev.valarm.spi.HostClocks;
import dev.valarm.spi.WakeReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One hardware decision per change of the wanted wake time, on a 1 ns RTC (like the alarm timerfds) with
 * host clocks whose reads are never simultaneous (each read sees 1 µs more, as on a real machine): arming
 * alarms that do not move the earliest wakeup must not reprogram the hardware with a target a few
 * nanoseconds off the one already programmed.
 */
final class WakeDecisionJitterTest {
    private static final long SEC = 1_000_000_000L;

    @ParameterizedTest
    @EnumSource(value = AlarmType.class, names = {"RTC_WAKEUP", "ELAPSED_REALTIME_WAKEUP"})
    void alarmsThatDoNotMoveTheEarliestWakeupDoNotReprogramTheHardware(final AlarmType first) throws Exception {
        final SimulatedMachine m = SimulatedMachine.builder().rtcResolution(Duration.ofNanos(1)).build();
        final List<Timespec> decisions = new ArrayList<>();
        final DeviceListener listener = new DeviceListener() {
            @Override
            public void hardwareProgrammed(final Timespec t, final boolean clamped, final long rem, final boolean written) {
                synchronized (decisions) {
                    decisions.add(t);
                }
            }

            @Override
            public void hardwareUnchanged(final Timespec t) {
                synchronized (decisions) {
                    decisions.add(t);
                }
            }
        };
        try (ValarmDevice d = m.newDevice(b -> b.hostClocks(new ReadsTakeTime(m.clocks())).listener(listener))) {
            final AlarmHandle h = d.createInstance().open(OpenMode.READ_WRITE);
            final AlarmType second = first == RTC_WAKEUP ? ELAPSED_REALTIME_WAKEUP : RTC_WAKEUP;
            h.set(first, in(h, first, 10));
            m.awaitIdle();
            // None of these moves the earliest wakeup (the first alarm), but each wakes the dispatcher.
            h.set(RTC, in(h, RTC, 5));
            m.awaitIdle();
            h.set(ELAPSED_REALTIME, in(h, ELAPSED_REALTIME, 6));
            m.awaitIdle();
            h.set(SYSTEMTIME, in(h, SYSTEMTIME, 7));
            m.awaitIdle();
            h.set(second, in(h, second, 20));
            m.awaitIdle();
            synchronized (decisions) {
                assertEquals(1, decisions.size(), "one decision for one wanted wake time: " + decisions);
            }
            assertEquals(1, m.rtc().calls(SimulatedRtc.Op.PROGRAM).size(), m.rtc().calls().toString());

            m.advance(Duration.ofSeconds(10)); // the first fires; the second is now the earliest wakeup
            synchronized (decisions) {
                assertEquals(2, decisions.size(), "one more decision, for the second alarm: " + decisions);
            }
        }
    }

    private static Timespec in(final AlarmHandle h, final AlarmType type, final long seconds) {
        return Timespec.ofNanos(h.getTime(type).toNanos() + seconds * SEC);
    }

    /** The machine's clocks, each read 1 µs later than the one before, as reads are on real hardware. */
    private static final class ReadsTakeTime implements HostClocks {
        private final SimulatedClocks clocks;
        private final AtomicLong reads = new AtomicLong();

        ReadsTakeTime(final SimulatedClocks clocks) {
            this.clocks = clocks;
        }

        @Override
        public String name() {
            return clocks.name();
        }

        @Override
        public long nanos(final ClockBase base) {
            return clocks.nanos(base) + reads.incrementAndGet() * 1_000L;
        }

        @Override
        public boolean canSetRealtime() {
            return clocks.canSetRealtime();
        }

        @Override
        public void setRealtime(final long epochNanos) {
            clocks.setRealtime(epochNanos);
        }

        @Override
        public WakeReason awaitDeadline(final long realtimeDeadline, final long boottimeDeadline,
                final long monotonicDeadline) {
            return clocks.awaitDeadline(realtimeDeadline, boottimeDeadline, monotonicDeadline);
        }

        @Override
        public void wakeup() {
            clocks.wakeup();
        }

        @Override
        public void close() {
            clocks.close();
        }
    }
}
