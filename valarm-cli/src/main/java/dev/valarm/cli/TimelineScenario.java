package dev.valarm.cli;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.InstanceConfig;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.DeviceListener;
import dev.valarm.impl.sim.RtcCall;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.impl.sim.SimulatedRtc;
import dev.valarm.impl.sim.SuspendOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo scenario of {@code ./valarm demo}, replayed on a simulated machine so that it can be drawn:
 * N instances, B with its wall clock five years ahead (SET_RTC), each arming all five alarm types 1 to 6
 * seconds ahead. The machine stays awake for 2 s, then suspends whenever it can (only the RTC's wake
 * alarm ends a suspend, and non-wakeup alarms wait for the next wake), then stays awake until the
 * SYSTEMTIME alarms (whose clock stops in suspend) are due. Everything is recorded on one axis: host
 * boot time since the start, in nanoseconds. Deterministic; not thread-safe.
 */
final class TimelineScenario {
    static final Instant HOST_START = Instant.parse("2026-03-01T09:00:00Z");
    private static final long MS = 1_000_000L;
    private static final AlarmType[] ORDER = {AlarmType.RTC_WAKEUP, AlarmType.ELAPSED_REALTIME,
        AlarmType.ELAPSED_REALTIME_WAKEUP, AlarmType.SYSTEMTIME, AlarmType.RTC};

    /** One instance's lane. */
    record Lane(String name, long wallClockOffsetNanos) {
    }

    /** An alarm as set: its window on the axis ({@code startX == endX} for an exact alarm). */
    record Alarm(int lane, AlarmType type, long setX, long startX, long endX, long instanceTime, long window) {
    }

    /** A delivery (the alarm fired) on the axis, with the instance's time on the type's clock then. */
    record Delivery(int lane, AlarmType type, long x, long instanceTime, long lateNanos) {
    }

    /** A call to the RTC from its call log: the call's time and, for PROGRAM, the alarm time. */
    record RtcMark(SimulatedRtc.Op op, long x, long targetX, Timespec argument) {
    }

    /** A suspended stretch. */
    record Span(long fromX, long toX, SuspendOutcome.Result result) {
    }

    /** Everything recorded. */
    record Result(List<Lane> lanes, List<Alarm> alarms, List<Delivery> deliveries, List<RtcMark> rtc,
            List<Long> wakes, List<Span> suspended, long endX, long windowNanos) {
    }

    private final int instances;
    private final Duration window;

    TimelineScenario(final int instances, final Duration window) {
        this.instances = instances;
        this.window = window;
    }

    Result run() throws InterruptedException {
        final SimulatedMachine machine = SimulatedMachine.builder().realtime(HOST_START).build();
        final long bt0 = machine.nanos(ClockBase.BOOTTIME);
        final long rt0 = machine.nanos(ClockBase.REALTIME);
        final List<long[]> fired = new ArrayList<>(); // minor, type, x
        final List<Long> wakes = new ArrayList<>();
        final DeviceListener listener = new DeviceListener() {
            @Override
            public void alarmFired(final int minor, final AlarmType type, final long hostDeadlineNanos,
                    final long hostNowNanos) {
                synchronized (fired) {
                    fired.add(new long[] {minor, type.number(), machine.nanos(ClockBase.BOOTTIME) - bt0, hostNowNanos});
                }
            }

            @Override
            public void hardwareFired() {
                synchronized (wakes) {
                    wakes.add(machine.nanos(ClockBase.BOOTTIME) - bt0);
                }
            }
        };
        final List<Lane> lanes = new ArrayList<>();
        final List<Alarm> alarms = new ArrayList<>();
        final List<Delivery> deliveries = new ArrayList<>();
        final List<Span> suspended = new ArrayList<>();
        // Monotonic time maps to the axis piecewise: it stands still while suspended.
        final MonoMap mono = new MonoMap(machine.nanos(ClockBase.MONOTONIC));
        try (ValarmDevice device = machine.newDevice(b -> b.listener(listener).threadName("valarm-timeline"))) {
            final ValarmInstance[] in = new ValarmInstance[instances];
            final AlarmHandle[] h = new AlarmHandle[instances];
            final int[] laneOfMinor = new int[instances];
            for (int i = 0; i < instances; i++) {
                in[i] = device.createInstance(InstanceConfig.builder().name("tenant-" + (char) ('A' + i)).build());
                h[i] = in[i].open(OpenMode.READ_WRITE);
                laneOfMinor[in[i].minor()] = i;
            }
            // B lives in another year: SET_RTC on B moves B's wall clock only.
            h[1].setRtc(Timespec.of(HOST_START.plus(Duration.ofDays(5 * 365 + 1)).plusSeconds(3 * 3600)));
            h[1].await(Duration.ZERO); // collects the TIME_CHANGE event
            final long[][] armed = new long[instances][AlarmType.COUNT];
            for (int i = 0; i < instances; i++) {
                lanes.add(new Lane(in[i].name(), in[i].wallClockOffset().toNanos()));
                for (int k = 0; k < ORDER.length; k++) {
                    final AlarmType type = ORDER[k];
                    final long now = h[i].getTime(type).toNanos();
                    final long at = now + (1000 + 500L * k + 97L * i) * MS;
                    final long w = type.isWakeup() ? window.toNanos() : 0L;
                    armed[i][type.number()] = at;
                    if (w > 0) {
                        h[i].set(type, Timespec.ofNanos(at), window);
                    } else {
                        h[i].set(type, Timespec.ofNanos(at));
                    }
                    final long startX = at - now; // nothing has passed yet: the axis starts now
                    alarms.add(new Alarm(i, type, 0L, startX, startX + w, at, w));
                }
            }
            final int total = instances * ORDER.length;
            // Phase 1: awake for 2 s.
            machine.advance(Duration.ofSeconds(2));
            collect(h, fired, laneOfMinor, armed, deliveries, machine);
            // Phase 2: suspend whenever possible while wakeup alarms remain.
            for (int guard = 0; guard < 100 && pendingWakeups(alarms, deliveries) > 0; guard++) {
                mono.awake(machine.nanos(ClockBase.BOOTTIME) - bt0, machine.nanos(ClockBase.MONOTONIC));
                final long from = machine.nanos(ClockBase.BOOTTIME) - bt0;
                final SuspendOutcome out = machine.suspend(Duration.ofSeconds(30));
                if (out.result() == SuspendOutcome.Result.REFUSED) {
                    throw new IllegalStateException("suspend refused by " + out.blockers());
                }
                final long to = machine.nanos(ClockBase.BOOTTIME) - bt0;
                suspended.add(new Span(from, to, out.result()));
                mono.suspended(to, machine.nanos(ClockBase.MONOTONIC));
                collect(h, fired, laneOfMinor, armed, deliveries, machine);
            }
            // Phase 3: awake until the rest (SYSTEMTIME, which stops in suspend) is due.
            for (int guard = 0; guard < 120 && deliveries.size() < total; guard++) {
                machine.advance(Duration.ofMillis(250));
                collect(h, fired, laneOfMinor, armed, deliveries, machine);
            }
            machine.advance(Duration.ofMillis(500));
            mono.awake(machine.nanos(ClockBase.BOOTTIME) - bt0, machine.nanos(ClockBase.MONOTONIC));
        }
        final long endX = machine.nanos(ClockBase.BOOTTIME) - bt0;
        // SYSTEMTIME alarms were set on the monotonic clock: place their windows through the map.
        final List<Alarm> placed = new ArrayList<>();
        for (final Alarm a : alarms) {
            if (a.type().clockBase() == ClockBase.MONOTONIC) {
                placed.add(new Alarm(a.lane(), a.type(), a.setX(), mono.toX(mono.firstMono() + a.startX()),
                        mono.toX(mono.firstMono() + a.endX()), a.instanceTime(), a.window()));
            } else {
                placed.add(a);
            }
        }
        final long rtcStart = rt0 + machine.rtc().drift().toNanos();
        final List<RtcMark> rtc = new ArrayList<>();
        for (final RtcCall c : machine.rtc().calls()) {
            if (!c.succeeded() || (c.op() != SimulatedRtc.Op.PROGRAM && c.op() != SimulatedRtc.Op.CANCEL)) {
                continue;
            }
            final long x = c.rtcTime().toNanos() - rtcStart;
            final long target = c.argument() != null ? c.argument().toNanos() - rtcStart : x;
            rtc.add(new RtcMark(c.op(), x, target, c.argument()));
        }
        return new Result(List.copyOf(lanes), List.copyOf(placed), List.copyOf(deliveries), List.copyOf(rtc),
                List.copyOf(wakes), List.copyOf(suspended), endX, window.toNanos());
    }

    private static int pendingWakeups(final List<Alarm> alarms, final List<Delivery> deliveries) {
        int n = 0;
        for (final Alarm a : alarms) {
            if (a.type().isWakeup()) {
                n++;
            }
        }
        for (final Delivery d : deliveries) {
            if (d.type().isWakeup()) {
                n--;
            }
        }
        return n;
    }

    /** Moves fired alarms into deliveries and collects (then acknowledges) every instance's events. */
    private static void collect(final AlarmHandle[] h, final List<long[]> fired, final int[] laneOfMinor,
            final long[][] armed, final List<Delivery> deliveries, final SimulatedMachine machine)
            throws InterruptedException {
        machine.awaitIdle();
        final List<long[]> now;
        synchronized (fired) {
            now = new ArrayList<>(fired);
            fired.clear();
        }
        for (final long[] f : now) {
            final int lane = laneOfMinor[(int) f[0]];
            final AlarmType type = AlarmType.of((int) f[1]);
            // The instance's time on the type's clock when it fired: host time then plus the instance's offset.
            final long offset = h[lane].getTime(type).toNanos() - machine.nanos(type.clockBase());
            final long instanceTime = f[3] + offset;
            deliveries.add(new Delivery(lane, type, f[2], instanceTime, instanceTime - armed[lane][type.number()]));
        }
        for (final AlarmHandle handle : h) {
            final AlarmEvents ev = handle.await(Duration.ZERO);
            if (!ev.isEmpty()) {
                handle.await(Duration.ZERO); // acknowledges: releases the suspend blocker
            }
        }
    }

    /** Monotonic time to axis position: awake stretches advance both, suspended ones only the axis. */
    private static final class MonoMap {
        private final List<long[]> awake = new ArrayList<>(); // {x0, x1, mono0}
        private final long first;
        private long lastX;
        private long lastMono;

        MonoMap(final long mono0) {
            this.first = mono0;
            this.lastMono = mono0;
        }

        void awake(final long x, final long mono) {
            if (x > lastX) {
                awake.add(new long[] {lastX, x, lastMono});
            }
            lastX = x;
            lastMono = mono;
        }

        void suspended(final long x, final long mono) {
            lastX = x;
            lastMono = mono;
        }

        long firstMono() {
            return first;
        }

        long toX(final long mono) {
            for (final long[] seg : awake) {
                final long len = seg[1] - seg[0];
                if (mono <= seg[2] + len) {
                    return seg[0] + Math.max(0, mono - seg[2]);
                }
            }
            return lastX + Math.max(0, mono - lastMono);
        }
    }
}
