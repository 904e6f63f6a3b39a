package dev.valarm.impl;

import static dev.valarm.AlarmType.ELAPSED_REALTIME;
import static dev.valarm.AlarmType.ELAPSED_REALTIME_WAKEUP;
import static dev.valarm.AlarmType.RTC;
import static dev.valarm.AlarmType.RTC_WAKEUP;
import static dev.valarm.AlarmType.SYSTEMTIME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmBusyException;
import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmPermissionException;
import dev.valarm.AlarmType;
import dev.valarm.ClockBase;
import dev.valarm.Errno;
import dev.valarm.InvalidAlarmException;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmClosedException;
import dev.valarm.ValarmInstance;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** One test (at least) per behaviour row of sections 4 and 5 of reference/alarm-dev.md. */
class AlarmDevSpecTest extends SimFixture {

    private static final int TC = AlarmEvents.TIME_CHANGE_MASK;

    private String tag() {
        return "valarm[" + inst.minor() + "]";
    }

    @Nested
    class PreChecks_4_1 {
        @Test
        void typeNumberOutsideZeroToFourIsEinval() {
            final InvalidAlarmException e = assertThrows(InvalidAlarmException.class, () -> AlarmType.of(5));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("5"), e.getMessage());
            assertThrows(InvalidAlarmException.class, () -> AlarmType.of(-1));
        }

        @Test
        void readOnlyHandleGetsEpermForEveryStateChangingCall() {
            final AlarmHandle ro = inst.open(OpenMode.READ_ONLY);
            final Timespec t = in(ro, RTC, 10);
            assertEquals(Errno.EPERM, assertThrows(AlarmPermissionException.class, () -> ro.set(RTC, t)).errno());
            assertThrows(AlarmPermissionException.class, () -> ro.clear(RTC));
            assertThrows(AlarmPermissionException.class, ro::await);
            assertThrows(AlarmPermissionException.class, () -> ro.await(Duration.ZERO));
            assertThrows(AlarmPermissionException.class, () -> ro.setAndAwait(RTC, t));
            assertThrows(AlarmPermissionException.class, () -> ro.setRtc(t));
            assertThrows(AlarmPermissionException.class, ro::awaitAsync);
            assertFalse(ro.isOwner());
            assertEquals(0, device.stats().armedAlarms(), "a refused call changes nothing");
        }

        @ParameterizedTest
        @EnumSource(AlarmType.class)
        void readOnlyHandleMayGetTime(final AlarmType type) {
            final AlarmHandle ro = inst.open(OpenMode.READ_ONLY);
            assertEquals(inst.now(type), ro.getTime(type));
            assertFalse(ro.isOwner());
        }

        @Test
        void permissionIsCheckedBeforeOwnership() {
            rw.clear(RTC); // rw owns
            final AlarmHandle ro = inst.open(OpenMode.READ_ONLY);
            assertThrows(AlarmPermissionException.class, () -> ro.clear(RTC));
        }

        @Test
        void anotherOwnerGivesEbusyNotEperm() {
            rw.set(RTC, in(rw, RTC, 100));
            final AlarmHandle other = inst.open(OpenMode.READ_WRITE);
            final AlarmBusyException e = assertThrows(AlarmBusyException.class, () -> other.set(RTC, in(other, RTC, 5)));
            assertEquals(Errno.EBUSY, e.errno());
            assertThrows(AlarmBusyException.class, () -> other.clear(RTC));
            assertThrows(AlarmBusyException.class, () -> other.await(Duration.ZERO));
            assertThrows(AlarmBusyException.class, other::awaitAsync);
            assertFalse(other.isOwner());
            assertTrue(rw.isOwner());
            assertEquals(1, device.stats().armedAlarms(), "the refused SET did not replace the owner's alarm");
        }

        @Test
        void firstStateChangingCallClaimsOwnership() {
            assertFalse(rw.isOwner());
            rw.clear(SYSTEMTIME);
            assertTrue(rw.isOwner());
        }

        @Test
        void getTimeDoesNotClaimOwnership() {
            rw.getTime(RTC);
            assertFalse(rw.isOwner());
            final AlarmHandle other = inst.open(OpenMode.READ_WRITE);
            other.clear(RTC);
            assertTrue(other.isOwner());
        }

        @Test
        void setRtcDoesNotClaimOwnership() {
            rw.setRtc(in(rw, RTC, 3600));
            assertFalse(rw.isOwner());
            final AlarmHandle other = inst.open(OpenMode.READ_WRITE);
            other.clear(RTC);
            assertTrue(other.isOwner());
            rw.setRtc(in(rw, RTC, 60)); // a non-owner may still SET_RTC
        }

        @Test
        void waitClaimsOwnership() throws Exception {
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
            assertTrue(rw.isOwner());
        }

        @Test
        void ownershipBelongsToTheHandleNotTheThread() throws Exception {
            rw.clear(RTC);
            final AtomicReference<Throwable> error = new AtomicReference<>();
            final Thread t = new Thread(() -> {
                try {
                    rw.set(RTC, in(rw, RTC, 5));
                } catch (final Throwable e) {
                    error.set(e);
                }
            });
            t.start();
            t.join(WAIT.toMillis());
            assertEquals(null, error.get());
        }

        @Test
        void nullArgumentFailsBeforeOwnershipIsTaken() {
            assertThrows(NullPointerException.class, () -> rw.set(RTC, null));
            assertThrows(NullPointerException.class, () -> rw.set(null, Timespec.ZERO));
            assertFalse(rw.isOwner());
        }
    }

    @Nested
    class Clear_4_2 {
        @Test
        void clearDisarmsTheAlarm() throws Exception {
            rw.set(RTC, in(rw, RTC, 5));
            rw.clear(RTC);
            advanceSeconds(10);
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
            assertEquals(0, device.stats().armedAlarms());
        }

        @Test
        void clearingAnUnarmedTypeIsANoOpSuccess() {
            rw.clear(ELAPSED_REALTIME);
            rw.clear(ELAPSED_REALTIME);
            assertTrue(rw.isOwner());
        }

        @Test
        void clearDropsThePendingBitOfThatTypeOnly() throws Exception {
            rw.set(RTC, in(rw, RTC, 1));
            rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 1));
            advanceSeconds(2);
            rw.clear(RTC);
            assertEquals(SYSTEMTIME.mask(), rw.await(Duration.ZERO).mask());
        }

        @Test
        void clearDoesNotTouchTheTimeChangeBit() throws Exception {
            rw.set(RTC, in(rw, RTC, 1));
            advanceSeconds(2);
            rw.setRtc(in(rw, RTC, 100));
            rw.clear(RTC);
            assertEquals(TC, rw.await(Duration.ZERO).mask());
        }

        @Test
        void clearEmptyingPendingReleasesTheSuspendBlockerWhenNoWaitIsInProgress() {
            rw.set(RTC, in(rw, RTC, 1));
            advanceSeconds(1);
            assertTrue(machine.suspendBlocker().isHeld(tag()));
            rw.clear(RTC);
            assertFalse(machine.suspendBlocker().isHeld(tag()));
        }
    }

    @Nested
    class Set_4_3 {
        @Test
        void setArmsAndFiresAtItsTime() throws Exception {
            rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 5));
            advanceSeconds(4.999);
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
            advanceSeconds(0.001);
            assertEquals(ELAPSED_REALTIME.mask(), rw.await(Duration.ZERO).mask());
        }

        @Test
        void setReplacesThePreviousAlarmOfTheSameType() throws Exception {
            rw.set(RTC, in(rw, RTC, 5));
            rw.set(RTC, in(rw, RTC, 50));
            advanceSeconds(10);
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
            assertEquals(1, device.stats().armedAlarms());
            advanceSeconds(40);
            assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask());
        }

        @Test
        void eachTypeHasItsOwnAlarm() throws Exception {
            for (final AlarmType t : AlarmType.values()) {
                rw.set(t, in(rw, t, 1 + t.number()));
            }
            assertEquals(5, device.stats().armedAlarms());
            advanceSeconds(10);
            assertEquals(AlarmType.ALL_TYPES_MASK, rw.await(Duration.ZERO).mask());
        }

        @Test
        void aPastTimeFiresAtOnce() throws Exception {
            rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, -3600));
            assertEquals(RTC_WAKEUP.mask(), rw.await(WAIT).mask());
        }

        @Test
        void zeroAndNegativeTimesFireAtOnce() throws Exception {
            rw.set(ELAPSED_REALTIME, Timespec.ZERO);
            rw.set(SYSTEMTIME, Timespec.ofSeconds(-5));
            machine.awaitIdle();
            assertEquals(ELAPSED_REALTIME.mask() | SYSTEMTIME.mask(), rw.await(WAIT).mask());
        }

        @Test
        void hugeTimesSaturateAndNeverFire() throws Exception {
            rw.set(RTC, new Timespec(Long.MAX_VALUE, 999_999_999));
            advanceSeconds(86400 * 365.0);
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
            assertEquals(1, device.stats().armedAlarms());
        }

        @Test
        void setKeepsAStalePendingBitOfTheSameType() throws Exception {
            rw.set(RTC, in(rw, RTC, 1));
            advanceSeconds(1);
            rw.set(RTC, in(rw, RTC, 10)); // re-armed while the first firing is uncollected
            assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask(), "the stale bit is reported");
            advanceSeconds(10);
            assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask(), "and the new alarm fires again");
        }
    }

    @Nested
    class Wait_4_4 {
        @Test
        void waitReturnsAtOnceWhenSomethingIsPending() throws Exception {
            rw.set(RTC, in(rw, RTC, 1));
            advanceSeconds(1);
            assertEquals(RTC.mask(), rw.await().mask());
        }

        @Test
        void waitBlocksUntilAnAlarmFires() throws Exception {
            rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 30));
            final CompletableFuture<AlarmEvents> f = CompletableFuture.supplyAsync(() -> {
                try {
                    return rw.await();
                } catch (final InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            advanceSeconds(29);
            assertFalse(f.isDone());
            advanceSeconds(1);
            assertEquals(SYSTEMTIME.mask(), f.get(WAIT.toSeconds(), TimeUnit.SECONDS).mask());
        }

        @Test
        void waitFetchesAndClears() throws Exception {
            rw.set(RTC, in(rw, RTC, 1));
            advanceSeconds(1);
            assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask());
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
        }

        @Test
        void severalFiredTypesAreCoalescedIntoOneResult() throws Exception {
            rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 1));
            rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 2));
            rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 3));
            advanceSeconds(3);
            rw.setRtc(in(rw, RTC, 0));
            final AlarmEvents ev = rw.await(Duration.ZERO);
            assertEquals(RTC_WAKEUP.mask() | ELAPSED_REALTIME_WAKEUP.mask() | SYSTEMTIME.mask() | TC, ev.mask());
            assertTrue(ev.timeChanged());
        }

        @Test
        void waitingAgainAcknowledgesAndReleasesTheSuspendBlocker() throws Exception {
            rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 1));
            advanceSeconds(1);
            assertTrue(machine.suspendBlocker().isHeld(tag()), "firing takes the blocker");
            assertEquals(RTC_WAKEUP.mask(), rw.await(Duration.ZERO).mask());
            assertTrue(machine.suspendBlocker().isHeld(tag()), "kept while the owner processes the result");
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
            assertFalse(machine.suspendBlocker().isHeld(tag()), "the next WAIT is the acknowledgement");
        }

        @Test
        void concurrentWaitersAreBothWokenAndTheLoserGetsNothing() throws Exception {
            final CountDownLatch started = new CountDownLatch(2);
            final CompletableFuture<AlarmEvents> a = waitAsyncThread(started);
            final CompletableFuture<AlarmEvents> b = waitAsyncThread(started);
            started.await();
            awaitBlockedWaiters(2);
            rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 1));
            advanceSeconds(1);
            final int ma = a.get(10, TimeUnit.SECONDS).mask();
            final int mb = b.get(10, TimeUnit.SECONDS).mask();
            assertEquals(SYSTEMTIME.mask(), ma | mb);
            assertEquals(0, ma & mb, "exactly one got the event");
        }

        private CompletableFuture<AlarmEvents> waitAsyncThread(final CountDownLatch started) {
            final CompletableFuture<AlarmEvents> f = new CompletableFuture<>();
            final Thread t = new Thread(() -> {
                started.countDown();
                try {
                    f.complete(rw.await());
                } catch (final Throwable e) {
                    f.completeExceptionally(e);
                }
            });
            t.setDaemon(true);
            t.start();
            return f;
        }

        @Test
        void aTimedWaitReturnsNothingOnTimeout() throws Exception {
            rw.set(RTC, in(rw, RTC, 100));
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ofMillis(20)));
            assertThrows(IllegalArgumentException.class, () -> rw.await(Duration.ofSeconds(-1)));
        }

        @Test
        void anInterruptedWaitLeavesTheAlarmArmed() throws Exception {
            rw.set(RTC, in(rw, RTC, 5));
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, rw::await);
            advanceSeconds(5);
            assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask());
        }

        @Test
        void asynchronousWaitCompletesWhenAnAlarmFires() throws Exception {
            rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 2));
            final CompletableFuture<AlarmEvents> f = rw.awaitAsync();
            assertFalse(f.isDone());
            advanceSeconds(2);
            assertEquals(ELAPSED_REALTIME.mask(), f.get(10, TimeUnit.SECONDS).mask());
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO), "fetched and cleared");
        }

        @Test
        void aCancelledAsynchronousWaitLosesNothing() throws Exception {
            final CompletableFuture<AlarmEvents> f = rw.awaitAsync();
            f.cancel(false);
            rw.set(RTC, in(rw, RTC, 1));
            advanceSeconds(1);
            assertEquals(RTC.mask(), rw.await(WAIT).mask());
        }
    }

    @Nested
    class SetAndWait_4_5 {
        @Test
        void setAndWaitSetsThenWaits() throws Exception {
            final CompletableFuture<AlarmEvents> f = CompletableFuture.supplyAsync(() -> {
                try {
                    return rw.setAndAwait(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 3));
                } catch (final InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitTrue(() -> device.stats().armedAlarms() > 0, "SET_AND_WAIT to arm its alarm");
            advanceSeconds(3);
            assertEquals(ELAPSED_REALTIME_WAKEUP.mask(), f.get(10, TimeUnit.SECONDS).mask());
        }

        @Test
        void aPastTimeReturnsAtOnce() throws Exception {
            assertEquals(RTC.mask(), rw.setAndAwait(RTC, Timespec.ZERO).mask());
        }
    }

    @Nested
    class GetTime_4_6 {
        @Test
        void wallClockTypesReadTheInstanceRealtime() {
            final ValarmInstance shifted = device.createInstance(dev.valarm.InstanceConfig.builder()
                    .wallClockOffset(Duration.ofDays(365)).build());
            final AlarmHandle h = shifted.open(OpenMode.READ_ONLY);
            final long host = host(ClockBase.REALTIME);
            assertEquals(host + Duration.ofDays(365).toNanos(), h.getTime(RTC_WAKEUP).toNanos());
            assertEquals(host + Duration.ofDays(365).toNanos(), h.getTime(RTC).toNanos());
        }

        @Test
        void elapsedTypesReadBoottimeAndSystemtimeReadsMonotonic() {
            assertEquals(host(ClockBase.BOOTTIME), rw.getTime(ELAPSED_REALTIME).toNanos());
            assertEquals(host(ClockBase.BOOTTIME), rw.getTime(ELAPSED_REALTIME_WAKEUP).toNanos());
            assertEquals(host(ClockBase.MONOTONIC), rw.getTime(SYSTEMTIME).toNanos());
        }

        @Test
        void suspendAdvancesElapsedButNotSystemtime() {
            final Timespec el = rw.getTime(ELAPSED_REALTIME);
            final Timespec sys = rw.getTime(SYSTEMTIME);
            machine.suspend(Duration.ofSeconds(60));
            assertEquals(el.toNanos() + 60 * SEC, rw.getTime(ELAPSED_REALTIME).toNanos());
            assertEquals(sys, rw.getTime(SYSTEMTIME));
        }
    }

    @Nested
    class SetRtc_4_7 {
        @Test
        void setRtcMovesOnlyThisInstancesWallClock() {
            final ValarmInstance other = device.createInstance();
            final long hostBefore = host(ClockBase.REALTIME);
            rw.setRtc(Timespec.ofSeconds(4_102_444_800L)); // 2100-01-01
            assertEquals(4_102_444_800L, rw.getTime(RTC).seconds());
            assertEquals(hostBefore, host(ClockBase.REALTIME), "the host clock is untouched");
            assertEquals(hostBefore, other.now(RTC).toNanos(), "another instance is untouched");
            assertEquals(4_102_444_800L, inst.clock().instant().getEpochSecond());
        }

        @Test
        void jumpingForwardPastAWallClockAlarmFiresIt() throws Exception {
            rw.set(RTC_WAKEUP, in(rw, RTC_WAKEUP, 3600));
            rw.setRtc(in(rw, RTC, 7200));
            machine.awaitIdle();
            assertEquals(RTC_WAKEUP.mask() | TC, rw.await(Duration.ZERO).mask());
        }

        @Test
        void jumpingBackDelaysAWallClockAlarm() throws Exception {
            rw.set(RTC, in(rw, RTC, 10));
            rw.setRtc(in(rw, RTC, -50));
            assertEquals(TC, rw.await(Duration.ZERO).mask());
            advanceSeconds(59);
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
            advanceSeconds(1);
            assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask());
        }

        @Test
        void elapsedAndSystemtimeAlarmsAreUnaffected() throws Exception {
            rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 10));
            rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 10));
            rw.setRtc(in(rw, RTC, 86400));
            assertEquals(TC, rw.await(Duration.ZERO).mask());
            advanceSeconds(9);
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
            advanceSeconds(1);
            assertEquals(ELAPSED_REALTIME.mask() | SYSTEMTIME.mask(), rw.await(Duration.ZERO).mask());
        }

        @Test
        void timeChangeIsRaisedOnThisInstanceAlone() throws Exception {
            final AlarmHandle other = device.createInstance().open(OpenMode.READ_WRITE);
            rw.setRtc(in(rw, RTC, 10));
            assertEquals(TC, rw.await(Duration.ZERO).mask());
            assertEquals(AlarmEvents.NONE, other.await(Duration.ZERO));
        }

        @Test
        void timeChangeSticksUntilAWaitCollectsIt() throws Exception {
            rw.setRtc(in(rw, RTC, 10));
            advanceSeconds(100);
            rw.clear(RTC);
            assertEquals(TC, rw.await(Duration.ZERO).mask());
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
        }

        @Test
        void timeChangeRaisedWithoutAnOwnerReachesTheNextOwner() throws Exception {
            final AlarmHandle setter = inst.open(OpenMode.READ_WRITE);
            setter.setRtc(in(setter, RTC, 10));
            setter.close();
            assertEquals(TC, rw.await(Duration.ZERO).mask());
        }

        @Test
        void timeChangeTakesNoSuspendBlocker() {
            rw.setRtc(in(rw, RTC, 10));
            assertFalse(machine.suspendBlocker().isHeld(tag()));
        }

        @Test
        void setRtcWakesABlockedWaiter() throws Exception {
            final CompletableFuture<AlarmEvents> f = rw.awaitAsync();
            final AlarmHandle setter = inst.open(OpenMode.READ_WRITE);
            setter.setRtc(in(setter, RTC, 10));
            assertEquals(TC, f.get(10, TimeUnit.SECONDS).mask());
        }
    }

    @Nested
    class Release_4_8 {
        @Test
        void ownerCloseCancelsEveryAlarmAndDiscardsPendingEvents() throws Exception {
            rw.set(RTC, in(rw, RTC, 1));
            rw.set(ELAPSED_REALTIME_WAKEUP, in(rw, ELAPSED_REALTIME_WAKEUP, 100));
            advanceSeconds(1);
            rw.close();
            assertEquals(0, device.stats().armedAlarms());
            final AlarmHandle next = inst.open(OpenMode.READ_WRITE);
            advanceSeconds(200);
            assertEquals(AlarmEvents.NONE, next.await(Duration.ZERO));
            assertFalse(machine.suspendBlocker().isHeld(tag()));
        }

        @Test
        void nonOwnerCloseDoesNothing() throws Exception {
            rw.set(RTC, in(rw, RTC, 5));
            final AlarmHandle other = inst.open(OpenMode.READ_WRITE);
            other.close();
            final AlarmHandle ro = inst.open(OpenMode.READ_ONLY);
            ro.close();
            advanceSeconds(5);
            assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask());
        }

        @Test
        void afterTheOwnerClosesAnotherHandleMayOwn() {
            rw.clear(RTC);
            rw.close();
            final AlarmHandle other = inst.open(OpenMode.READ_WRITE);
            other.clear(RTC);
            assertTrue(other.isOwner());
        }

        @Test
        void aClosedHandleFailsWithEbadfAndCloseIsIdempotent() {
            rw.close();
            rw.close();
            final ValarmClosedException e = assertThrows(ValarmClosedException.class, () -> rw.set(RTC, Timespec.ZERO));
            assertEquals(Errno.EBADF, e.errno());
            assertThrows(ValarmClosedException.class, () -> rw.getTime(RTC));
        }

        @Test
        void closeWakesABlockedWaiterWithAClosedError() throws Exception {
            rw.clear(RTC);
            final CompletableFuture<AlarmEvents> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    return rw.await();
                } catch (final InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            final CompletableFuture<AlarmEvents> async = rw.awaitAsync();
            awaitBlockedWaiters(1);
            rw.close();
            final Exception e1 = assertThrows(Exception.class, () -> blocked.get(10, TimeUnit.SECONDS));
            assertTrue(e1.getCause() instanceof ValarmClosedException, String.valueOf(e1.getCause()));
            final Exception e2 = assertThrows(Exception.class, () -> async.get(10, TimeUnit.SECONDS));
            assertTrue(e2.getCause() instanceof ValarmClosedException, String.valueOf(e2.getCause()));
        }

        @Test
        void closingTheInstanceFailsLaterCallsWithEnodev() {
            inst.close();
            assertEquals(Errno.ENODEV, assertThrows(ValarmClosedException.class, () -> rw.clear(RTC)).errno());
            assertEquals(Errno.ENODEV, assertThrows(ValarmClosedException.class, () -> inst.open(OpenMode.READ_ONLY)).errno());
            assertTrue(device.instance(inst.minor()).isEmpty());
        }
    }

    @Nested
    class Expiry_4_9_AndWakelock_5 {
        @ParameterizedTest
        @EnumSource(AlarmType.class)
        void everyTypeTakesTheSuspendBlockerWhenItFires(final AlarmType type) {
            rw.set(type, in(rw, type, 1));
            advanceSeconds(1);
            assertTrue(machine.suspendBlocker().isHeld(tag()), type + " holds the blocker (quirk 8)");
        }

        @Test
        void theBlockerTimesOutAfterFiveSeconds() {
            rw.set(RTC, in(rw, RTC, 1));
            advanceSeconds(1);
            advanceSeconds(4.9);
            assertTrue(machine.suspendBlocker().isHeld(tag()));
            advanceSeconds(0.1);
            assertFalse(machine.suspendBlocker().isHeld(tag()));
        }

        @Test
        void ownerCloseReleasesTheBlocker() {
            rw.set(RTC, in(rw, RTC, 1));
            advanceSeconds(1);
            rw.close();
            assertFalse(machine.suspendBlocker().isHeld(tag()));
        }

        @Test
        void aClearedAlarmNeverFires() throws Exception {
            rw.set(SYSTEMTIME, in(rw, SYSTEMTIME, 1));
            rw.clear(SYSTEMTIME);
            advanceSeconds(2);
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
            assertEquals(0, device.stats().alarmsFired());
        }

        @Test
        void alarmsAreOneShot() throws Exception {
            rw.set(RTC, in(rw, RTC, 1));
            advanceSeconds(1);
            assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask());
            advanceSeconds(100);
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
            assertEquals(1, device.stats().alarmsFired());
        }
    }

    @Nested
    class HostClock {
        @Test
        void aHostClockChangeRaisesTimeChangeOnEveryInstance() throws Exception {
            final AlarmHandle other = device.createInstance().open(OpenMode.READ_WRITE);
            machine.jumpRealtime(Duration.ofHours(1));
            assertEquals(TC, rw.await(Duration.ZERO).mask());
            assertEquals(TC, other.await(Duration.ZERO).mask());
            assertEquals(1, device.stats().clockChanges());
        }

        @Test
        void setHostTimeSetsTheHostClockAndTheRtc() throws Exception {
            device.setHostTime(Timespec.ofSeconds(2_000_000_000L));
            machine.awaitIdle();
            assertEquals(2_000_000_000L, device.hostTime().seconds());
            assertEquals(2_000_000_000L, machine.rtc().readTime().seconds());
            assertEquals(TC, rw.await(Duration.ZERO).mask());
        }

        @Test
        void aHostClockJumpForwardFiresWallClockAlarmsButNotElapsedOnes() throws Exception {
            rw.set(RTC, in(rw, RTC, 600));
            rw.set(ELAPSED_REALTIME, in(rw, ELAPSED_REALTIME, 600));
            machine.jumpRealtime(Duration.ofHours(1));
            assertEquals(RTC.mask() | TC, rw.await(Duration.ZERO).mask());
        }

        @Test
        void aHostClockJumpBackDelaysWallClockAlarms() throws Exception {
            rw.set(RTC, in(rw, RTC, 60));
            machine.jumpRealtime(Duration.ofHours(-1));
            assertEquals(TC, rw.await(Duration.ZERO).mask());
            advanceSeconds(60);
            assertEquals(AlarmEvents.NONE, rw.await(Duration.ZERO));
            advanceSeconds(3600);
            assertEquals(RTC.mask(), rw.await(Duration.ZERO).mask());
        }
    }

    @Test
    void instanceLookupAndListing() {
        final ValarmInstance b = device.createInstance(dev.valarm.InstanceConfig.builder().minor(7).name("b").build());
        assertSame(b, device.instance(7).orElseThrow());
        assertEquals(2, device.instances().size());
        assertEquals("b", b.name());
        assertEquals(Errno.EEXIST, assertThrows(dev.valarm.ValarmLimitException.class,
                () -> device.createInstance(dev.valarm.InstanceConfig.builder().minor(7).build())).errno());
        assertTrue(device.destroyInstance(7));
        assertFalse(device.destroyInstance(7));
    }
}
