package dev.valarm.bench.daemon;

import dev.valarm.daemon.internal.config.DaemonConfig;
import dev.valarm.daemon.internal.journal.DurableState;
import dev.valarm.daemon.internal.journal.Journal;
import dev.valarm.daemon.internal.journal.Record;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a durable change costs the valarm daemon: one journal commit of what a SET writes before its reply (the
 * instance's state record and the reply's record), with {@code journal-sync = none} (one {@code write(2)}) and
 * {@code data} (plus {@code fdatasync}, one for every commit written before it: group commit), on a tmpfs
 * ({@code /dev/shm}, where {@code /run/valarm} lives) and on this machine's disk ({@code benchmarks/target}),
 * from 1 thread and from 4 (the serving loop and WAIT completions commit concurrently).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar JournalCommitBenchmark -prof gc -rf json</pre>
 */
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
public class JournalCommitBenchmark {
    /** One journal per trial. */
    @State(Scope.Benchmark)
    public static class J {
        /** {@code NONE} or {@code DATA}. */
        @Param({"NONE", "DATA"})
        public String sync;
        /** {@code tmpfs} or {@code disk}. */
        @Param({"tmpfs", "disk"})
        public String fs;

        Journal journal;
        Path dir;
        final AtomicLong unique = new AtomicLong();

        /**
         * Opens a journal.
         *
         * @throws IOException if it cannot
         */
        @Setup(Level.Trial)
        public void open() throws IOException {
            final Path root = fs.equals("tmpfs") ? Path.of("/dev/shm") : Path.of("target");
            dir = Files.createTempDirectory(root, "valarm-journal-bench-");
            journal = Journal.start(dir, DaemonConfig.Sync.valueOf(sync), "bench", new DurableState());
        }

        /**
         * Removes it.
         *
         * @throws IOException if it cannot
         */
        @TearDown(Level.Trial)
        public void close() throws IOException {
            journal.close();
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Each thread's records (what a SET journals: about 200 bytes). */
    @State(Scope.Thread)
    public static class Change {
        final long[] times = {0, 0, 5_000_000_000L, 0, 0};
        final long[] windows = new long[5];
        final byte[] reply = new byte[32];
    }

    private static long commit(final J j, final Change c) {
        final long u = j.unique.incrementAndGet();
        final long pos = j.journal.append(new Record.State(3, 4, 0, 0, c.times, c.windows, 1, 7, 0),
                new Record.Answer(1, u, c.reply));
        j.journal.awaitDurable(pos);
        return pos;
    }

    /**
     * One commit, one thread.
     *
     * @param j the journal
     * @param c the records
     * @return the position
     */
    @Benchmark
    @Threads(1)
    public long commit1(final J j, final Change c) {
        return commit(j, c);
    }

    /**
     * One commit, four threads at once (group commit with {@code DATA}).
     *
     * @param j the journal
     * @param c the records
     * @return the position
     */
    @Benchmark
    @Threads(4)
    public long commit4(final J j, final Change c) {
        return commit(j, c);
    }
}
