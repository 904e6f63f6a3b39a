package dev.valarm.impl.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.valarm.AlarmBusyException;
import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmPermissionException;
import dev.valarm.AlarmType;
import dev.valarm.ClockRangeException;
import dev.valarm.ClockBase;
import dev.valarm.DeviceStats;
import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.InvalidAlarmException;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmClosedException;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmException;
import dev.valarm.ValarmInstance;
import dev.valarm.ValarmLimitException;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.internal.InstanceState;
import dev.valarm.impl.sim.SimulatedMachine;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Bad input through the public API: random calls of every method of {@link AlarmHandle},
 * {@link ValarmInstance} and {@link ValarmDevice} and of the value types, with nulls, out-of-range and
 * huge values, on owner, non-owner, read-only and closed handles, closed instances and a closed device.
 * For each call the set of documented failures that apply is computed from the javadoc; the call must
 * succeed when none applies and otherwise fail with one of them (with its errno), and a failing call
 * must leave the instance, the device's counters and the host clock unchanged.
 */
class ApiFuzzTest {
    private static final long SEC = 1_000_000_000L;

    private final Map<String, Long> outcomes = new TreeMap<>();
    private long calls;
    private long failing;

    @FunctionalInterface
    private interface Call {
        Object run() throws Exception;
    }

    @Test
    void randomCallsOnThePublicApi() throws Exception {
        final long seed = Report.seed(0xa91_f022L);
        final Random rnd = new Random(seed);
        final int n = (int) (400_000 * Report.scale());
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        final ValarmDevice device = machine.newDevice(b -> b.maxInstances(64));
        final ValarmDevice closedDevice = SimulatedMachine.builder().build().newDevice();
        final AlarmHandle orphan = closedDevice.createInstance().open(OpenMode.READ_WRITE);
        closedDevice.close();
        final long started = System.nanoTime();
        try {
            final FuzzWorld world = new FuzzWorld(device, 1);
            final List<ValarmInstance> instances = world.instances;
            final List<AlarmHandle> handles = world.handles;
            final AlarmHandle goneHandle = world.goneHandle;
            final AlarmHandle closedHandle = world.closedHandle;
            for (int i = 0; i < n; i++) {
                if (i % 64 == 63) {
                    world.churn(rnd, machine);
                }
                final int pick = rnd.nextInt(100);
                final AlarmHandle h = pick < 2 ? closedHandle : pick < 4 ? goneHandle : pick < 5 ? orphan
                        : handles.get(rnd.nextInt(handles.size()));
                final int area = rnd.nextInt(10);
                if (area < 7) {
                    handleCall(machine, device, h, rnd, seed, i);
                } else if (area < 8) {
                    instanceCall(machine, device, h.instance(), rnd, seed, i);
                } else if (area < 9) {
                    deviceCall(machine, rnd.nextInt(4) == 0 ? closedDevice : device, rnd, seed, i);
                } else {
                    valueCall(rnd, seed, i);
                }
            }
        } finally {
            device.close();
        }
        final long elapsed = System.nanoTime() - started;
        final Report r = new Report("api-fuzz").put("seed", seed).put("calls", calls).put("failingCalls", failing)
                .put("millis", elapsed / 1_000_000);
        outcomes.forEach((k, v) -> r.put("result." + k, v));
        r.write();
        assertTrue(calls >= n, "calls " + calls);
    }

    // ------------------------------------------------------------------ generators

    private static AlarmType type(final Random rnd) {
        return rnd.nextInt(20) == 0 ? null : AlarmType.values()[rnd.nextInt(AlarmType.COUNT)];
    }

    /** A Timespec, null, or a failed construction (counted as its own call). */
    private Timespec time(final Random rnd, final ValarmInstance in, final AlarmType type, final String where) {
        final int k = rnd.nextInt(20);
        if (k == 0) {
            return null;
        }
        if (k < 4) {
            final long s = rnd.nextInt(3) == 0 ? (rnd.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE) : rnd.nextLong();
            return new Timespec(s, rnd.nextInt((int) SEC));
        }
        if (k == 4) { // the ends of the clock range, a nanosecond either side
            final Timespec end = rnd.nextBoolean() ? Timespec.CLOCK_MAX : Timespec.CLOCK_MIN;
            return Timespec.ofNanos(end.toNanos() + rnd.nextInt(3) - 1);
        }
        long base = 1_767_225_600L;
        if (in != null && type != null && !in.isClosed()) {
            base = in.now(type).seconds();
        }
        final long s = base + (rnd.nextInt(10) == 0 ? -rnd.nextInt(100) : 100 + rnd.nextInt(100_000));
        return new Timespec(s, rnd.nextInt((int) SEC));
    }

    /** The clock-range rule for a clock set as host clock plus offset: the sum within +-CLOCK_MAX. */
    private static boolean offsetInClockRange(final Duration offset, final long host) {
        final java.math.BigInteger limit = java.math.BigInteger.valueOf(Timespec.CLOCK_MAX.toNanos());
        final java.math.BigInteger o = java.math.BigInteger.valueOf(offset.getSeconds()).multiply(java.math.BigInteger.valueOf(SEC))
                .add(java.math.BigInteger.valueOf(offset.getNano()));
        return o.add(java.math.BigInteger.valueOf(host)).abs().compareTo(limit) <= 0;
    }

    /** An instance offset: mostly zero or ordinary, sometimes at or beyond the clock range. */
    private static Duration offset(final Random rnd) {
        switch (rnd.nextInt(8)) {
            case 0:
                return Duration.ofNanos(Timespec.CLOCK_MAX.toNanos() + rnd.nextInt(3) - 1).multipliedBy(rnd.nextBoolean() ? 1 : -1);
            case 1:
                return rnd.nextBoolean() ? Duration.ofNanos(Long.MAX_VALUE) : Duration.ofDays(365L * (200 + rnd.nextInt(200)));
            case 2:
                return Duration.ofSeconds(rnd.nextLong() >> rnd.nextInt(40));
            default:
                return rnd.nextBoolean() ? Duration.ZERO : Duration.ofSeconds(rnd.nextInt(7200) - 3600);
        }
    }

    private static Duration timeout(final Random rnd) {
        switch (rnd.nextInt(5)) {
            case 0:
                return null;
            case 1:
                return Duration.ofNanos(-1 - rnd.nextInt(Integer.MAX_VALUE));
            case 2:
                return Duration.ofSeconds(Long.MIN_VALUE);
            case 3:
                return Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);
            default:
                return Duration.ZERO;
        }
    }

    // ------------------------------------------------------------------ the checker

    private Object attempt(final String what, final Set<Class<? extends Throwable>> allowed, final Call call,
            final String where) {
        calls++;
        final Object out;
        try {
            out = call.run();
        } catch (final Throwable e) {
            outcomes.merge(what + " -> " + e.getClass().getSimpleName()
                    + (e instanceof ValarmException ? "(" + Errno.name(((ValarmException) e).errno()) + ")" : ""), 1L,
                    Long::sum);
            if (allowed.stream().noneMatch(c -> c.isInstance(e))) {
                throw new AssertionError("undocumented failure of " + what + ": " + e + " (allowed " + allowed + ") at "
                        + where, e);
            }
            if (e instanceof ValarmClosedException) {
                final int errno = ((ValarmClosedException) e).errno();
                assertTrue(errno == Errno.EBADF || errno == Errno.ENODEV, where);
            }
            failing++;
            return e;
        }
        outcomes.merge(what + " -> ok", 1L, Long::sum);
        if (!allowed.isEmpty()) {
            fail(what + " succeeded although one of " + allowed + " applies: " + where);
        }
        return out;
    }

    private static Set<Class<? extends Throwable>> errors() {
        return new HashSet<>();
    }

    private static boolean failed(final Object o) {
        return o instanceof Throwable;
    }

    private void handleCall(final SimulatedMachine machine, final ValarmDevice device, final AlarmHandle h,
            final Random rnd, final long seed, final int i) throws Exception {
        final ValarmInstance in = h.instance();
        final boolean closed = h.isClosed();
        InstanceState before = closed ? null : DriverAccess.state(in);
        final boolean ro = h.mode() == OpenMode.READ_ONLY;
        final boolean busy = before != null && before.owner() != null && before.owner() != h;
        final int op = rnd.nextInt(9);
        final String where = "call " + i + " (seed " + seed + ") on " + h;
        final Set<Class<? extends Throwable>> err = errors();
        if (closed) {
            err.add(ValarmClosedException.class);
        }
        final AlarmType type = type(rnd);
        final Timespec time;
        try {
            time = op == 0 || op == 3 || op == 6 ? time(rnd, closed ? null : in, type, where) : null;
        } catch (final InvalidAlarmException e) {
            throw new AssertionError(e);
        }
        if ((op == 2 || op == 3 || op == 4) && before != null && before.pending() == 0 && !ro && !busy) {
            // A WAIT that passes every check must return at once: make an event pending first.
            final AlarmHandle setter = in.open(OpenMode.READ_WRITE);
            setter.setRtc(in.now(AlarmType.RTC));
            setter.close();
            before = DriverAccess.state(in);
        }
        final DeviceStats statsBefore = device.stats();
        final long hostBefore = machine.nanos(ClockBase.REALTIME);
        final Object r;
        switch (op) {
            case 0: // set
                if (type == null || time == null) {
                    err.add(NullPointerException.class);
                }
                addOwnerErrors(err, ro, busy);
                r = attempt("set", err, () -> {
                    h.set(type, time);
                    return null;
                }, where);
                if (!failed(r)) {
                    machine.awaitIdle();
                    final InstanceState after = DriverAccess.state(in);
                    assertSame(h, after.owner(), where);
                    if ((after.enabled() & type.mask()) != 0) {
                        assertEquals(time.toNanos(), after.armedTimes().get(type.number()), where);
                    } else {
                        assertTrue(time.toNanos() <= in.now(type).toNanos() && (after.pending() & type.mask()) != 0,
                                "neither armed nor fired: " + where);
                    }
                }
                break;
            case 1: // clear
                if (type == null) {
                    err.add(NullPointerException.class);
                }
                addOwnerErrors(err, ro, busy);
                r = attempt("clear", err, () -> {
                    h.clear(type);
                    return null;
                }, where);
                if (!failed(r)) {
                    machine.awaitIdle();
                    final InstanceState after = DriverAccess.state(in);
                    assertEquals(0, (after.enabled() | after.pending()) & type.mask(), where);
                }
                break;
            case 2: { // await(Duration)
                final Duration d = timeout(rnd);
                if (d == null) {
                    err.add(NullPointerException.class);
                } else if (d.isNegative()) {
                    err.add(IllegalArgumentException.class);
                }
                addOwnerErrors(err, ro, busy);
                final InstanceState b = before;
                r = attempt("await(timeout)", err, () -> h.await(d), where);
                if (!failed(r)) {
                    assertEquals(b.pending(), ((AlarmEvents) r).mask(), where);
                }
                break;
            }
            case 3: // setAndAwait
                if (type == null || time == null) {
                    err.add(NullPointerException.class);
                }
                addOwnerErrors(err, ro, busy);
                r = attempt("setAndAwait", err, () -> h.setAndAwait(type, time), where);
                if (!failed(r)) {
                    assertTrue((((AlarmEvents) r).mask() & before.pending()) == before.pending(), where);
                    machine.awaitIdle();
                }
                break;
            case 4: // await()
                addOwnerErrors(err, ro, busy);
                final InstanceState b4 = before;
                r = attempt("await", err, h::await, where);
                if (!failed(r)) {
                    assertEquals(b4.pending(), ((AlarmEvents) r).mask(), where);
                }
                break;
            case 5: { // awaitAsync
                addOwnerErrors(err, ro, busy);
                final InstanceState b5 = before;
                r = attempt("awaitAsync", err, h::awaitAsync, where);
                if (!failed(r)) {
                    @SuppressWarnings("unchecked")
                    final CompletableFuture<AlarmEvents> f = (CompletableFuture<AlarmEvents>) r;
                    if (b5.pending() != 0) {
                        assertEquals(b5.pending(), f.getNow(null).mask(), where);
                    } else {
                        f.cancel(false);
                    }
                }
                break;
            }
            case 6: // setRtc
                if (time == null) {
                    err.add(NullPointerException.class);
                }
                if (ro) {
                    err.add(AlarmPermissionException.class);
                } else if (time != null && !inClockRange(time)) {
                    err.add(ClockRangeException.class);
                }
                r = attempt("setRtc", err, () -> {
                    h.setRtc(time);
                    return null;
                }, where);
                if (!failed(r)) {
                    machine.awaitIdle();
                    assertEquals(time.toNanos(), in.now(AlarmType.RTC).toNanos(), where);
                    assertEquals(hostBefore, machine.nanos(ClockBase.REALTIME), "host clock moved: " + where);
                }
                break;
            case 7: // getTime
                if (type == null) {
                    err.add(NullPointerException.class);
                }
                r = attempt("getTime", err, () -> h.getTime(type), where);
                if (!failed(r)) {
                    assertEquals(in.now(type), r, where);
                }
                break;
            default: // the queries
                r = attempt("queries", errors(), () -> {
                    h.isOwner();
                    h.isClosed();
                    h.mode();
                    return h.instance();
                }, where);
                if (!failed(r)) {
                    assertSame(in, r, where);
                }
                break;
        }
        if (failed(r) && before != null) {
            assertEquals(before, DriverAccess.state(in), "a failing call changed the instance: " + where);
            final DeviceStats statsAfter = device.stats();
            assertEquals(statsBefore.armedAlarms(), statsAfter.armedAlarms(), where);
            assertEquals(statsBefore.alarmsSet(), statsAfter.alarmsSet(), where);
            assertEquals(hostBefore, machine.nanos(ClockBase.REALTIME), where);
        }
    }

    /** Whether an instance clock can be set to {@code t}: exact in 64-bit nanoseconds, offset from the host too. */
    /** The clock-range rule: a clock is set only within +-CLOCK_MAX. */
    private static boolean inClockRange(final Timespec t) {
        return t.compareTo(Timespec.CLOCK_MIN) >= 0 && t.compareTo(Timespec.CLOCK_MAX) <= 0;
    }

    private static void addOwnerErrors(final Set<Class<? extends Throwable>> err, final boolean ro, final boolean busy) {
        if (ro) {
            err.add(AlarmPermissionException.class);
        } else if (busy) {
            err.add(AlarmBusyException.class);
        }
    }

    private void instanceCall(final SimulatedMachine machine, final ValarmDevice device, final ValarmInstance in,
            final Random rnd, final long seed, final int i) {
        final boolean closed = in.isClosed();
        final String where = "call " + i + " (seed " + seed + ") on " + in;
        final InstanceState before = closed ? null : DriverAccess.state(in);
        final Set<Class<? extends Throwable>> err = errors();
        final Object r;
        switch (rnd.nextInt(3)) {
            case 0: {
                final OpenMode mode = rnd.nextInt(5) == 0 ? null : OpenMode.values()[rnd.nextInt(2)];
                if (mode == null) {
                    err.add(NullPointerException.class);
                }
                if (closed) {
                    err.add(ValarmClosedException.class);
                }
                r = attempt("open", err, () -> in.open(mode), where);
                if (!failed(r)) {
                    final AlarmHandle h = (AlarmHandle) r;
                    assertSame(in, h.instance(), where);
                    assertEquals(mode, h.mode(), where);
                    h.close();
                }
                break;
            }
            case 1: {
                final AlarmType type = type(rnd);
                if (type == null) {
                    err.add(NullPointerException.class);
                }
                if (closed) {
                    err.add(ValarmClosedException.class);
                }
                r = attempt("now", err, () -> in.now(type), where);
                break;
            }
            default:
                r = attempt("instance queries", err, () -> {
                    in.clock().withZone(java.time.ZoneOffset.UTC).instant();
                    in.name();
                    in.minor();
                    in.isClosed();
                    return in.wallClockOffset();
                }, where);
                break;
        }
        if (before != null) {
            assertEquals(before, DriverAccess.state(in), "an instance call changed the driver state: " + where);
        }
        if (failed(r)) {
            assertTrue(before == null || err.size() > 0, where);
        }
    }

    private void deviceCall(final SimulatedMachine machine, final ValarmDevice device, final Random rnd,
            final long seed, final int i) {
        final boolean closed = device.isClosed();
        final String where = "call " + i + " (seed " + seed + ") on " + (closed ? "a closed device" : "the device");
        final Set<Class<? extends Throwable>> err = errors();
        final int live = device.instances().size();
        switch (rnd.nextInt(6)) {
            case 0: {
                final int minor = rnd.nextInt(3) == 0 ? InstanceConfig.ANY_MINOR : rnd.nextInt(80);
                final Duration wall = offset(rnd);
                final Duration boot = offset(rnd);
                final InstanceConfig cfg = rnd.nextInt(10) == 0 ? null
                        : InstanceConfig.builder().minor(minor).wallClockOffset(wall).boottimeOffset(boot).build();
                if (cfg == null) {
                    err.add(NullPointerException.class);
                }
                if (closed) {
                    err.add(ValarmClosedException.class);
                }
                final boolean limited = live >= 64 || minor != InstanceConfig.ANY_MINOR && device.instance(minor).isPresent();
                if (cfg != null && limited) {
                    err.add(ValarmLimitException.class);
                } else if (cfg != null && !closed && (!offsetInClockRange(wall, machine.nanos(ClockBase.REALTIME))
                        || !offsetInClockRange(boot, machine.nanos(ClockBase.BOOTTIME)))) {
                    err.add(ClockRangeException.class);
                }
                final Object r = attempt("createInstance", err, () -> device.createInstance(cfg), where);
                if (!failed(r)) {
                    assertEquals(live + 1, device.instances().size(), where);
                    if (minor != InstanceConfig.ANY_MINOR) {
                        assertEquals(minor, ((ValarmInstance) r).minor(), where);
                    }
                } else {
                    assertEquals(live, device.instances().size(), where);
                }
                break;
            }
            case 1: {
                // Only scratch instances (minors 10 and up) are destroyed; the fuzzed instances are 0..5.
                final int minor = rnd.nextBoolean() ? 10 + rnd.nextInt(70) : rnd.nextInt() | Integer.MIN_VALUE;
                final boolean present = device.instance(minor).isPresent();
                final Object r = attempt("destroyInstance", err, () -> device.destroyInstance(minor), where);
                assertEquals(present, r, where);
                break;
            }
            case 2: {
                final int minor = rnd.nextInt();
                attempt("instance(minor)", err, () -> device.instance(minor), where);
                break;
            }
            case 3:
                if (closed) {
                    err.add(ValarmClosedException.class);
                }
                attempt("hostTime", err, device::hostTime, where);
                break;
            case 4:
                err.add(NullPointerException.class);
                attempt("setHostTime(null)", err, () -> {
                    device.setHostTime(null);
                    return null;
                }, where);
                break;
            default:
                attempt("device queries", err, () -> {
                    device.stats();
                    device.describe();
                    device.rtcCapabilities();
                    device.isClosed();
                    return device.instances();
                }, where);
                break;
        }
    }

    private void valueCall(final Random rnd, final long seed, final int i) {
        final String where = "call " + i + " (seed " + seed + ")";
        final Set<Class<? extends Throwable>> err = errors();
        switch (rnd.nextInt(8)) {
            case 0: {
                final int n = rnd.nextBoolean() ? rnd.nextInt() : rnd.nextInt(12) - 3;
                if (n < 0 || n > 4) {
                    err.add(InvalidAlarmException.class);
                }
                final Object r = attempt("AlarmType.of", err, () -> AlarmType.of(n), where);
                if (!failed(r)) {
                    assertEquals(n, ((AlarmType) r).number(), where);
                }
                break;
            }
            case 1: {
                final int m = rnd.nextBoolean() ? rnd.nextInt() : rnd.nextInt(0x20) | (rnd.nextBoolean() ? 0x10000 : 0);
                if ((m & ~AlarmEvents.VALID_MASK) != 0) {
                    err.add(InvalidAlarmException.class);
                }
                final Object r = attempt("AlarmEvents.of", err, () -> AlarmEvents.of(m), where);
                if (!failed(r)) {
                    assertEquals(m, ((AlarmEvents) r).mask(), where);
                }
                break;
            }
            case 2: {
                final long s = rnd.nextLong();
                final int ns = rnd.nextBoolean() ? rnd.nextInt() : rnd.nextInt((int) SEC);
                if (ns < 0 || ns >= SEC) {
                    err.add(InvalidAlarmException.class);
                }
                attempt("new Timespec", err, () -> new Timespec(s, ns), where);
                break;
            }
            case 3: {
                final long s = rnd.nextInt(4) == 0 ? Long.MAX_VALUE - rnd.nextInt(3) : rnd.nextLong();
                final long adj = rnd.nextInt(4) == 0 ? Long.MAX_VALUE : rnd.nextLong();
                final long extra = Math.floorDiv(adj, SEC);
                if ((s > 0 && extra > Long.MAX_VALUE - s) || (s < 0 && extra < Long.MIN_VALUE - s)) {
                    err.add(ArithmeticException.class);
                }
                final Object r = attempt("Timespec.ofSeconds", err, () -> Timespec.ofSeconds(s, adj), where);
                if (!failed(r)) {
                    assertTrue(((Timespec) r).nanos() >= 0 && ((Timespec) r).nanos() < SEC, where);
                }
                break;
            }
            case 4: {
                final int minor = rnd.nextBoolean() ? rnd.nextInt() : rnd.nextInt(1 << 21) - 2;
                if (minor != InstanceConfig.ANY_MINOR && (minor < 0 || minor >= InstanceConfig.Builder.MINOR_LIMIT)) {
                    err.add(IllegalArgumentException.class);
                }
                attempt("InstanceConfig.minor", err, () -> InstanceConfig.builder().minor(minor), where);
                break;
            }
            case 5: {
                final String name = randomName(rnd);
                if (name != null && (name.isEmpty() || name.length() > 64 || name.chars().anyMatch(Character::isISOControl))) {
                    err.add(IllegalArgumentException.class);
                }
                attempt("InstanceConfig.name", err, () -> InstanceConfig.builder().name(name).build(), where);
                break;
            }
            case 6: {
                final int max = rnd.nextBoolean() ? rnd.nextInt() : rnd.nextInt(70000) - 2;
                final boolean instancesBad = max < 1 || max > (1 << 20);
                final boolean waitersBad = max < 1 || max > 65536;
                attempt("Valarm.Builder.maxInstances", instancesBad ? Set.of(IllegalArgumentException.class) : errors(),
                        () -> Valarm.builder().maxInstances(max), where);
                attempt("Valarm.Builder.maxWaitersPerInstance", waitersBad ? Set.of(IllegalArgumentException.class)
                        : errors(), () -> Valarm.builder().maxWaitersPerInstance(max), where);
                break;
            }
            default: {
                final Duration d = timeout(rnd);
                if (d == null) {
                    err.add(NullPointerException.class);
                } else if (d.isNegative()) {
                    err.add(IllegalArgumentException.class);
                }
                attempt("Valarm.Builder.lateThreshold", err, () -> Valarm.builder().lateThreshold(d), where);
                break;
            }
        }
    }

    private static String randomName(final Random rnd) {
        switch (rnd.nextInt(5)) {
            case 0:
                return null;
            case 1:
                return "";
            case 2:
                return "x".repeat(60 + rnd.nextInt(10));
            default:
                final StringBuilder sb = new StringBuilder();
                final int len = 1 + rnd.nextInt(10);
                for (int k = 0; k < len; k++) {
                    sb.append((char) rnd.nextInt(rnd.nextBoolean() ? 128 : 0x3000));
                }
                return sb.toString();
        }
    }
}
