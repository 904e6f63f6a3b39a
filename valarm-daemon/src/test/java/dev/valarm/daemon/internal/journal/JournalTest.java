package dev.valarm.daemon.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.daemon.internal.config.DaemonConfig;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
    @TempDir
    Path dir;

    private static Record.State state(final int minor, final int armed, final long owner, final long fh) {
        return new Record.State(minor, armed, 0x10000, -3_600_000_000_000L, new long[] {1, 2, 3, 4, 5},
                new long[] {0, 0, 10, 0, 0}, owner, fh, 123);
    }

    @Test
    void whatWasAppendedIsReplayedAndFoldedIntoTheState() throws IOException {
        try (Journal j = Journal.start(dir, DaemonConfig.Sync.NONE, "boot-1", new DurableState())) {
            j.append(new Record.Connection(1, false, 38, 45, "/m", 0, 0, false));
            j.append(new Record.Instance("a", 3, true, 1, "alarm", 1000, 1001, 0664, 2, 5, 6, 7, 0), state(3, 0x4, 1, 9));
            j.append(new Record.File(1, 9, 3, true), new Record.Answer(1, 100, new byte[] {1, 2, 3}));
            j.append(new Record.Parked(1, 102, 9, 0x6101));
            j.append(new Record.Parked(1, 104, 9, 0x6101), new Record.Answer(1, 104, new byte[] {4}));
        }
        final Journal.Replay r = Journal.read(dir);
        assertNull(r.problem());
        final DurableState s = r.state();
        assertEquals("boot-1", s.header().bootId());
        assertEquals(1, s.connections().size());
        assertEquals("/m", s.connections().get(1L).path());
        assertEquals(1000, s.instances().get("a").uid());
        assertEquals(0x4, s.state(3).armed());
        assertEquals(-3_600_000_000_000L, s.state(3).wallOffset());
        assertArrayEquals(new long[] {0, 0, 10, 0, 0}, s.state(3).windows());
        assertEquals(9, s.state(3).ownerFh());
        assertEquals(1, s.files().size());
        assertEquals(1, s.parked().size(), "104 was answered: only 102 is blocked");
        assertArrayEquals(new byte[] {1, 2, 3}, s.answer(1, 100).reply());
        assertEquals(2, s.nextConnectionId());
        assertEquals(0, s.cleanPid());
    }

    @Test
    void aTornTailEndsTheReplayAndNothingAfterItCounts() throws IOException {
        try (Journal j = Journal.start(dir, DaemonConfig.Sync.NONE, "b", new DurableState())) {
            j.append(new Record.Instance("a", 0, false, 1, "n", 0, 0, 0600, 0, 0, 0, 0, 0));
            j.append(state(0, 1, -1, 0));
            j.append(state(0, 3, -1, 0));
        }
        final Path f = dir.resolve(Journal.FILE);
        final long len = Files.size(f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(len - 5); // the last frame is torn, as a crash of the machine mid-write would leave it
        }
        Journal.Replay r = Journal.read(dir);
        assertNotNull(r.problem());
        assertEquals(1, r.state().state(0).armed(), "the torn record is ignored; the one before counts");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(len - 20);
            raf.write(0x5a); // a flipped byte inside the last whole frame: its CRC fails
        }
        r = Journal.read(dir);
        assertTrue(r.problem().contains("checksum") || r.problem().contains("torn"), r.problem());
    }

    @Test
    void aCheckpointReplacesTheFileWithTheSameState() throws IOException {
        final DurableState s0;
        try (Journal j = Journal.start(dir, DaemonConfig.Sync.NONE, "b", new DurableState())) {
            j.append(new Record.Instance("a", 0, false, 1, "n", 0, 0, 0600, 0, 0, 0, 0, 0));
            for (long i = 0; i < 200_000 && j.stats().compactions() < 2; i++) {
                j.awaitDurable(j.append(state(0, (int) (i & 31), -1, 0)));
            }
            assertTrue(j.stats().compactions() >= 2, "it compacted: " + j.stats());
            s0 = j.state();
        }
        assertTrue(Files.size(dir.resolve(Journal.FILE)) < Journal.COMPACT_BYTES, "compacted");
        final DurableState s = Journal.read(dir).state();
        assertEquals(s0.state(0).armed(), s.state(0).armed());
        assertEquals(1, s.instances().size());
    }

    @Test
    void withDataSyncEveryAppendIsForcedBeforeAwaitDurableReturns() throws IOException {
        try (Journal j = Journal.start(dir, DaemonConfig.Sync.DATA, "b", new DurableState())) {
            for (int i = 0; i < 50; i++) {
                j.awaitDurable(j.append(state(0, i & 31, -1, 0)));
            }
        }
        assertEquals(17, Journal.read(dir).state().state(0).armed());
    }

    /**
     * Group commit across checkpoints: four threads append and wait for durability while the journal compacts
     * under them. A checkpoint (under the journal lock) once took the force's lock, which a waiting force holds
     * while it takes the journal lock: the four threads deadlocked within seconds (JournalCommitBenchmark,
     * {@code sync = DATA}, 4 threads). On a tmpfs when there is one, so that a force costs nothing.
     */
    @Test
    void groupCommitAcrossCheckpointsNeitherDeadlocksNorLosesAPosition() throws Exception {
        final Path shm = Path.of("/dev/shm");
        final Path where = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "valarm-journal-")
                : dir.resolve("data");
        Files.createDirectories(where);
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4, r -> {
            final Thread t = new Thread(r, "journal-committer");
            t.setDaemon(true);
            return t;
        });
        try (Journal j = Journal.start(where, DaemonConfig.Sync.DATA, "b", new DurableState())) {
            j.append(new Record.Instance("a", 0, false, 1, "n", 0, 0, 0600, 0, 0, 0, 0, 0));
            final java.util.List<java.util.concurrent.Future<Long>> done = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final int minor = t;
                done.add(pool.submit(() -> {
                    long last = 0;
                    for (long i = 0; j.stats().compactions() < 3; i++) {
                        final long pos = j.append(state(minor, (int) (i & 31), -1, 0));
                        assertTrue(pos > last, "positions only grow, across checkpoints too: " + pos + " after " + last);
                        j.awaitDurable(pos);
                        last = pos;
                    }
                    return last;
                }));
            }
            for (final java.util.concurrent.Future<Long> f : done) {
                assertTrue(f.get(120, java.util.concurrent.TimeUnit.SECONDS) > 0, "a committer finished");
            }
            assertTrue(j.stats().compactions() >= 3, "it compacted: " + j.stats());
        } finally {
            pool.shutdownNow();
            try (var files = Files.walk(where)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void aFrozenJournalRefusesAppendsUntilUnfrozenAndRecordsTheCleanStop() throws IOException {
        try (Journal j = Journal.start(dir, DaemonConfig.Sync.NONE, "b", new DurableState())) {
            j.freeze(new Record.Clean(77));
            assertThrows(Journal.JournalException.class, () -> j.append(new Record.Started(1)));
            assertEquals(77, Journal.read(dir).state().cleanPid());
            j.unfreeze();
            j.append(new Record.Started(78));
        }
        assertEquals(0, Journal.read(dir).state().cleanPid(), "a later record means it did not stop there");
    }

    @Test
    void recentAnswersAreBoundedAndAReleasedFileTakesItsBlockedWaitsWithIt() throws IOException {
        try (Journal j = Journal.start(dir, DaemonConfig.Sync.NONE, "b", new DurableState())) {
            for (int i = 0; i < DurableState.RECENT_ANSWERS + 10; i++) {
                j.append(new Record.Answer(1, 2L * i, new byte[] {(byte) i}));
            }
            j.append(new Record.Parked(1, 5000, 9, 0x6101), new Record.FileGone(1, 9));
        }
        final DurableState s = Journal.read(dir).state();
        assertEquals(DurableState.RECENT_ANSWERS, s.recentAnswers().size());
        assertNull(s.answer(1, 0), "the oldest were dropped");
        assertNotNull(s.answer(1, 2L * (DurableState.RECENT_ANSWERS + 9)));
        assertTrue(s.parked().isEmpty());
    }
}
