package dev.valarm.rtc.linux.guest.suspend;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.valarm.rtc.linux.qemu.SuspendControl;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The guest side of the protocol with the host's {@link dev.valarm.rtc.linux.qemu.SuspendWatcher} (see
 * {@link SuspendControl}), over the control port: clock syncs, the announcement of every suspend with what
 * the host must do about it, what the host saw of it, and the figures. A request whose answer does not come
 * within {@value #RESEND_MILLIS} ms is sent again (same number, same answer).
 *
 * <p>Thread-safety: thread-safe; one per guest JVM (a reader thread collects the host's answers).
 */
final class HostControl {

    /** How long the watcher may take to answer a request. */
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(20);
    /** When a request is sent again. */
    private static final long RESEND_MILLIS = 3000;

    private static HostControl instance;

    private final ControlPort port;
    private final Map<Integer, String> answers = new HashMap<>();
    private final Map<Integer, String> requests = new HashMap<>();
    private int seq;

    private HostControl(final String port) {
        this.port = new ControlPort(port, line -> {
            final String[] w = line.trim().split("\\s+", 3);
            if (w.length >= 2 && "ack".equals(w[0])) {
                synchronized (this) {
                    answers.put(Integer.parseInt(w[1]), w.length > 2 ? w[2] : "");
                    notifyAll();
                }
            }
        });
    }

    /** The control port of this guest run, opened on first use. */
    static synchronized HostControl get() {
        if (instance == null) {
            final String p = System.getProperty(SuspendControl.PROPERTY);
            assertTrue(p != null && !p.isBlank(), "the guest JVM lacks -D" + SuspendControl.PROPERTY
                    + " (QemuSuspendTest passes it)");
            instance = new HostControl(p);
        }
        return instance;
    }

    /**
     * One round trip: the host's clock against the guest's REALTIME read before and after it.
     *
     * @param guestBefore guest REALTIME when the request was written
     * @param guestAfter guest REALTIME when the answer was read
     * @param host the host's REALTIME when the watcher read the request
     */
    record Sync(long guestBefore, long guestAfter, long host) {
        /** host - guest, estimated at the round trip's middle. */
        long hostMinusGuest() {
            return host - (guestBefore + (guestAfter - guestBefore) / 2);
        }

        /** How far {@link #hostMinusGuest()} may be off: half the round trip. */
        long uncertainty() {
            return (guestAfter - guestBefore) / 2;
        }

        /** A guest REALTIME as host REALTIME. */
        long toHost(final long guestReal) {
            return guestReal + hostMinusGuest();
        }
    }

    /** An announced suspend: its request number and the sync its acknowledgement gave. */
    record Ticket(int seq, boolean expectSelfWake, Duration bound, Sync sync) {
    }

    /**
     * What the watcher saw of one suspend.
     *
     * @param suspendedNs host time of qemu's SUSPEND event
     * @param wokenNs host time of qemu's WAKEUP event
     * @param wokenBy {@link SuspendControl#BY_GUEST} or {@link SuspendControl#BY_HOST}
     * @param status query-status before the host's system_wakeup, or "-"
     */
    record Done(long suspendedNs, long wokenNs, String wokenBy, String status) {
        long sleptNs() {
            return wokenNs - suspendedNs;
        }

        boolean wokeByItself() {
            return SuspendControl.BY_GUEST.equals(wokenBy);
        }
    }

    Sync sync() {
        final long before = GuestClocks.real();
        final int n = request("sync");
        final Map<String, String> ack = await(n, ACK_TIMEOUT);
        final long after = GuestClocks.real();
        return new Sync(before, after, Long.parseLong(ack.get(SuspendControl.HOST_NS)));
    }

    /** Announces a suspend that an RTC alarm must end; the host wakes it after {@code max} and says so. */
    Ticket expectSelfWake(final Duration max) {
        return announce(true, max);
    }

    /** Announces a suspend that nothing in the guest ends; the host ends it after {@code bound}. */
    Ticket expectNoWake(final Duration bound) {
        return announce(false, bound);
    }

    private Ticket announce(final boolean self, final Duration bound) {
        final long before = GuestClocks.real();
        final int n = request("suspend " + (self ? "self " : "host ") + bound.toMillis());
        final Map<String, String> ack = await(n, ACK_TIMEOUT);
        final long after = GuestClocks.real();
        return new Ticket(n, self, bound, new Sync(before, after, Long.parseLong(ack.get(SuspendControl.HOST_NS))));
    }

    /** What the host saw of the announced suspend (asked after the resume; the host answers once it saw the WAKEUP). */
    Done done(final Ticket t) {
        final Map<String, String> d = await(request("result " + t.seq()), Duration.ofSeconds(30));
        if (!"resumed".equals(d.get(SuspendControl.OUTCOME))) {
            fail("the host saw no suspend after request " + t.seq() + ": " + d);
        }
        return new Done(Long.parseLong(d.get(SuspendControl.SUSPENDED_NS)), Long.parseLong(d.get(SuspendControl.WOKEN_NS)),
                d.get(SuspendControl.WOKEN_BY), d.get(SuspendControl.STATUS));
    }

    /** Reports a measured figure: printed here and by the host test. */
    void figure(final String line) {
        System.out.println("[figures] " + line);
        send("figure " + line.replace('\n', ' '));
    }

    private synchronized int request(final String content) {
        final int n = ++seq;
        final String line = "req " + n + " " + content;
        requests.put(n, line);
        send(line);
        return n;
    }

    private void send(final String line) {
        port.writeLine(line);
    }

    private synchronized Map<String, String> await(final int n, final Duration timeout) {
        final long end = System.nanoTime() + timeout.toNanos();
        long resendAt = System.nanoTime() + RESEND_MILLIS * 1_000_000L;
        while (!answers.containsKey(n)) {
            final long now = System.nanoTime();
            if (now - end >= 0) {
                fail("the host watcher did not answer '" + requests.get(n) + "' within " + timeout.toSeconds() + " s");
            }
            if (now - resendAt >= 0) {
                System.out.println("[HostControl] no answer yet; opening the port again and resending: "
                        + requests.get(n));
                port.reopen();
                send(requests.get(n));
                resendAt = now + RESEND_MILLIS * 1_000_000L;
            }
            try {
                wait(Math.max(1, Math.min(end - now, resendAt - now) / 1_000_000));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for the host's answer to '" + requests.get(n) + "'");
            }
        }
        requests.remove(n);
        return SuspendControl.parse(answers.remove(n));
    }
}
