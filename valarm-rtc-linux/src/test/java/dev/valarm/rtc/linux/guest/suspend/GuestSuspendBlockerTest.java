package dev.valarm.rtc.linux.guest.suspend;

import static dev.valarm.rtc.linux.guest.suspend.GuestClocks.secs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.Errno;
import dev.valarm.InstanceConfig;
import dev.valarm.OpenMode;
import dev.valarm.Timespec;
import dev.valarm.ValarmInstance;
import dev.valarm.rtc.linux.LinuxBackendProvider;
import dev.valarm.rtc.linux.LinuxSuspendBlocker;
import dev.valarm.rtc.linux.SuspendAttempt;
import dev.valarm.rtc.linux.SystemSuspend;
import dev.valarm.rtc.linux.guest.InGuest;
import dev.valarm.rtc.linux.internal.Native;
import dev.valarm.spi.RtcException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The suspend blocker on Debian's kernel, with real suspends: an instance whose alarm fired holds its
 * wakelock until its owner acknowledges it, and while it does a suspending caller that uses the
 * {@code wakeup_count} handshake (valarm's {@link SystemSuspend}, or a shell in another process) is held off,
 * because the wakelock is a kernel wakeup source ({@code epoll-wakeup}); Debian's kernel has no
 * {@code /sys/power/wake_lock}.
 */
final class GuestSuspendBlockerTest {

    private static final Path SYS_POWER = Path.of("/sys/power");

    @BeforeEach
    void onlyInGuest() {
        InGuest.assumeGuest();
    }

    @Test
    void debiansKernelHasNoUserspaceWakelocksSoTheAutomaticChoiceIsAnEpollWakeupSource() {
        assertFalse(Files.exists(SYS_POWER.resolve("wake_lock")), "this kernel has CONFIG_PM_WAKELOCKS after all");
        final RtcException e = assertThrows(RtcException.class,
                () -> LinuxSuspendBlocker.open(LinuxSuspendBlocker.Mechanism.KERNEL_WAKE_LOCK));
        assertEquals(Errno.ENOENT, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("CONFIG_PM_WAKELOCKS"), e.getMessage());
        try (LinuxSuspendBlocker auto = new LinuxBackendProvider().openSuspendBlocker(null)) {
            assertEquals(LinuxSuspendBlocker.Mechanism.EPOLL_WAKEUP, auto.mechanism(), auto.describe());
        }
    }

    @Test
    void aHeldWakelockIsAKernelWakeupSourceThatStopsTheHandshake() throws IOException {
        try (LinuxSuspendBlocker b = LinuxSuspendBlocker.open(LinuxSuspendBlocker.Mechanism.EPOLL_WAKEUP)) {
            final List<Path> before = activeWakeupSources();
            // A suspender reads wakeup_count, then valarm's alarm fires: writing the count back must fail.
            final String count = Native.get().readSmallFile(SYS_POWER + "/wakeup_count");
            b.acquire("valarm[probe]", Duration.ofSeconds(10));
            final List<Path> during = activeWakeupSources();
            assertTrue(during.size() > before.size(), "no kernel wakeup source became active: before " + before
                    + ", during " + during);
            final RtcException e = assertThrows(RtcException.class,
                    () -> Native.get().writeSmallFile(SYS_POWER + "/wakeup_count", count),
                    "the kernel accepted the wakeup_count handshake while valarm held its wakelock");
            assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
            b.release("valarm[probe]");
            assertEquals(before.size(), activeWakeupSources().size(), "the wakeup source stayed active after release");
            // Released: the handshake goes through again (no suspend follows it here).
            final String again = Native.get().readSmallFile(SYS_POWER + "/wakeup_count");
            Native.get().writeSmallFile(SYS_POWER + "/wakeup_count", again);
        }
    }

    @Test
    void aFiredAlarmHoldsTheInstancesWakelockUntilItsOwnerAcknowledgesItAndSystemSuspendRefuses() throws Exception {
        final LinuxSuspendBlocker blocker = LinuxSuspendBlocker.open(LinuxSuspendBlocker.Mechanism.EPOLL_WAKEUP);
        try (SuspendRig rig = SuspendRig.open(SuspendRig.ALARM_TIMERFD, blocker)) {
            final ValarmInstance in = rig.device.createInstance(InstanceConfig.builder().name("G").build());
            final AlarmHandle h = in.open(OpenMode.READ_WRITE);
            final String tag = "valarm[" + in.minor() + "]";
            final SystemSuspend gate = new SystemSuspend(blocker);
            final int before = activeWakeupSources().size();

            // The alarm fires; its owner has seen it (the wait returned) but not acknowledged it yet.
            fire(h);
            assertEquals(Set.of(tag), blocker.heldTags(), "the instance must hold its wakelock until acknowledged");
            assertTrue(activeWakeupSources().size() > before, "the held wakelock is no active kernel wakeup source");
            final SuspendAttempt refused = gate.trySuspend();
            assertEquals(SuspendAttempt.Outcome.REFUSED, refused.outcome(), refused.detail());
            assertEquals(Set.of(tag), refused.heldTags());
            // The owner waits again: acknowledged, released, in the kernel too.
            h.await(Duration.ofMillis(1));
            assertTrue(blocker.heldTags().isEmpty(), "still held after the acknowledgement: " + blocker.heldTags());
            assertEquals(before, activeWakeupSources().size(), "the kernel wakeup source stayed active");

            // Not acknowledged at all: the wakelock times out by itself (alarm-dev's 5 s).
            fire(h);
            final long t0 = System.nanoTime();
            assertTrue(blocker.awaitReleased(Duration.ofSeconds(20)), "the wakelock did not time out");
            final long heldMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(heldMs >= 3000, "released after only " + heldMs + " ms without an acknowledgement");
        }
    }

    @Test
    void whileTheWakelockIsHeldHandshakeSuspendersWaitThenSuspendForReal() throws Exception {
        // Held explicitly here (as the device holds it for a fired alarm, above), so that the slow guest does
        // not race alarm-dev's 5 s timeout.
        try (LinuxSuspendBlocker blocker = LinuxSuspendBlocker.open(LinuxSuspendBlocker.Mechanism.EPOLL_WAKEUP)) {
            final HostControl host = HostControl.get();
            final SystemSuspend gate = new SystemSuspend(blocker);
            final String tag = "valarm[42]";

            // A suspender in another process, with the handshake: its read of wakeup_count waits in the kernel.
            blocker.acquire(tag, Duration.ofSeconds(120));
            final HostControl.Ticket t = host.expectNoWake(Duration.ofSeconds(3));
            final Process shell = new ProcessBuilder("sh", "-c",
                    "read c < /sys/power/wakeup_count && echo $c > /sys/power/wakeup_count && echo mem > /sys/power/state")
                    .redirectErrorStream(true).start();
            assertFalse(shell.waitFor(2, TimeUnit.SECONDS), () -> "the shell's handshake went through while the wakelock "
                    + "was held: " + output(shell));
            final long released = GuestClocks.real();
            blocker.release(tag);
            assertTrue(shell.waitFor(90, TimeUnit.SECONDS), "the shell did not suspend after the release");
            assertEquals(0, shell.exitValue(), () -> "the shell's echo mem failed: " + output(shell));
            final HostControl.Done first = host.done(t);
            assertTrue(first.suspendedNs() > t.sync().toHost(released) - 200_000_000L,
                    "the machine suspended before the wakelock was released");
            assertFalse(first.wokeByItself(), "woke by itself: " + first);

            // valarm's SystemSuspend defers (rather than refuses) until the release.
            blocker.acquire(tag, Duration.ofSeconds(120));
            final HostControl.Ticket t2 = host.expectNoWake(Duration.ofSeconds(3));
            final CompletableFuture<SuspendAttempt> deferred = CompletableFuture.supplyAsync(() -> {
                try {
                    return gate.suspend(Duration.ofSeconds(90));
                } catch (final InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThrows(java.util.concurrent.TimeoutException.class, () -> deferred.get(2, TimeUnit.SECONDS),
                    "SystemSuspend did not wait for the held wakelock");
            final long released2 = GuestClocks.real();
            blocker.release(tag);
            final SuspendAttempt a = deferred.get(120, TimeUnit.SECONDS);
            assertEquals(SuspendAttempt.Outcome.RESUMED, a.outcome(), a.detail());
            final HostControl.Done second = host.done(t2);
            assertTrue(second.suspendedNs() > t2.sync().toHost(released2) - 200_000_000L,
                    "SystemSuspend suspended before the wakelock was released");
            assertFalse(second.wokeByItself(), "woke by itself: " + second);
            assertTrue(a.slept().toMillis() >= 2000, "SystemSuspend reports " + a.slept() + " slept");
            host.figure(String.join("\t", "blocker", blocker.mechanism().label(),
                    "handshake suspends held off until the release; then the shell's slept " + secs(first.sleptNs())
                            + ", SystemSuspend's " + secs(second.sleptNs()) + " (kernel-injected "
                            + a.slept().toMillis() + " ms)"));
        }
    }

    /** Sets an ELAPSED_REALTIME alarm 0.5 s ahead and waits until it fired (a time change may come first). */
    private static void fire(final AlarmHandle h) throws InterruptedException {
        final Timespec now = h.getTime(AlarmType.ELAPSED_REALTIME);
        h.set(AlarmType.ELAPSED_REALTIME, Timespec.ofNanos(now.toNanos() + 500_000_000L));
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end) {
            final AlarmEvents ev = h.await(Duration.ofSeconds(5));
            if (ev.fired(AlarmType.ELAPSED_REALTIME)) {
                return;
            }
        }
        throw new AssertionError("the ELAPSED_REALTIME alarm did not fire within 20 s");
    }

    /** What a finished process wrote (only call once it has exited: the read waits for the end). */
    private static String output(final Process p) {
        try {
            return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (final IOException e) {
            return e.toString();
        }
    }

    /**
     * The kernel's active wakeup sources made for an eventfd in an epoll set with EPOLLWAKEUP (named
     * {@code [eventfd]} after the file; {@code active_time_ms} above 0 while active).
     */
    private static List<Path> activeWakeupSources() throws IOException {
        try (Stream<Path> ws = Files.list(Path.of("/sys/class/wakeup"))) {
            return ws.filter(p -> {
                try {
                    return "[eventfd]".equals(Files.readString(p.resolve("name")).trim())
                            && Long.parseLong(Files.readString(p.resolve("active_time_ms")).trim()) > 0;
                } catch (final IOException | NumberFormatException e) {
                    return false;
                }
            }).sorted().toList();
        }
    }
}
