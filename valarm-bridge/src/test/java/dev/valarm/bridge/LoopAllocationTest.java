package dev.valarm.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.ValarmDevice;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The serving loop allocates nothing per request on the hot paths: measured on the loop thread itself
 * ({@code ThreadMXBean.getThreadAllocatedBytes}) while a client issues ioctls through the kernel's FUSE.
 * GET_TIME's EOPNOTSUPP path must allocate nothing; SET+CLEAR may allocate only what the handle's API needs
 * (the {@code Timespec} of SET, unless the JIT scalar-replaces it).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoopAllocationTest {
    /** The client's calls. */
    public interface Client {
        /**
         * open(2).
         *
         * @param path path
         * @param flags flags
         * @return fd
         */
        int open(String path, int flags);

        /**
         * ioctl(2).
         *
         * @param fd fd
         * @param req request
         * @param arg argument
         * @return result
         */
        int ioctl(int fd, long req, Pointer arg);

        /**
         * close(2).
         *
         * @param fd fd
         * @return 0
         */
        int close(int fd);
    }

    private static final int WARMUP = 30_000;
    private static final int MEASURED = 20_000;

    @Test
    void hotPathsAllocateNothingPerRequest() throws Exception {
        Tier.requireHostFuse();
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final Client libc = LibraryLoader.create(Client.class).failImmediately().load("c");
        final Pointer ts = Memory.allocateDirect(Runtime.getRuntime(libc), 16, true);
        ts.putLong(0, 4_000_000_000L);
        try (ValarmDevice device = Devices.linux();
             AlarmBridge bridge = AlarmBridge.builder().threadName("bridge-alloc").shutdownHook(false).build()) {
            final Path dir = Devices.mountPoint("alloc");
            bridge.mountFuse(dir, device.createInstance(), NodeSpec.of("alarm"));
            final int fd = libc.open(dir.resolve("alarm").toString(), 2);
            assertTrue(fd >= 0);
            final long loop = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("bridge-alloc")).findFirst().orElseThrow().getId();
            for (int i = 0; i < WARMUP; i++) {
                assertEquals(-1, libc.ioctl(fd, 0x40106134L, ts)); // GET_TIME: EOPNOTSUPP on FUSE
                assertEquals(0, libc.ioctl(fd, 0x40106132L, ts)); // SET(ELAPSED_REALTIME)
                assertEquals(0, libc.ioctl(fd, 0x6130L, null)); // CLEAR(ELAPSED_REALTIME)
            }
            long before = mx.getThreadAllocatedBytes(loop);
            for (int i = 0; i < MEASURED; i++) {
                libc.ioctl(fd, 0x40106134L, ts);
            }
            final double getTime = (mx.getThreadAllocatedBytes(loop) - before) / (double) MEASURED;
            before = mx.getThreadAllocatedBytes(loop);
            for (int i = 0; i < MEASURED; i++) {
                libc.ioctl(fd, 0x40106132L, ts);
                libc.ioctl(fd, 0x6130L, null);
            }
            final double setClear = (mx.getThreadAllocatedBytes(loop) - before) / (double) MEASURED;
            libc.close(fd);
            System.out.printf("[alloc] serving loop: GET_TIME (EOPNOTSUPP) %.2f B/request, SET+CLEAR %.2f B/pair%n",
                    getTime, setClear);
            assertTrue(getTime < 1.0, "GET_TIME's path allocates " + getTime + " B per request");
            assertTrue(setClear <= 48.0, "SET+CLEAR allocates " + setClear + " B per pair (the Timespec at most)");
        }
    }
}
