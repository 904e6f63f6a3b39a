package dev.valarm.rtc.linux.qemu;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The line protocol between a guest test and the host-side {@link SuspendWatcher}, over the guest's
 * virtio-serial port {@value #GUEST_PORT} (wired to a unix socket on the host by the script's
 * {@code --control} option). That port survives suspend-to-RAM; the virtio-9p shares do not (qemu resets
 * every device on resume and the kernel's 9p transport has no resume support).
 *
 * <p>The guest asks, the host answers; the host never writes unasked, so nothing it writes can meet a device
 * that is being reset. Guest to host, one line each (N counts from 1; a request the guest repeats, because
 * its answer did not come, keeps its N and gets the same answer):
 * <ul>
 * <li>{@code req N sync}: answered with the host's clock ({@value #HOST_NS}), to map guest times to host
 *     times;</li>
 * <li>{@code req N suspend self MILLIS}: the guest is about to suspend and expects to wake <em>by itself</em>
 *     (an RTC alarm); if it is still suspended MILLIS after qemu reported the suspend, the watcher wakes it
 *     ({@code system_wakeup}) and records that ({@value #WOKEN_BY}={@value #BY_HOST}): the test then fails;</li>
 * <li>{@code req N suspend host MILLIS}: the guest expects <em>not</em> to wake by itself: the watcher ends
 *     the suspend MILLIS after it began, once {@code query-status} confirmed it is still suspended; a guest
 *     that woke earlier is recorded {@value #WOKEN_BY}={@value #BY_GUEST};</li>
 * <li>{@code req N result M}: what the watcher saw of the suspend announced by request M, answered once
 *     qemu's WAKEUP for it was seen;</li>
 * <li>{@code figure TEXT}: a measured figure, printed by the host test (not answered).</li>
 * </ul>
 * Host to guest: {@code ack N key=value...}. Every ack has {@value #HOST_NS}; the ack of a {@code result}
 * has {@value #OUTCOME} ({@code resumed}, or {@code no-suspend} when no suspend followed the announcement
 * within {@value #NO_SUSPEND_MILLIS} ms or another announcement came first) and for a resumed suspend
 * {@value #SUSPENDED_NS} and {@value #WOKEN_NS} (host epoch nanoseconds of qemu's SUSPEND and WAKEUP events),
 * {@value #WOKEN_BY} and {@value #STATUS} (what {@code query-status} answered before a {@code system_wakeup},
 * else {@code -}).
 *
 * <p>Thread-safety: static helpers only.
 */
public final class SuspendControl {

    /** The guest JVM's system property naming the control port. */
    public static final String PROPERTY = "valarm.guest.control";
    /** The control port in the guest (a link the script's init makes to the virtio-serial port). */
    public static final String GUEST_PORT = "/dev/valarm-control";
    /** Ack key: the host's clock (epoch nanoseconds) when the watcher read the request. */
    public static final String HOST_NS = "host_ns";
    /** Done key: host epoch nanoseconds of qemu's SUSPEND event. */
    public static final String SUSPENDED_NS = "suspended_ns";
    /** Done key: host epoch nanoseconds of qemu's WAKEUP event. */
    public static final String WOKEN_NS = "woken_ns";
    /** Done key: who ended the suspend, {@value #BY_GUEST} or {@value #BY_HOST}. */
    public static final String WOKEN_BY = "woken_by";
    /** Done key: the query-status answer before the watcher's system_wakeup, or {@code -}. */
    public static final String STATUS = "status";
    /** Done key: {@code resumed} or {@code no-suspend}. */
    public static final String OUTCOME = "outcome";
    /** {@value #WOKEN_BY}: the guest woke by itself (its RTC alarm). */
    public static final String BY_GUEST = "guest";
    /** {@value #WOKEN_BY}: the watcher woke it with system_wakeup. */
    public static final String BY_HOST = "host";
    /** How long the watcher waits for a suspend after acknowledging its request. */
    public static final long NO_SUSPEND_MILLIS = 30_000;

    private SuspendControl() {
    }

    /**
     * Parses {@code key=value} words.
     *
     * @param words the words (others are ignored)
     * @return the pairs in order
     */
    public static Map<String, String> parse(final String words) {
        final Map<String, String> m = new LinkedHashMap<>();
        for (final String w : words.trim().split("\\s+")) {
            final int eq = w.indexOf('=');
            if (eq > 0) {
                m.put(w.substring(0, eq), w.substring(eq + 1));
            }
        }
        return m;
    }

    /**
     * Formats {@code key=value} words (values must not contain blanks).
     *
     * @param pairs the pairs
     * @return the words, blank-separated
     */
    public static String format(final Map<String, String> pairs) {
        final StringBuilder b = new StringBuilder();
        pairs.forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('=').append(v));
        return b.toString();
    }
}
