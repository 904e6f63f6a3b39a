package dev.valarm.impl.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmClosedException;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmException;
import dev.valarm.ValarmInstance;
import dev.valarm.ValarmLimitException;
import dev.valarm.impl.abi.AlarmIoctlCodec;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.internal.InstanceState;
import dev.valarm.impl.sim.SimulatedMachine;
import dev.valarm.spi.WakeAlarm;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Bounded resources, isolation of instances for every public method, and closing a device under load. */
class LimitsAndIsolationTest {
    private static final long SEC = 1_000_000_000L;

    private SimulatedMachine machine;
    private ValarmDevice device;

    @AfterEach
    void stop() {
        if (device != null) {
            device.close();
        }
    }

    private static Timespec in(final ValarmInstance inst, final AlarmType type, final double seconds) {
        return Timespec.ofNanos(inst.now(type).toNanos() + (long) (seconds * SEC));
    }

    // ------------------------------------------------------------------ limits

    @Test
    void theInstanceLimitRejectsWithEnospcAndChangesNothing() {
        machine = SimulatedMachine.builder().build();
        device = machine.newDevice(b -> b.maxInstances(3));
        final List<ValarmInstance> made = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            made.add(device.createInstance());
        }
        for (int i = 0; i < 100; i++) {
            final ValarmLimitException e = assertThrows(ValarmLimitException.class, device::createInstance);
            assertEquals(Errno.ENOSPC, e.errno());
            assertTrue(e.getMessage().contains("3"), e.getMessage());
        }
        assertEquals(3, device.instances().size());
        assertEquals(3, device.stats().instances());
        made.get(1).close();
        final ValarmInstance again = device.createInstance();
        assertEquals(made.get(1).minor(), again.minor(), "the freed minor is reused");
        assertThrows(ValarmLimitException.class, () -> device.createInstance(InstanceConfig.builder().minor(99).build()));
    }

    @Test
    void theWaiterLimitBoundsBlockingAndAsynchronousWaiters() throws Exception {
        machine = SimulatedMachine.builder().build();
        device = machine.newDevice(b -> b.maxWaitersPerInstance(3));
        final ValarmInstance inst = device.createInstance();
        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
        final List<CompletableFuture<AlarmEvents>> blocked = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            blocked.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return h.await(Duration.ofSeconds(30));
                } catch (final InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        while (DriverAccess.state(inst).blockingWaiters() < 2) {
            Thread.onSpinWait();
        }
        final CompletableFuture<AlarmEvents> async = h.awaitAsync();
        final InstanceState full = DriverAccess.state(inst);
        assertEquals(Errno.ENOSPC, assertThrows(ValarmLimitException.class, h::awaitAsync).errno());
        assertEquals(Errno.ENOSPC, assertThrows(ValarmLimitException.class, () -> h.await(Duration.ofSeconds(1))).errno());
        assertEquals(full, DriverAccess.state(inst), "a rejected waiter changes nothing");
        assertEquals(AlarmEvents.NONE, h.await(Duration.ZERO), "a poll is not a waiter and is never refused");
        // Cancelled asynchronous waiters free their place: thousands of cycles never grow the queue.
        async.cancel(false);
        for (int i = 0; i < 5000; i++) {
            h.awaitAsync().cancel(false);
            assertTrue(DriverAccess.state(inst).asyncWaiters() <= 3, "queue bounded");
        }
        inst.open(OpenMode.READ_WRITE).setRtc(inst.now(AlarmType.RTC));
        for (final CompletableFuture<AlarmEvents> f : blocked) {
            f.get(10, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ isolation

    /** Arguments for a parameter type; a new type fails the test, so no new method escapes it. */
    private static List<Object[]> argumentsFor(final Method m, final ValarmInstance a) {
        final Class<?>[] types = m.getParameterTypes();
        List<Object[]> out = new ArrayList<>();
        out.add(new Object[0]);
        for (final Class<?> t : types) {
            final List<Object> values = new ArrayList<>();
            if (t == AlarmType.class) {
                values.addAll(Arrays.asList(AlarmType.values()));
            } else if (t == Timespec.class) {
                values.add(Timespec.ZERO);
                values.add(in(a, AlarmType.RTC, 1));
                values.add(in(a, AlarmType.RTC, 86_400));
                values.add(in(a, AlarmType.RTC, -86_400 * 365.0));
            } else if (t == Duration.class) {
                values.add(Duration.ZERO);
            } else if (t == OpenMode.class) {
                values.addAll(Arrays.asList(OpenMode.values()));
            } else if (t == InstanceConfig.class) {
                values.add(InstanceConfig.defaults());
                values.add(InstanceConfig.builder().wallClockOffset(Duration.ofDays(-400))
                        .boottimeOffset(Duration.ofHours(5)).build());
            } else if (t == boolean.class) {
                values.add(true);
                values.add(false);
            } else {
                throw new AssertionError("no isolation arguments for parameter type " + t + " of " + m
                        + ": add them to LimitsAndIsolationTest");
            }
            final List<Object[]> next = new ArrayList<>();
            for (final Object[] prefix : out) {
                for (final Object v : values) {
                    final Object[] args = Arrays.copyOf(prefix, prefix.length + 1);
                    args[prefix.length] = v;
                    next.add(args);
                }
            }
            out = next;
        }
        return out;
    }

    private static List<Method> publicMethods(final Class<?> type) {
        final List<Method> ms = new ArrayList<>();
        for (final Method m : type.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) && m.getDeclaringClass() != Object.class) {
                ms.add(m);
            }
        }
        ms.sort(Comparator.comparing(Method::getName).thenComparing(m -> m.getParameterCount()));
        // close last: it ends the instance / handle under test.
        ms.sort(Comparator.comparing(m -> m.getName().equals("close")));
        return ms;
    }

    /** What another instance and the host look like from outside. */
    private record Outside(InstanceState state, List<Timespec> clocks, Duration offset, long hostRt, long hostBt,
            long hostMono) {
    }

    private Outside outside(final ValarmInstance b) {
        final List<Timespec> clocks = new ArrayList<>();
        for (final AlarmType t : AlarmType.values()) {
            clocks.add(b.now(t));
        }
        return new Outside(DriverAccess.state(b), clocks, b.wallClockOffset(), machine.nanos(ClockBase.REALTIME),
                machine.nanos(ClockBase.BOOTTIME), machine.nanos(ClockBase.MONOTONIC));
    }

    @Test
    void noPublicMethodOfAnInstanceOrHandleReachesAnotherInstanceOrTheHost() throws Exception {
        machine = SimulatedMachine.builder().build();
        device = machine.newDevice();
        long calls = 0;
        final List<String> covered = new ArrayList<>();
        for (final Class<?> api : List.of(ValarmInstance.class, AlarmHandle.class)) {
            for (final Method m : publicMethods(api)) {
                for (final OpenMode mode : OpenMode.values()) {
                    // Fresh A and B for every method: B has armed alarms, a pending event and an owner.
                    final ValarmInstance a = device.createInstance();
                    final ValarmInstance b = device.createInstance(InstanceConfig.builder()
                            .wallClockOffset(Duration.ofDays(-3)).build());
                    final AlarmHandle bOwner = b.open(OpenMode.READ_WRITE);
                    for (final AlarmType t : AlarmType.values()) {
                        bOwner.set(t, in(b, t, 3600 + t.number()));
                    }
                    b.open(OpenMode.READ_WRITE).setRtc(in(b, AlarmType.RTC, 0)); // a pending time-change
                    machine.awaitIdle();
                    for (final Object[] args : argumentsFor(m, a)) {
                        final AlarmHandle ah = a.open(mode);
                        // A WAIT must not block: give A something pending.
                        a.open(OpenMode.READ_WRITE).setRtc(a.now(AlarmType.RTC));
                        final Outside before = outside(b);
                        final Object target = api == ValarmInstance.class ? a : ah;
                        try {
                            final Object r = m.invoke(target, args);
                            if (r instanceof CompletableFuture) {
                                ((CompletableFuture<?>) r).cancel(false);
                            }
                        } catch (final InvocationTargetException e) {
                            if (!(e.getCause() instanceof ValarmException || e.getCause() instanceof IllegalArgumentException)) {
                                throw e;
                            }
                        }
                        calls++;
                        machine.awaitIdle();
                        assertEquals(before, outside(b), m + " " + Arrays.toString(args) + " on a " + mode
                                + " " + api.getSimpleName() + " of A changed B or the host");
                        if (!a.isClosed()) {
                            ah.close();
                        }
                    }
                    a.close();
                    bOwner.close();
                    b.close();
                }
                covered.add(api.getSimpleName() + "." + m.getName());
            }
        }
        new Report("isolation").put("methodsCovered", covered.size()).put("calls", calls)
                .put("methods", String.join(" ", covered)).write();
        assertTrue(covered.contains("AlarmHandle.setRtc") && covered.contains("ValarmInstance.close")
                && covered.contains("AlarmHandle.awaitAsync"), covered.toString());
    }

    // ------------------------------------------------------------------ closing under load

    @Test
    void closingTheDeviceUnderLoadCancelsTheHardwareAlarmWakesEveryWaiterAndFailsLaterCallsCleanly()
            throws Exception {
        machine = SimulatedMachine.builder().build();
        device = machine.newDevice();
        final int n = 64;
        final List<ValarmInstance> insts = new ArrayList<>();
        final List<AlarmHandle> owners = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final ValarmInstance inst = device.createInstance();
            final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
            h.set(AlarmType.RTC_WAKEUP, in(inst, AlarmType.RTC_WAKEUP, 600 + i));
            insts.add(inst);
            owners.add(h);
        }
        machine.awaitIdle();
        assertTrue(machine.rtc().alarm().enabled(), "the hardware alarm is programmed");
        final List<CompletableFuture<Throwable>> blocked = new ArrayList<>();
        final List<CompletableFuture<AlarmEvents>> asyncs = new ArrayList<>();
        final CountDownLatch started = new CountDownLatch(n);
        for (final AlarmHandle h : owners) {
            final CompletableFuture<Throwable> f = new CompletableFuture<>();
            final Thread t = new Thread(() -> {
                started.countDown();
                try {
                    h.await();
                    f.complete(null);
                } catch (final Throwable e) {
                    f.complete(e);
                }
            });
            t.setDaemon(true);
            t.start();
            blocked.add(f);
            asyncs.add(h.awaitAsync());
        }
        started.await();
        for (final ValarmInstance inst : insts) {
            while (DriverAccess.state(inst).blockingWaiters() == 0 && !inst.isClosed()) {
                Thread.onSpinWait();
            }
        }
        // Spammers keep calling while the device closes.
        final AtomicLong spamCalls = new AtomicLong();
        final AtomicReference<Throwable> unexpected = new AtomicReference<>();
        final List<Thread> spammers = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            final int seed = s;
            final Thread t = new Thread(() -> {
                final java.util.Random rnd = new java.util.Random(seed);
                while (true) {
                    final ValarmInstance inst = insts.get(rnd.nextInt(n));
                    try {
                        final AlarmHandle h = inst.open(OpenMode.READ_WRITE);
                        try {
                            h.set(AlarmType.RTC, Timespec.ZERO); // another handle owns the instance
                            unexpected.set(new AssertionError("SET on a non-owner succeeded"));
                            return;
                        } catch (final dev.valarm.AlarmBusyException expected) {
                            // EBUSY, as documented
                        }
                        h.getTime(AlarmType.SYSTEMTIME);
                        device.stats();
                        h.close();
                        device.instances();
                        spamCalls.incrementAndGet();
                    } catch (final ValarmClosedException e) {
                        return;
                    } catch (final Throwable e) {
                        unexpected.set(e);
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            spammers.add(t);
        }
        while (spamCalls.get() < 1000) {
            Thread.onSpinWait();
        }
        device.close();
        for (final CompletableFuture<Throwable> f : blocked) {
            final Throwable e = f.get(10, TimeUnit.SECONDS);
            assertTrue(e instanceof ValarmClosedException, "a blocked WAIT ended with " + e);
            assertEquals(Errno.ENODEV, ((ValarmClosedException) e).errno());
        }
        for (final CompletableFuture<AlarmEvents> f : asyncs) {
            final Exception e = assertThrows(Exception.class, () -> f.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof ValarmClosedException, String.valueOf(e.getCause()));
        }
        for (final Thread t : spammers) {
            t.join(10_000);
            assertFalse(t.isAlive());
        }
        assertEquals(null, unexpected.get(), "only ValarmClosedException after close");
        assertEquals(WakeAlarm.DISABLED, machine.rtc().alarm(), "the hardware alarm was cancelled");
        assertTrue(device.isClosed());
        assertThrows(ValarmClosedException.class, device::createInstance);
        assertThrows(ValarmClosedException.class, device::hostTime);
        assertThrows(ValarmClosedException.class, () -> insts.get(0).open(OpenMode.READ_ONLY));
        assertThrows(ValarmClosedException.class, () -> owners.get(0).set(AlarmType.RTC, Timespec.ZERO));
        assertThrows(ValarmClosedException.class, () -> owners.get(0).await(Duration.ZERO));
        assertThrows(ValarmClosedException.class, owners.get(0)::awaitAsync);
        assertEquals(-Errno.ENODEV, AlarmIoctlCodec.of(AlarmIoctlCodec.Abi.LP64).ioctl(owners.get(1), AlarmIoctlCodec.WAIT,
                (byte[]) null));
        assertTrue(device.instances().isEmpty());
        device.close(); // idempotent
        new Report("close-under-load").put("instances", n).put("blockedWaitersWoken", blocked.size())
                .put("asyncWaitersFailed", asyncs.size()).put("callsBeforeClose", spamCalls.get()).write();
    }
}
