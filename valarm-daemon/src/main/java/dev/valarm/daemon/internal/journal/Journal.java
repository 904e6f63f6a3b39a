package dev.valarm.daemon.internal.journal;

import dev.valarm.daemon.internal.config.DaemonConfig;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's write-ahead journal: every change a caller is about to be told of is appended here first.
 * A commit is one {@code write(2)} of a batch of records (with {@link DaemonConfig.Sync#DATA} also an
 * {@code fdatasync}, shared by every thread whose records it covers: group commit). A write that returned
 * is in the kernel's page cache, so it survives the death of the process at any instant; the journal exists
 * for exactly that (a machine that reboots discards the state anyway, as the kernel driver's alarms die with
 * it).
 *
 * <p>The file only grows until it is {@link #COMPACT_BYTES} larger than its last checkpoint; then the
 * current state is written to a new file that atomically replaces it ({@code rename(2)}), so a crash at any
 * moment leaves one complete journal.
 *
 * <p>Thread-safety: thread-safe. {@link #lock()} is held while records are made and appended, so the order
 * of records is the order of the changes they describe.
 */
public final class Journal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    /** The journal's file name in the state directory. */
    public static final String FILE = "journal";
    /** Growth since the last checkpoint that triggers a new one. */
    public static final long COMPACT_BYTES = 4L << 20;
    private static final int FRAME_HEADER = 8;
    private static final int MAX_PAYLOAD = 1 << 16;

    // Lock order: syncLock -> lock (awaitDurable reads the channel under lock while it holds syncLock); nothing
    // that holds lock takes syncLock (a checkpoint under lock once did, and deadlocked against a waiting force).
    private final Object lock = new Object();
    private final Object syncLock = new Object();
    private final Path dir;
    private final Path file;
    private final DaemonConfig.Sync sync;
    private final String bootId;
    private final DurableState state;
    private final ByteBuffer batch = ByteBuffer.allocateDirect(256 * 1024).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32 crc = new CRC32();
    private FileChannel channel;
    /** Bytes in the current file (lock). */
    private long written;
    /**
     * The position of the current file's first byte: positions ({@link #append}'s, {@link #synced}) are
     * {@code base + written} and never go back, across checkpoints too (lock).
     */
    private long base;
    /** Everything before this position is on the disk ({@link DaemonConfig.Sync#DATA}); only raised. */
    private final AtomicLong synced = new AtomicLong();
    private long checkpointBytes;
    private boolean frozen;
    private boolean closed;
    private long commits;
    private long appended;
    private long compactions;
    private long commitNanos;

    private Journal(final Path dir, final DaemonConfig.Sync sync, final String bootId, final DurableState state) {
        this.dir = dir;
        this.file = dir.resolve(FILE);
        this.sync = sync;
        this.bootId = bootId;
        this.state = state;
    }

    /** What reading a journal found. */
    public record Replay(DurableState state, long bytes, long frames, String problem) {
    }

    /**
     * Reads the journal in {@code dir}, if any: every intact frame, in order. A torn or corrupt tail ends
     * the replay (it was never acknowledged to anyone: answers follow the write).
     *
     * @param dir the state directory
     * @return the replay, or null if there is no journal
     * @throws IOException if the file cannot be read
     */
    public static Replay read(final Path dir) throws IOException {
        final byte[] all;
        try {
            all = Files.readAllBytes(dir.resolve(FILE));
        } catch (final NoSuchFileException e) {
            return null;
        }
        final ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        final DurableState s = new DurableState();
        final CRC32 c = new CRC32();
        long frames = 0;
        String problem = null;
        while (b.remaining() > 0) {
            final int start = b.position();
            if (b.remaining() < FRAME_HEADER) {
                problem = "a torn frame header at byte " + start;
                break;
            }
            final int len = b.getInt();
            final int want = b.getInt();
            if (len <= 0 || len > MAX_PAYLOAD || len > b.remaining()) {
                problem = "a torn or corrupt frame at byte " + start + " (length " + len + ")";
                break;
            }
            c.reset();
            c.update(all, b.position(), len);
            if ((int) c.getValue() != want) {
                problem = "a frame with a bad checksum at byte " + start;
                break;
            }
            final ByteBuffer p = b.slice(b.position(), len).order(ByteOrder.LITTLE_ENDIAN);
            b.position(b.position() + len);
            final Record r;
            try {
                r = Record.decode(p);
            } catch (final IllegalArgumentException | BufferUnderflowException e) {
                problem = "an unreadable record at byte " + start + ": " + e;
                break;
            }
            if (frames == 0 && !(r instanceof Record.Header)) {
                problem = "no header";
                break;
            }
            s.apply(r);
            frames++;
        }
        return new Replay(s, all.length, frames, problem);
    }

    /**
     * Starts a journal from a state (a fresh start's empty state, or a replayed one): writes a checkpoint of
     * it under a new header into a new file that replaces any old journal, and appends from there.
     *
     * @param dir the state directory
     * @param sync whether commits are forced to the disk
     * @param bootId this boot's id
     * @param state the state to start from (it becomes the journal's)
     * @return the journal
     * @throws IOException if the file cannot be written
     */
    public static Journal start(final Path dir, final DaemonConfig.Sync sync, final String bootId,
            final DurableState state) throws IOException {
        final Journal j = new Journal(dir, sync, bootId, state);
        synchronized (j.lock) {
            j.checkpoint();
        }
        return j;
    }

    /**
     * The lock under which records are made and appended.
     *
     * @return the lock
     */
    public Object lock() {
        return lock;
    }

    /**
     * The state the journal holds now (read it under {@link #lock()}).
     *
     * @return the state
     */
    public DurableState state() {
        return state;
    }

    /**
     * Appends records in one commit and folds them into the state. Call under {@link #lock()} (or not:
     * it takes it); then {@link #awaitDurable} outside the lock with the returned position when
     * {@link DaemonConfig.Sync#DATA} is on.
     *
     * @param records the records
     * @return the journal position after them
     * @throws JournalException if the journal is frozen, closed or cannot be written
     */
    public long append(final Record... records) {
        synchronized (lock) {
            if (frozen || closed) {
                throw new JournalException(closed ? "the journal is closed" : "the journal is frozen (handing over)");
            }
            final long t0 = System.nanoTime();
            batch.clear();
            for (final Record r : records) {
                frame(r);
            }
            batch.flip();
            try {
                while (batch.hasRemaining()) {
                    written += channel.write(batch);
                }
            } catch (final IOException e) {
                throw new JournalException("writing " + file + " failed: " + e, e);
            }
            for (final Record r : records) {
                state.apply(r);
            }
            commits++;
            appended += records.length;
            commitNanos += System.nanoTime() - t0;
            final long end = base + written;
            if (written - checkpointBytes > COMPACT_BYTES) {
                try {
                    checkpoint();
                } catch (final IOException e) {
                    throw new JournalException("compacting " + file + " failed: " + e, e);
                }
            }
            return end;
        }
    }

    /**
     * With {@link DaemonConfig.Sync#DATA}: returns once everything up to {@code position} is on the disk,
     * forcing it if no other thread did (one {@code fdatasync} covers every commit written before it). A
     * no-op with {@link DaemonConfig.Sync#NONE}.
     *
     * @param position a position {@link #append} returned
     * @throws JournalException if the force fails
     */
    public void awaitDurable(final long position) {
        if (sync == DaemonConfig.Sync.NONE || synced.get() >= position) {
            return;
        }
        synchronized (syncLock) {
            if (synced.get() >= position) {
                return;
            }
            final FileChannel ch;
            final long target;
            final long compactionsBefore;
            synchronized (lock) {
                ch = channel;
                target = base + written;
                compactionsBefore = compactions;
            }
            try {
                ch.force(false);
            } catch (final ClosedChannelException e) {
                synchronized (lock) {
                    if (compactions == compactionsBefore || closed) {
                        throw new JournalException("fdatasync of " + file + " failed: "
                                + (closed ? "the journal is closed" : "its channel was closed: " + e), e);
                    }
                }
                // A checkpoint replaced the file meanwhile: it forced the new one, which holds everything written
                // before it (synced says so now).
                return;
            } catch (final IOException e) {
                throw new JournalException("fdatasync of " + file + " failed: " + e, e);
            }
            synced.accumulateAndGet(target, Math::max);
        }
    }

    private void frame(final Record r) {
        final int at = batch.position();
        batch.position(at + FRAME_HEADER);
        batch.put((byte) r.type());
        r.encode(batch);
        final int len = batch.position() - at - FRAME_HEADER;
        batch.putInt(at, len);
        crc.reset();
        final ByteBuffer view = batch.duplicate();
        view.position(at + FRAME_HEADER).limit(at + FRAME_HEADER + len);
        crc.update(view);
        batch.putInt(at + 4, (int) crc.getValue());
    }

    /** Writes the state as a new file and swaps it in. Lock held. */
    private void checkpoint() throws IOException {
        final Path tmp = dir.resolve(FILE + ".new");
        final List<Record> recs = state.records(new Record.Header(Record.Header.VERSION, bootId,
                ProcessHandle.current().pid(), System.currentTimeMillis() * 1_000_000L, state.nextConnectionId()));
        final FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        long n = 0;
        try {
            int i = 0;
            while (i < recs.size()) {
                batch.clear();
                while (i < recs.size() && batch.remaining() > 2 * MAX_PAYLOAD) {
                    frame(recs.get(i++));
                }
                batch.flip();
                while (batch.hasRemaining()) {
                    n += ch.write(batch);
                }
            }
            if (sync == DaemonConfig.Sync.DATA) {
                ch.force(false);
            }
        } catch (final IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (final AtomicMoveNotSupportedException e) {
            ch.close();
            throw new IOException("the state directory " + dir + " cannot rename atomically", e);
        }
        // Not under syncLock (see the lock order): a force running on the old channel meets it closed and
        // finds this checkpoint's count raised, and that everything before it is on the disk.
        final FileChannel old = channel;
        final long end = base + written;
        channel = ch;
        base = end - n;
        written = n;
        if (sync == DaemonConfig.Sync.DATA) {
            synced.accumulateAndGet(end, Math::max);
        }
        if (old != null) {
            old.close();
        }
        checkpointBytes = n;
        compactions++;
        LOG.debug("journal checkpoint: {} records, {} bytes", recs.size(), n);
    }

    /**
     * Appends a last record and refuses every later append (a hand-over: the successor reads the file).
     *
     * @param last the record, or null
     */
    public void freeze(final Record last) {
        synchronized (lock) {
            if (last != null) {
                append(last);
            }
            frozen = true;
        }
    }

    /** Allows appends again (the hand-over did not happen). */
    public void unfreeze() {
        synchronized (lock) {
            frozen = false;
        }
    }

    /**
     * Whether appends are refused.
     *
     * @return true while frozen
     */
    public boolean isFrozen() {
        synchronized (lock) {
            return frozen;
        }
    }

    /** Counters for {@code ctl stats}. */
    public record Stats(long bytes, long commits, long records, long compactions, long commitNanos) {
    }

    /**
     * The journal's counters.
     *
     * @return the counters now
     */
    public Stats stats() {
        synchronized (lock) {
            return new Stats(written, commits, appended, compactions, commitNanos);
        }
    }

    /** Deletes the journal (a full shutdown: nothing is kept). */
    public void delete() {
        synchronized (lock) {
            close();
            try {
                Files.deleteIfExists(file);
            } catch (final IOException e) {
                LOG.warn("could not delete {}: {}", file, e.toString());
            }
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                channel.close();
            } catch (final IOException e) {
                LOG.warn("closing {}: {}", file, e.toString());
            }
        }
    }

    /** The journal cannot take a record: the caller must not be told of the change. */
    public static final class JournalException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        JournalException(final String message) {
            super(message);
        }

        JournalException(final String message, final Throwable cause) {
            super(message, cause);
        }
    }
}
