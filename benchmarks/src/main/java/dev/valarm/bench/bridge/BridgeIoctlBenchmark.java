package dev.valarm.bench.bridge;

import dev.valarm.InstanceConfig;
import dev.valarm.ValarmDevice;
import dev.valarm.bridge.AlarmBridge;
import dev.valarm.bridge.FuseMount;
import dev.valarm.bridge.NodeSpec;
import dev.valarm.impl.Valarm;
import dev.valarm.impl.jdk.JdkHostClocks;
import dev.valarm.impl.jdk.NoWakeRtcBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
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
import org.openjdk.jmh.infra.ThreadParams;

/**
 * One ioctl's round trip through the kernel's FUSE on this host: a client thread (jnr-ffi {@code ioctl(2)} on
 * its own node, as a native program would) against {@code server = bridge} (valarm-bridge serving a real
 * instance in this JVM) and, side by side in the same run, {@code server = libfuse} (the transport's floor: a
 * no-op single-threaded server in C on libfuse 3's low-level API, compiled at setup, answering every ioctl 0
 * at once). Operations: SET then CLEAR of an ELAPSED alarm (two ioctls per op), and GET_TIME (the bridge's
 * EOPNOTSUPP path on FUSE), with 1 and 8 client threads (one file and instance per thread, each thread owns
 * its instance). Needs root, /dev/fuse, gcc and libfuse3-dev (Debian).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar BridgeIoctlBenchmark -prof gc -rf json</pre>
 */
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BridgeIoctlBenchmark {
    /** Files (one per client thread). */
    static final int FILES = 8;
    private static final int O_RDWR = 2;
    /** ANDROID_ALARM_SET(ELAPSED_REALTIME), 64-bit. */
    private static final long SET_ELAPSED = 0x40106132L;
    /** ANDROID_ALARM_CLEAR(ELAPSED_REALTIME). */
    private static final long CLEAR_ELAPSED = 0x6130L;
    /** ANDROID_ALARM_GET_TIME(ELAPSED_REALTIME), 64-bit. */
    private static final long GET_TIME_ELAPSED = 0x40106134L;

    static final ClientLibC LIBC = LibraryLoader.create(ClientLibC.class).failImmediately().load("c");

    /** The server under test, one per trial. */
    @State(Scope.Benchmark)
    public static class Server {
        /** {@code bridge} (valarm-bridge) or {@code libfuse} (the no-op C floor). */
        @Param({"bridge", "libfuse"})
        public String server;

        Path dir;
        private ValarmDevice device;
        private AlarmBridge bridge;
        private Process floor;

        /**
         * Starts the server.
         *
         * @throws Exception if it cannot
         */
        @Setup(Level.Trial)
        public void up() throws Exception {
            dir = Files.createTempDirectory("valarm-bench-fuse-");
            if (server.equals("bridge")) {
                final JdkHostClocks clocks = new JdkHostClocks();
                device = Valarm.builder().hostClocks(clocks).rtcBackend(new NoWakeRtcBackend(clocks)).build();
                bridge = AlarmBridge.builder().threadName("valarm-bridge-bench").shutdownHook(false).build();
                final FuseMount m = bridge.mountFuse(dir);
                for (int i = 0; i < FILES; i++) {
                    m.add(device.createInstance(InstanceConfig.builder().name("bench" + i).build()),
                            NodeSpec.of("alarm" + i).mode(0600));
                }
            } else {
                floor = startFloor(dir);
            }
        }

        /**
         * Stops the server and removes the mount point.
         *
         * @throws Exception if it cannot
         */
        @TearDown(Level.Trial)
        public void down() throws Exception {
            if (bridge != null) {
                bridge.close();
                device.close();
            }
            if (floor != null) {
                floor.destroy(); // SIGTERM: libfuse's handler unmounts
                if (!floor.waitFor(10, TimeUnit.SECONDS)) {
                    floor.destroyForcibly();
                }
                new ProcessBuilder("umount", "-l", dir.toString()).redirectErrorStream(true).start().waitFor();
            }
            Files.deleteIfExists(dir);
        }
    }

    /** One client: its own fd on its own file, and a timespec far in the future. */
    @State(Scope.Thread)
    public static class Client {
        int fd = -1;
        Pointer ts;

        /**
         * Opens the thread's file.
         *
         * @param s the server
         * @param t the thread's index
         */
        @Setup(Level.Trial)
        public void open(final Server s, final ThreadParams t) {
            final String node = s.dir.resolve("alarm" + t.getThreadIndex() % FILES).toString();
            fd = LIBC.open(node, O_RDWR);
            if (fd < 0) {
                throw new IllegalStateException("cannot open " + node);
            }
            ts = Memory.allocateDirect(Runtime.getRuntime(LIBC), 16, true);
            ts.putLong(0, 4_000_000_000L); // far in the future on the ELAPSED clock
            ts.putLong(8, 0);
        }

        /** Closes the fd. */
        @TearDown(Level.Trial)
        public void close() {
            LIBC.close(fd);
        }
    }

    private static int setClear(final Client c) {
        return LIBC.ioctl(c.fd, SET_ELAPSED, c.ts) + LIBC.ioctl(c.fd, CLEAR_ELAPSED, null);
    }

    /**
     * SET then CLEAR of an ELAPSED alarm, one client thread.
     *
     * @param c the client
     * @return the results' sum (0 when both succeed)
     */
    @Benchmark
    @Threads(1)
    public int setClear_1thread(final Client c) {
        return setClear(c);
    }

    /**
     * SET then CLEAR of an ELAPSED alarm, eight client threads.
     *
     * @param c the client
     * @return the results' sum
     */
    @Benchmark
    @Threads(8)
    public int setClear_8threads(final Client c) {
        return setClear(c);
    }

    /**
     * GET_TIME (on FUSE: the bridge's EOPNOTSUPP answer), one client thread.
     *
     * @param c the client
     * @return the ioctl's result
     */
    @Benchmark
    @Threads(1)
    public int getTime_1thread(final Client c) {
        return LIBC.ioctl(c.fd, GET_TIME_ELAPSED, c.ts);
    }

    /**
     * GET_TIME, eight client threads.
     *
     * @param c the client
     * @return the ioctl's result
     */
    @Benchmark
    @Threads(8)
    public int getTime_8threads(final Client c) {
        return LIBC.ioctl(c.fd, GET_TIME_ELAPSED, c.ts);
    }

    /** Compiles and starts the C floor server on {@code dir}; returns once it serves. */
    static Process startFloor(final Path dir) throws IOException, InterruptedException {
        final Path work = Files.createTempDirectory("valarm-bench-floor-");
        final Path src = work.resolve("fuse_floor.c");
        try (InputStream in = BridgeIoctlBenchmark.class.getResourceAsStream("fuse_floor.c")) {
            Files.write(src, in.readAllBytes());
        }
        final Path bin = work.resolve("fuse_floor");
        final Process pc = new ProcessBuilder("sh", "-c", "gcc -O2 -o " + bin + " " + src
                + " $(pkg-config --cflags --libs fuse3)").redirectErrorStream(true).start();
        final String log = new String(pc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!pc.waitFor(120, TimeUnit.SECONDS) || pc.exitValue() != 0) {
            throw new IllegalStateException("compiling the libfuse floor failed (apt-get install libfuse3-dev):\n" + log);
        }
        final List<String> cmd = new ArrayList<>(List.of(bin.toString(), dir.toString(), Integer.toString(FILES)));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        final String first = r.readLine();
        if (!"SERVING".equals(first)) {
            p.destroyForcibly();
            throw new IllegalStateException("the libfuse floor did not start: " + first);
        }
        return p;
    }
}
