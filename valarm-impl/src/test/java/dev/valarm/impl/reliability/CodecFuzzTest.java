package dev.valarm.impl.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.DeviceStats;
import dev.valarm.Errno;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.abi.AlarmIoctlCodec;
import dev.valarm.impl.abi.AlarmIoctlCodec.Abi;
import dev.valarm.impl.internal.DriverAccess;
import dev.valarm.impl.internal.InstanceState;
import dev.valarm.impl.sim.SimulatedMachine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Bad input through the ABI: random request numbers and random, truncated and hostile argument bytes,
 * on owner, non-owner, read-only and closed handles, through both ABIs. Every call is checked against an
 * independent model of the driver's checks (alarm-dev.md section 4.1 and the codec's javadoc): the exact
 * return value is predicted, a failing call must leave the instance's state, the device's counters and
 * the host clock unchanged (apart from the driver's ownership quirk, which the model predicts), and a
 * successful call must have exactly its documented effect.
 */
class CodecFuzzTest {
    private static final long SEC = 1_000_000_000L;
    private static final long KTIME_SEC_MAX = Long.MAX_VALUE / SEC;
    private static final int[] BASES = {AlarmIoctlCodec.CLEAR, AlarmIoctlCodec.WAIT, AlarmIoctlCodec.SET,
        AlarmIoctlCodec.SET_AND_WAIT, AlarmIoctlCodec.GET_TIME, AlarmIoctlCodec.SET_RTC, AlarmIoctlCodec.SET_COMPAT,
        AlarmIoctlCodec.SET_AND_WAIT_COMPAT, AlarmIoctlCodec.GET_TIME_COMPAT, AlarmIoctlCodec.SET_RTC_COMPAT, 0x6106,
        0x40046102};
    private static final long[] SECONDS = {0, -1, 1, Long.MIN_VALUE, Long.MAX_VALUE, KTIME_SEC_MAX, KTIME_SEC_MAX - 1,
        Integer.MAX_VALUE, Integer.MIN_VALUE, 1L << 32, -(1L << 40), Timespec.CLOCK_MAX.seconds(),
        Timespec.CLOCK_MAX.seconds() + 1, Timespec.CLOCK_MIN.seconds()};
    private static final long[] NANOS = {0, -1, 1, SEC - 1, SEC, 2 * SEC + 7, -SEC, Long.MIN_VALUE, Long.MAX_VALUE,
        Integer.MAX_VALUE, Integer.MIN_VALUE};

    private final Map<String, Long> outcomes = new TreeMap<>();
    private long calls;
    private long failing;
    private long ownershipQuirks;

    @Test
    void randomRequestsAndArgumentsThroughTheCodec() {
        final long seed = Report.seed(0x5eed_ab1L);
        final Random rnd = new Random(seed);
        final int n = (int) (600_000 * Report.scale());
        final SimulatedMachine machine = SimulatedMachine.builder().build();
        final ValarmDevice device = machine.newDevice();
        final long started = System.nanoTime();
        try {
            final FuzzWorld world = new FuzzWorld(device, 0);
            final List<ValarmInstance> instances = world.instances;
            final List<AlarmHandle> handles = world.handles;
            final AlarmHandle goneHandle = world.goneHandle;
            final AlarmHandle closedHandle = world.closedHandle;
            for (int i = 0; i < n; i++) {
                if (i % 64 == 63) {
                    world.churn(rnd, machine);
                }
                final AlarmHandle h;
                final int pick = rnd.nextInt(100);
                if (pick < 2) {
                    h = closedHandle;
                } else if (pick < 4) {
                    h = goneHandle;
                } else {
                    h = handles.get(rnd.nextInt(handles.size()));
                }
                final Abi abi = rnd.nextBoolean() ? Abi.LP64 : Abi.COMPAT32;
                one(machine, device, instances, h, abi, command(rnd), argument(rnd, h, abi), rnd, seed, i);
            }
        } finally {
            device.close();
        }
        final long elapsed = System.nanoTime() - started;
        final Report r = new Report("codec-fuzz").put("seed", seed).put("calls", calls).put("failingCalls", failing)
                .put("ownershipClaimedByFailingCall", ownershipQuirks).put("millis", elapsed / 1_000_000);
        outcomes.forEach((k, v) -> r.put("result." + k, v));
        r.write();
        assertEquals(n, calls);
    }

    private static int command(final Random rnd) {
        final int kind = rnd.nextInt(10);
        if (kind < 3) {
            return rnd.nextInt();
        }
        final int base = BASES[rnd.nextInt(BASES.length)];
        if (kind < 7) {
            return (base & ~0xf0) | rnd.nextInt(16) << 4;
        }
        if (kind < 9) {
            return ((base & ~0xf0) | rnd.nextInt(5) << 4) ^ (1 << rnd.nextInt(32));
        }
        return (base & ~0xf0) | rnd.nextInt(5) << 4;
    }

    private static ByteBuffer argument(final Random rnd, final AlarmHandle h, final Abi abi) {
        final int kind = rnd.nextInt(20);
        if (kind == 0) {
            return null;
        }
        if (kind < 9) {
            final byte[] b = new byte[rnd.nextInt(25)];
            rnd.nextBytes(b);
            final ByteBuffer buf = ByteBuffer.wrap(b);
            if (b.length > 2 && rnd.nextInt(8) == 0) {
                buf.position(rnd.nextInt(b.length));
            }
            return rnd.nextInt(16) == 0 ? buf.asReadOnlyBuffer() : buf;
        }
        long sec;
        final int s = rnd.nextInt(4);
        if (s == 0) {
            sec = SECONDS[rnd.nextInt(SECONDS.length)];
        } else if (s == 1) {
            sec = rnd.nextLong();
        } else {
            // Near the instance's clocks, mostly in the future so that armed alarms stay armed.
            sec = 1000 + 1_767_225_600L * rnd.nextInt(2) + (rnd.nextInt(10) == 0 ? -rnd.nextInt(100) : 1000 + rnd.nextInt(100_000));
        }
        final long nsec = rnd.nextInt(3) == 0 ? NANOS[rnd.nextInt(NANOS.length)] : rnd.nextInt((int) SEC);
        final ByteBuffer buf = ByteBuffer.allocate(abi.timespecSize() + rnd.nextInt(3)).order(ByteOrder.LITTLE_ENDIAN);
        if (abi == Abi.LP64) {
            buf.putLong(0, sec).putLong(8, nsec);
        } else {
            buf.putInt(0, (int) sec).putInt(4, (int) nsec);
        }
        if (rnd.nextInt(10) == 0) {
            return ByteBuffer.wrap(buf.array(), 0, rnd.nextInt(abi.timespecSize()));
        }
        return buf;
    }

    /** Model of the codec's result: {@code Integer.MIN_VALUE} means "success, effect checked separately". */
    private static final class Prediction {
        int result = Integer.MIN_VALUE;
        boolean claims;
        int base;
        int type;
        long sec;
        long nsec;
        boolean waits;
    }

    private static Prediction predict(final InstanceState st, final boolean handleClosed, final boolean instanceClosed,
            final AlarmHandle h, final Abi abi, final int cmd, final ByteBuffer arg) {
        final Prediction p = new Prediction();
        if (handleClosed || instanceClosed) {
            p.result = instanceClosed ? -Errno.ENODEV : -Errno.EBADF;
            return p;
        }
        final int size = abi == Abi.LP64 ? 16 : 8;
        final int inSet = abi == Abi.LP64 ? 0x40106102 : 0x40086102;
        final int b0 = cmd & ~0xf0;
        int c = cmd;
        boolean garbage = false;
        if (b0 == inSet || b0 == inSet + 1 || b0 == inSet + 3) {
            if (arg == null || arg.remaining() < size) {
                p.result = -Errno.EFAULT;
                return p;
            }
            final ByteBuffer le = arg.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            if (abi == Abi.LP64) {
                p.sec = le.getLong(le.position());
                p.nsec = le.getLong(le.position() + 8);
            } else {
                p.sec = le.getInt(le.position());
                p.nsec = le.getInt(le.position() + 4);
                c = 0x40106100 | (cmd & 0xff);
            }
        } else if (abi == Abi.COMPAT32 && b0 == 0x40086104) {
            c = 0x40106100 | (cmd & 0xff);
        } else if (abi == Abi.COMPAT32 && (b0 == 0x40106102 || b0 == 0x40106103 || b0 == 0x40106105)) {
            garbage = true;
        }
        p.type = (c >>> 4) & 0xf;
        if (p.type >= 5) {
            p.result = -Errno.EINVAL;
            return p;
        }
        p.base = c & ~0xf0;
        if (p.base != 0x40106104) {
            if (h.mode() == OpenMode.READ_ONLY) {
                p.result = -Errno.EPERM;
                return p;
            }
            if (c != 0x40106105) {
                if (st.owner() != null && st.owner() != h) {
                    p.result = -Errno.EBUSY;
                    return p;
                }
                p.claims = true;
            }
        }
        switch (p.base) {
            case 0x6100:
                return p;
            case 0x40106102:
                if (garbage) {
                    p.result = -Errno.EINVAL;
                }
                return p;
            case 0x40106103:
                if (garbage) {
                    p.result = -Errno.EINVAL;
                } else {
                    p.waits = true;
                }
                return p;
            case 0x6101:
                p.waits = true;
                return p;
            case 0x40106105:
                if (garbage || p.sec < 0 || p.sec >= KTIME_SEC_MAX || p.nsec < 0 || p.nsec >= SEC) {
                    p.result = -Errno.EINVAL;
                } else if (new Timespec(p.sec, (int) p.nsec).compareTo(Timespec.CLOCK_MAX) > 0) {
                    p.result = -Errno.ERANGE; // valid for the driver, beyond valarm's clock range
                }
                return p;
            case 0x40106104:
                if (arg == null || arg.remaining() < size || arg.isReadOnly()) {
                    p.result = -Errno.EFAULT;
                }
                return p;
            default:
                p.result = -Errno.EINVAL;
                return p;
        }
    }

    private static long ktimeNanos(final long sec, final long nsec) {
        if (sec >= KTIME_SEC_MAX) {
            return Long.MAX_VALUE;
        }
        final java.math.BigInteger v = java.math.BigInteger.valueOf(sec).multiply(java.math.BigInteger.valueOf(SEC))
                .add(java.math.BigInteger.valueOf(nsec));
        return v.max(java.math.BigInteger.valueOf(Long.MIN_VALUE)).min(java.math.BigInteger.valueOf(Long.MAX_VALUE))
                .longValue();
    }

    private void one(final SimulatedMachine machine, final ValarmDevice device, final List<ValarmInstance> instances,
            final AlarmHandle h, final Abi abi, final int cmd, final ByteBuffer arg, final Random rnd, final long seed,
            final int i) {
        final ValarmInstance in = h.instance();
        final boolean instanceClosed = in.isClosed();
        final boolean handleClosed = h.isClosed();
        InstanceState before = instanceClosed ? null : DriverAccess.state(in);
        Prediction p = predict(before, handleClosed, instanceClosed, h, abi, cmd, arg);
        if (p.waits && p.result == Integer.MIN_VALUE && before.pending() == 0) {
            // Make sure the WAIT returns at once: raise the time-change event with a non-owner SET_RTC.
            final AlarmHandle setter = in.open(OpenMode.READ_WRITE);
            setter.setRtc(in.now(AlarmType.RTC));
            setter.close();
            before = DriverAccess.state(in);
            p = predict(before, handleClosed, instanceClosed, h, abi, cmd, arg);
        }
        final DeviceStats statsBefore = device.stats();
        final long hostBefore = machine.nanos(ClockBase.REALTIME);
        final byte[] argBefore = arg == null ? null : copy(arg);
        final int rv = AlarmIoctlCodec.of(abi).ioctl(h, cmd, arg);
        calls++;
        final String where = "call " + i + " (seed " + seed + "): " + abi + " cmd 0x" + Integer.toHexString(cmd)
                + " on " + h + " owner=" + (before == null ? "-" : before.owner() == h ? "this" : before.owner())
                + " arg " + (argBefore == null ? "null" : java.util.HexFormat.of().formatHex(argBefore));
        outcomes.merge(rv < 0 ? Errno.name(-rv) : rv == 0 ? "0" : "mask", 1L, Long::sum);
        if (p.result != Integer.MIN_VALUE) {
            assertEquals(p.result, rv, where);
            failing++;
            if (before != null) {
                final InstanceState after = DriverAccess.state(in);
                final InstanceState expected = p.claims ? withOwner(before, h) : before;
                if (p.claims && before.owner() == null) {
                    ownershipQuirks++;
                }
                assertEquals(expected, after, "a failing call changed the state: " + where);
            }
            final DeviceStats statsAfter = device.stats();
            assertEquals(statsBefore.armedAlarms(), statsAfter.armedAlarms(), where);
            assertEquals(statsBefore.alarmsSet(), statsAfter.alarmsSet(), where);
            assertEquals(statsBefore.alarmsFired(), statsAfter.alarmsFired(), where);
            assertEquals(hostBefore, machine.nanos(ClockBase.REALTIME), where);
            if (arg != null && p.base != 0x40106104) {
                assertTrue(java.util.Arrays.equals(argBefore, copy(arg)), "argument bytes were written: " + where);
            }
            return;
        }
        // Success: check the effect.
        machine.awaitIdle();
        final InstanceState after = DriverAccess.state(in);
        if (p.claims) {
            assertSame(h, after.owner(), "did not claim: " + where);
        }
        final int t = p.type;
        switch (p.base) {
            case 0x6100:
                assertEquals(0, rv, where);
                assertEquals(0, after.enabled() & (1 << t), where);
                assertEquals(0, after.pending() & (1 << t), where);
                break;
            case 0x40106102: {
                assertEquals(0, rv, where);
                final long want = ktimeNanos(p.sec, p.nsec);
                if ((after.enabled() & (1 << t)) != 0) {
                    assertEquals(want, after.armedTimes().get(t), where);
                } else {
                    assertTrue(want <= in.now(AlarmType.of(t)).toNanos() && (after.pending() & (1 << t)) != 0,
                            "neither armed nor fired: " + where);
                }
                break;
            }
            case 0x40106103:
            case 0x6101:
                assertTrue(rv > 0 && (rv & ~AlarmEvents.VALID_MASK) == 0, where);
                assertTrue((rv & before.pending()) == before.pending(), "lost events: " + where);
                final int extra = rv & ~before.pending();
                assertTrue(extra == 0 || (p.base == 0x40106103 && extra == 1 << t), "invented events: " + where);
                break;
            case 0x40106105:
                assertEquals(0, rv, where);
                assertEquals(p.sec * SEC + p.nsec, in.now(AlarmType.RTC).toNanos(), where);
                assertTrue((after.pending() & AlarmEvents.TIME_CHANGE_MASK) != 0, where);
                break;
            case 0x40106104: {
                assertEquals(0, rv, where);
                final ByteBuffer le = arg.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                final Timespec now = in.now(AlarmType.of(t));
                if (abi == Abi.LP64) {
                    assertEquals(now.seconds(), le.getLong(le.position()), where);
                    assertEquals(now.nanos(), le.getLong(le.position() + 8), where);
                } else {
                    assertEquals((int) now.seconds(), le.getInt(le.position()), where);
                    assertEquals(now.nanos(), le.getInt(le.position() + 4), where);
                }
                assertEquals(before.enabled(), after.enabled(), where);
                break;
            }
            default:
                fail("unexpected success: " + where);
        }
    }

    private static InstanceState withOwner(final InstanceState s, final Object owner) {
        return new InstanceState(s.minor(), s.closed(), owner, s.enabled(), s.pending(), s.waitPending(), s.blockerHeld(),
                s.wallClockOffset(), s.armedTimes(), s.blockingWaiters(), s.asyncWaiters());
    }

    private static byte[] copy(final ByteBuffer b) {
        final byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
