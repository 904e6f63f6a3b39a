package dev.valarm.rtc.linux.qemu;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host side of a suspending guest: watches qemu through its QMP monitor (the SUSPEND and WAKEUP events,
 * {@code query-status}) and answers the guest's requests on its control port (see {@link SuspendControl}),
 * ending a suspend with {@code system_wakeup} when the guest asked for it or when it overstays its bound.
 * Everything it sees and does is kept in a transcript with host timestamps; the guest's figures too.
 *
 * <p>Started by the host-side test before the guest boots: it keeps trying to connect to both unix sockets
 * (every {@value #POLL_MILLIS} ms) until qemu has created them.
 *
 * <p>Thread-safety: thread-safe; its own threads do the work.
 */
public final class SuspendWatcher implements AutoCloseable {

    /** How often the sockets are retried until qemu has created them. */
    static final long POLL_MILLIS = 10;
    /** A suspend nobody asked for is ended after this long. */
    static final long UNREGISTERED_MAX_MILLIS = 30_000;

    private static final Pattern EVENT = Pattern.compile("\"event\": *\"([A-Z_]+)\"");
    private static final Pattern TIMESTAMP = Pattern.compile("\"seconds\": *(\\d+), *\"microseconds\": *(\\d+)");
    private static final Pattern ID = Pattern.compile("\"id\": *\"(q\\d+)\"");
    private static final Pattern STATUS = Pattern.compile("\"status\": *\"([a-z-]+)\"");

    private final Path socket;
    private final Path controlSocket;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        final Thread t = new Thread(r, "suspend-watcher-timer");
        t.setDaemon(true);
        return t;
    });
    private final Thread qmpThread;
    private final Thread controlThread;
    private final List<String> transcript = new ArrayList<>();
    private final List<String> figures = new ArrayList<>();
    private final Map<String, CompletableFuture<String>> replies = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile LineChannel qmpChannel;
    private volatile LineChannel controlChannel;
    private int nextId;

    // guarded by this
    private Request pending;
    /** What was answered to each request, for a guest that repeats one. */
    private final Map<Integer, String> answered = new HashMap<>();
    /** What was seen of each announced suspend (its outcome words), by announcement number. */
    private final Map<Integer, String> results = new HashMap<>();
    /** Result requests waiting for their suspend's WAKEUP: announcement number to request number. */
    private final Map<Integer, Integer> awaitingResult = new HashMap<>();
    private Request current;
    private long currentSuspendedNs;
    private boolean wakeSent;
    private String statusBeforeWake = "-";
    private int suspends;
    private int hostWakes;

    /** One suspend request of the guest (seq 0: a suspend nobody asked for). */
    private record Request(int seq, boolean expectSelfWake, long millis) {
    }

    private SuspendWatcher(final Path socket, final Path controlSocket) {
        this.socket = socket;
        this.controlSocket = controlSocket;
        this.qmpThread = new Thread(this::qmpLoop, "suspend-watcher-qmp");
        this.controlThread = new Thread(this::controlLoop, "suspend-watcher-control");
        qmpThread.setDaemon(true);
        controlThread.setDaemon(true);
    }

    /**
     * Starts watching.
     *
     * @param qmpSocket the unix socket qemu serves QMP on (it need not exist yet)
     * @param controlSocket the unix socket of the guest's control port (it need not exist yet)
     * @return the running watcher
     */
    public static SuspendWatcher start(final Path qmpSocket, final Path controlSocket) {
        final SuspendWatcher w = new SuspendWatcher(qmpSocket, controlSocket);
        w.qmpThread.start();
        w.controlThread.start();
        return w;
    }

    /**
     * How many suspends qemu reported.
     *
     * @return the count
     */
    public synchronized int suspends() {
        return suspends;
    }

    /**
     * How many suspends the watcher ended with {@code system_wakeup}.
     *
     * @return the count
     */
    public synchronized int hostWakes() {
        return hostWakes;
    }

    /**
     * What the watcher saw and did, one line each, with host times.
     *
     * @return a copy
     */
    public List<String> transcript() {
        synchronized (transcript) {
            return List.copyOf(transcript);
        }
    }

    /**
     * The figures the guest tests reported, in order.
     *
     * @return a copy
     */
    public List<String> figures() {
        synchronized (transcript) {
            return List.copyOf(figures);
        }
    }

    private void note(final String what) {
        synchronized (transcript) {
            transcript.add(Instant.now() + " " + what);
        }
    }

    // ------------------------------------------------------------------ QMP

    /** Connects to a socket qemu will create, retrying until it exists; null once closed. */
    private SocketChannel connect(final Path path) {
        while (!closed) {
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(path));
                return ch;
            } catch (final IOException e) {
                closeQuietly(ch);
                if (!pause()) {
                    return null;
                }
            }
        }
        return null;
    }

    private void qmpLoop() {
        final SocketChannel ch = connect(socket);
        if (ch == null) {
            return;
        }
        final LineChannel in = new LineChannel(ch);
        qmpChannel = in;
        try {
            note("qmp: connected: " + in.readLine());
            send("{\"execute\":\"qmp_capabilities\"}");
            String line;
            while ((line = in.readLine()) != null) {
                onQmpLine(line);
            }
            note("qmp: qemu closed the monitor");
        } catch (final IOException e) {
            if (!closed) {
                note("qmp: " + e);
            }
        }
    }

    private void onQmpLine(final String line) {
        final Matcher ev = EVENT.matcher(line);
        if (ev.find()) {
            final Matcher ts = TIMESTAMP.matcher(line);
            final long ns = ts.find() ? Long.parseLong(ts.group(1)) * 1_000_000_000L + Long.parseLong(ts.group(2)) * 1000L
                    : System.currentTimeMillis() * 1_000_000L;
            note("qmp event " + ev.group(1) + " at " + Instant.ofEpochSecond(0, ns));
            if ("SUSPEND".equals(ev.group(1))) {
                onSuspend(ns);
            } else if ("WAKEUP".equals(ev.group(1))) {
                onWakeup(ns);
            }
            return;
        }
        final Matcher id = ID.matcher(line);
        if (id.find()) {
            final CompletableFuture<String> f = replies.remove(id.group(1));
            if (f != null) {
                f.complete(line);
            }
        }
    }

    private void send(final String json) throws IOException {
        final LineChannel c = qmpChannel;
        if (c == null) {
            throw new IOException("not connected to " + socket);
        }
        c.writeLine(json);
    }

    /** Answers the guest on its control port; a failure is noted (the guest then times out and fails). */
    private void answer(final String line) {
        final LineChannel c = controlChannel;
        try {
            if (c == null) {
                throw new IOException("not connected to " + controlSocket);
            }
            c.writeLine(line);
        } catch (final IOException e) {
            note("control: cannot answer '" + line + "': " + e);
        }
    }

    /**
     * Lines over a blocking socket channel, read and written straight on the channel: the streams of
     * {@link java.nio.channels.Channels} lock the channel for a blocked read, so a write from another
     * thread would wait for the next line to arrive.
     */
    private static final class LineChannel {
        private final SocketChannel ch;
        private final ByteBuffer in = ByteBuffer.allocate(8192);
        private final StringBuilder line = new StringBuilder();

        LineChannel(final SocketChannel ch) {
            this.ch = ch;
            in.flip();
        }

        /** The next line without its newline, or null at the end of the stream. One reader thread only. */
        String readLine() throws IOException {
            while (true) {
                while (in.hasRemaining()) {
                    final char c = (char) (in.get() & 0xff);
                    if (c == '\n') {
                        final String l = line.toString();
                        line.setLength(0);
                        return l;
                    }
                    if (c != '\r') {
                        line.append(c);
                    }
                }
                in.clear();
                final int n = ch.read(in);
                in.flip();
                if (n < 0) {
                    return null;
                }
            }
        }

        synchronized void writeLine(final String l) throws IOException {
            final ByteBuffer b = ByteBuffer.wrap((l + "\n").getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }

        void close() {
            closeQuietly(ch);
        }
    }

    /** Sends a command and waits for its reply. */
    private String command(final String name) throws IOException {
        final String id;
        synchronized (this) {
            id = "q" + nextId++;
        }
        final CompletableFuture<String> f = new CompletableFuture<>();
        replies.put(id, f);
        send("{\"execute\":\"" + name + "\",\"id\":\"" + id + "\"}");
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for the reply to " + name, e);
        } catch (final TimeoutException | java.util.concurrent.ExecutionException e) {
            throw new IOException("no reply to " + name + " within 10 s", e);
        } finally {
            replies.remove(id);
        }
    }

    // ------------------------------------------------------------------ suspends

    private synchronized void onSuspend(final long ns) {
        suspends++;
        Request r = pending;
        pending = null;
        if (r == null) {
            note("a suspend nobody asked for: ending it after " + UNREGISTERED_MAX_MILLIS + " ms");
            r = new Request(0, true, UNREGISTERED_MAX_MILLIS);
        }
        current = r;
        currentSuspendedNs = ns;
        wakeSent = false;
        statusBeforeWake = "-";
        final long elapsedMs = (System.currentTimeMillis() * 1_000_000L - ns) / 1_000_000L;
        final Request req = r;
        timer.schedule(() -> endIfStillSuspended(req), Math.max(0, r.millis() - elapsedMs), TimeUnit.MILLISECONDS);
    }

    private void endIfStillSuspended(final Request r) {
        synchronized (this) {
            if (current != r || wakeSent) {
                return;
            }
        }
        try {
            final Matcher st = STATUS.matcher(command("query-status"));
            final String status = st.find() ? st.group(1) : "?";
            synchronized (this) {
                if (current != r || wakeSent) {
                    return;
                }
                statusBeforeWake = status;
                if (!"suspended".equals(status)) {
                    note("request " + r.seq() + ": bound reached but qemu's status is " + status + "; no wakeup sent");
                    return;
                }
                wakeSent = true;
                hostWakes++;
            }
            note("request " + r.seq() + ": still suspended after " + r.millis() + " ms ("
                    + (r.expectSelfWake() ? "it should have woken by itself" : "as asked") + "): system_wakeup");
            command("system_wakeup");
        } catch (final IOException e) {
            note("request " + r.seq() + ": cannot end the suspend: " + e);
        }
    }

    private synchronized void onWakeup(final long ns) {
        final Request r = current;
        if (r == null) {
            note("WAKEUP without a SUSPEND");
            return;
        }
        current = null;
        final String by = wakeSent ? SuspendControl.BY_HOST : SuspendControl.BY_GUEST;
        note("request " + r.seq() + ": resumed after " + (ns - currentSuspendedNs) / 1_000_000 + " ms, woken by " + by);
        if (r.seq() > 0) {
            final Map<String, String> done = new LinkedHashMap<>();
            done.put(SuspendControl.OUTCOME, "resumed");
            done.put(SuspendControl.SUSPENDED_NS, Long.toString(currentSuspendedNs));
            done.put(SuspendControl.WOKEN_NS, Long.toString(ns));
            done.put(SuspendControl.WOKEN_BY, by);
            done.put(SuspendControl.STATUS, statusBeforeWake);
            result(r.seq(), SuspendControl.format(done));
        }
        wakeSent = false;
    }

    // ------------------------------------------------------------------ requests

    private void controlLoop() {
        // qemu drops the connection when the guest side closes the port; connect again until closed.
        while (!closed) {
            final SocketChannel ch = connect(controlSocket);
            if (ch == null) {
                return;
            }
            final LineChannel in = new LineChannel(ch);
            controlChannel = in;
            note("control: connected");
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    final String l = line.trim();
                    if (l.startsWith("figure ")) {
                        synchronized (transcript) {
                            figures.add(l.substring("figure ".length()));
                        }
                    } else if (l.startsWith("req ")) {
                        onRequest(l.substring(4));
                    } else if (!l.isEmpty()) {
                        note("control: ignored '" + l + "'");
                    }
                }
                note("control: qemu closed the port");
            } catch (final IOException | RuntimeException e) {
                if (!closed) {
                    note("control: " + e);
                }
            }
            in.close();
            if (!pause()) {
                return;
            }
        }
    }

    private void onRequest(final String request) {
        final long hostNs = now();
        final String[] w = request.split("\\s+");
        final int seq;
        try {
            seq = Integer.parseInt(w[0]);
        } catch (final NumberFormatException e) {
            note("request without a number: " + request);
            return;
        }
        synchronized (this) {
            final String again = answered.get(seq);
            if (again != null || awaitingResult.containsValue(seq)) {
                note("request " + seq + " repeated" + (again != null ? ": answered again" : ": its answer is pending"));
                if (again != null) {
                    answer(again);
                }
                return;
            }
        }
        note("request " + request);
        final String clock = SuspendControl.HOST_NS + "=" + hostNs;
        if (w.length == 4 && "suspend".equals(w[1]) && ("self".equals(w[2]) || "host".equals(w[2]))) {
            final Request r = new Request(seq, "self".equals(w[2]), Long.parseLong(w[3]));
            synchronized (this) {
                if (pending != null) {
                    noSuspend(pending, "superseded by request " + seq);
                }
                pending = r;
                reply(seq, clock);
            }
            timer.schedule(() -> {
                synchronized (this) {
                    if (pending == r) {
                        pending = null;
                        noSuspend(r, "no suspend within " + SuspendControl.NO_SUSPEND_MILLIS + " ms");
                    }
                }
            }, SuspendControl.NO_SUSPEND_MILLIS, TimeUnit.MILLISECONDS);
        } else if (w.length == 3 && "result".equals(w[1])) {
            final int of = Integer.parseInt(w[2]);
            synchronized (this) {
                final String res = results.get(of);
                if (res != null) {
                    reply(seq, clock + " " + res);
                } else {
                    awaitingResult.put(of, seq);
                }
            }
        } else {
            if (!(w.length == 2 && "sync".equals(w[1]))) {
                note("request " + seq + ": not understood");
            }
            synchronized (this) {
                reply(seq, clock);
            }
        }
    }

    /** Answers request {@code seq} and remembers the answer (lock held). */
    private void reply(final int seq, final String words) {
        final String line = "ack " + seq + " " + words;
        answered.put(seq, line);
        answer(line);
    }

    /** Records what was seen of announced suspend {@code seq}; answers a result request waiting for it (lock held). */
    private void result(final int seq, final String words) {
        results.put(seq, words);
        final Integer req = awaitingResult.remove(seq);
        if (req != null) {
            reply(req, SuspendControl.HOST_NS + "=" + now() + " " + words);
        }
    }

    private void noSuspend(final Request r, final String why) {
        note("request " + r.seq() + ": " + why);
        result(r.seq(), SuspendControl.OUTCOME + "=no-suspend");
    }

    private static long now() {
        final Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private boolean pause() {
        try {
            Thread.sleep(POLL_MILLIS);
            return !closed;
        } catch (final InterruptedException e) {
            return false;
        }
    }

    private static void closeQuietly(final SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (final IOException e) {
                // nothing to do
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        final LineChannel q = qmpChannel;
        final LineChannel c = controlChannel;
        if (q != null) {
            q.close();
        }
        if (c != null) {
            c.close();
        }
        qmpThread.interrupt();
        controlThread.interrupt();
        timer.shutdownNow();
        try {
            qmpThread.join(5000);
            controlThread.join(5000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
