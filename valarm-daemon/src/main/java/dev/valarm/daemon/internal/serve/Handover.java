package dev.valarm.daemon.internal.serve;

import dev.valarm.Errno;
import dev.valarm.bridge.internal.Channels;
import dev.valarm.daemon.internal.journal.Record;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The old process's side of a graceful upgrade, and of a stop that keeps the connections.
 *
 * <ol>
 * <li>{@code ctl upgrade} starts the successor with this process's own command line plus
 * {@code --takeover} (so it runs whatever binary and config are installed now). While the successor's JVM
 * starts, this process keeps serving.</li>
 * <li>The successor asks {@code handover-prepare}: this process refuses further control commands, parks its
 * serving loop at a request boundary (every request read is answered or parked in the request table, with
 * its id on record), stops writing to any connection (WAIT answers due meanwhile are held back), appends a
 * clean-stop record and freezes the journal.</li>
 * <li>The successor rebuilds everything from the journal and the keeper's copies of the connection fds, then
 * asks {@code handover-commit}: this process exits at once; the successor serves, answering the blocked WAITs
 * under their original request ids. If the successor fails or disconnects before the commit, this process
 * takes everything back and serves on, writing the WAIT answers it held back, then every recorded answer
 * again, as a successor does (a WAIT answer recorded before the freeze can have met a connection already
 * relinquished, which dropped it; the kernel ignores the answers it already took).</li>
 * </ol>
 *
 * <p>Thread-safety: thread-safe.
 */
public final class Handover {
    private static final Logger LOG = LoggerFactory.getLogger(Handover.class);
    /** How long {@code ctl upgrade} waits for the successor to commit. */
    private static final long UPGRADE_TIMEOUT_SECONDS = 120;

    private final Daemon d;
    private final Object lock = new Object();
    private boolean prepared;
    private boolean stopped;
    private final CompletableFuture<Long> committed = new CompletableFuture<>();
    private final CountDownLatch upgradeReplied = new CountDownLatch(1);
    private volatile boolean upgradeWaiting;
    private volatile long successorPid;
    private final java.util.concurrent.atomic.AtomicBoolean exiting = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * The hand-over of a daemon.
     *
     * @param d the daemon
     */
    public Handover(final Daemon d) {
        this.d = d;
    }

    /**
     * A successor asks this process to stop at a request boundary and freeze its journal.
     *
     * @param successor the successor's pid
     * @return the reply fields (this process's pid)
     * @throws Daemon.CommandException (EBUSY) if a hand-over or a stop is already under way
     */
    public Map<String, Object> prepare(final long successor) {
        synchronized (lock) {
            if (prepared || stopped) {
                throw new Daemon.CommandException(Errno.EBUSY, "handover-prepare: " + (stopped ? "the daemon is stopping"
                        : "a hand-over to pid " + successorPid + " is already under way"));
            }
            synchronized (d.lock) {
                d.refuse("handing over to pid " + successor);
                d.session.relinquishAll();
                d.journal.freeze(new Record.Clean(ProcessHandle.current().pid()));
            }
            prepared = true;
            successorPid = successor;
        }
        LOG.info("handing over to pid {}: serving loop parked at a request boundary, {} blocked WAIT(s) on record, journal "
                + "frozen", successor, d.waits.size());
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", ProcessHandle.current().pid());
        return m;
    }

    /**
     * The successor has everything: this process must exit now (run {@link #exitAfterCommit} once the reply
     * is written).
     *
     * @throws Daemon.CommandException (EINVAL) if no hand-over was prepared
     */
    public void commit() {
        synchronized (lock) {
            if (!prepared) {
                throw new Daemon.CommandException(Errno.EINVAL, "handover-commit: no hand-over was prepared");
            }
            d.hook.dropHeld();
        }
        committed.complete(successorPid);
    }

    /**
     * Ends the process after a commit, once the successor has the commit's reply (this runs after it is
     * written) and a pending {@code ctl upgrade} has its own (waited for at most 2 s).
     */
    public void exitAfterCommit() {
        if (!exiting.compareAndSet(false, true)) {
            return;
        }
        if (upgradeWaiting) {
            try {
                upgradeReplied.await(2, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info("handed over to pid {}; exiting", successorPid);
        System.err.flush();
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    /**
     * The successor failed (or its connection ended) before the commit: take everything back.
     *
     * @param why the successor's reason, for the log
     */
    public void abort(final String why) {
        synchronized (lock) {
            if (!prepared || committed.isDone()) {
                return;
            }
            final int rewritten;
            synchronized (d.lock) {
                d.journal.unfreeze();
                d.journal.append(new Record.Started(ProcessHandle.current().pid()));
                d.hook.releaseHeld();
                d.session.unrelinquishAll();
                rewritten = writeRecordedAnswersAgain();
                d.session.resume();
                d.refuse(null);
            }
            prepared = false;
            // Under the lock: a second abort (ctl upgrade's, see there) returns only once this one is logged.
            LOG.warn("the hand-over to pid {} did not happen ({}); serving on ({} recorded answer(s) the kernel had "
                    + "not taken written again)", successorPid, why, rewritten);
        }
    }

    /**
     * During a take-back, once the connections take writes again and while the loop is still parked (so every
     * answer of a request the loop read is already written, and the loop writes nothing meanwhile): writes
     * every recorded answer of every connection again and returns how many the kernel took. A WAIT completing
     * while the hand-over was prepared records its answer while the journal is not frozen yet, and its write
     * can then meet the connection already relinquished, which drops it (the successor would have written it
     * from the journal): without this its caller would stay blocked for ever. An answer recorded after the
     * unfreeze and dropped before the connections took writes again is in the journal by now too. The kernel
     * refuses (ENOENT) the answers it already took, as on a successor's start; a WAIT answer being written
     * right now is the same bytes. Daemon lock held.
     */
    private int writeRecordedAnswersAgain() {
        final List<Record.Answer> recorded;
        synchronized (d.journal.lock()) {
            recorded = d.journal.state().recentAnswers();
        }
        int took = 0;
        for (final ServedConnection sc : d.connections.values()) {
            if (sc.connection.isClosing()) {
                continue;
            }
            for (final Record.Answer a : recorded) {
                if (a.connection() == sc.id() && Channels.writeRecorded(sc.connection.fd(), a.reply()) == 0) {
                    took++;
                    LOG.info("{}: request {} answered from the journal (its answer was dropped while the connection "
                            + "was handed over)", sc, Long.toUnsignedString(a.unique()));
                }
            }
        }
        return took;
    }

    /**
     * {@code ctl upgrade}: starts a successor and waits until it has taken over.
     *
     * @return the reply fields (old and new pid)
     * @throws Daemon.CommandException if the successor cannot start or fails before the commit
     */
    public Map<String, Object> upgrade() {
        final List<String> argv = commandLine();
        if (!argv.contains("--takeover")) {
            argv.add("--takeover");
        }
        LOG.info("upgrade: starting the successor: {}", String.join(" ", argv));
        final Process p;
        try {
            p = new ProcessBuilder(argv).inheritIO().start();
        } catch (final IOException e) {
            throw new Daemon.CommandException(Errno.ENOENT, "upgrade: cannot start " + argv.get(0) + ": " + e.getMessage());
        }
        upgradeWaiting = true;
        try {
            final CompletableFuture<Object> exited = p.onExit().thenApply(x -> (Object) x);
            final Object first = CompletableFuture.anyOf(committed, exited).get(UPGRADE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!committed.isDone()) {
                final int status = ((Process) first).exitValue();
                // The take-back is done (by this call or by the successor's closed control connection) before
                // the caller is told that this daemon serves on.
                abort("the new daemon (pid " + p.pid() + ") exited with status " + status + " before the commit");
                throw new Daemon.CommandException(Errno.EIO, "upgrade: the new daemon (pid " + p.pid() + ") exited with status "
                        + status + " before taking over; this daemon serves on (see its log above)");
            }
        } catch (final TimeoutException e) {
            p.destroyForcibly();
            throw new Daemon.CommandException(Errno.ETIMEDOUT, "upgrade: the new daemon did not take over within "
                    + UPGRADE_TIMEOUT_SECONDS + " s; stopped it, this daemon serves on");
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Daemon.CommandException(Errno.EINTR, "upgrade: interrupted");
        } catch (final ExecutionException e) {
            throw new Daemon.CommandException(Errno.EIO, "upgrade: " + e.getCause());
        } finally {
            if (!committed.isDone()) {
                upgradeWaiting = false;
            }
        }
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("old_pid", ProcessHandle.current().pid());
        m.put("new_pid", committed.getNow(-1L));
        return m;
    }

    /**
     * After the upgrade's reply is written. (The process ends from the commit's side only, once the successor
     * has its reply: see {@link #exitAfterCommit}.)
     */
    public void upgradeReplied() {
        upgradeReplied.countDown();
    }

    /** This process's argv, from {@code /proc/self/cmdline}. */
    private static List<String> commandLine() {
        try {
            final String raw = new String(Files.readAllBytes(Path.of("/proc/self/cmdline")), StandardCharsets.UTF_8);
            final List<String> out = new ArrayList<>();
            for (final String a : raw.split("\0")) {
                if (!a.isEmpty()) {
                    out.add(a);
                }
            }
            return out;
        } catch (final IOException e) {
            throw new Daemon.CommandException(Errno.EIO, "upgrade: cannot read /proc/self/cmdline: " + e);
        }
    }

    /**
     * A stop that keeps the connections (SIGTERM with a keeper): the loop parks at a request boundary, the
     * journal gets a clean-stop record; blocked callers wait in the kernel for the next start.
     *
     * @return false if a hand-over or a stop was already under way
     */
    public boolean stopKeepingConnections() {
        synchronized (lock) {
            if (prepared || stopped) {
                return false;
            }
            stopped = true;
            synchronized (d.lock) {
                d.refuse("the daemon is stopping");
                d.session.relinquishAll();
                d.journal.freeze(new Record.Clean(ProcessHandle.current().pid()));
            }
        }
        LOG.info("stopped at a request boundary; the keeper holds {} connection(s) and {} caller(s) stay blocked in "
                + "WAIT until the next start", d.connections.size(), d.waits.size());
        return true;
    }

    /**
     * Marks the daemon as stopped for good (a shutdown), so no later hand-over or stop runs.
     *
     * @return false if something else already runs
     */
    public boolean markShutdown() {
        synchronized (lock) {
            if (prepared || stopped) {
                return false;
            }
            stopped = true;
            return true;
        }
    }
}
