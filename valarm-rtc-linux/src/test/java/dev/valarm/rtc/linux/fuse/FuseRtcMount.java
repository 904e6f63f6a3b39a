package dev.valarm.rtc.linux.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts an {@link EmulatedRtcChip} through {@link FuseRtcFs} on a fresh directory under the temp dir, and
 * bind-mounts the emulated file over other paths for tools that want a {@code /dev} path. Closing (or the JVM
 * shutting down) unmounts everything; mounting first clears stale mounts that killed test JVMs left behind
 * ("Transport endpoint is not connected"). Needs root, {@code /dev/fuse} and libfuse2 ({@link #unavailableReason}).
 *
 * <p>Thread-safety: thread-safe.
 */
public final class FuseRtcMount implements AutoCloseable {
    /** Prefix of the mount directories. */
    static final String DIR_PREFIX = "valarm-rtc-fuse-";
    /** Prefix of the files bind-mounted under /dev. */
    static final String DEV_PREFIX = "valarm-rtc-emu-";

    private static final Logger LOG = LoggerFactory.getLogger(FuseRtcMount.class);
    private static final AtomicInteger BIND_COUNTER = new AtomicInteger();
    private static final long MOUNT_TIMEOUT_SECONDS = 30;

    private final EmulatedRtcChip chip;
    private final FuseRtcFs fs;
    private final Path mountPoint;
    private final Thread fuseThread;
    private final Deque<Path> binds = new ConcurrentLinkedDeque<>();
    private final Thread shutdownHook;
    private boolean closed;

    private FuseRtcMount(final EmulatedRtcChip chip, final FuseRtcFs fs, final Path mountPoint,
            final Thread fuseThread) {
        this.chip = chip;
        this.fs = fs;
        this.mountPoint = mountPoint;
        this.fuseThread = fuseThread;
        this.shutdownHook = new Thread(this::unmountAll, "fuse-rtc-unmount");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Why the emulator cannot run here, or null if it can: not Linux, not root, no {@code /dev/fuse}, no
     * libfuse2, no {@code mount}/{@code umount}.
     *
     * @return the reason, or null
     */
    public static String unavailableReason() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return "the FUSE RTC emulator needs Linux";
        }
        if (!isRoot()) {
            return "the FUSE RTC emulator needs root (mounting FUSE without fusermount, bind mounts)";
        }
        if (!Files.isReadable(Paths.get("/dev/fuse")) || !Files.isWritable(Paths.get("/dev/fuse"))) {
            return "no usable /dev/fuse";
        }
        if (!Files.isExecutable(Paths.get("/usr/bin/mount")) && !Files.isExecutable(Paths.get("/bin/mount"))) {
            return "no mount(8)";
        }
        try (EmulatedRtcChip probe = new EmulatedRtcChip(new ManualTimeSource(java.time.Instant.EPOCH),
                java.time.Duration.ZERO, EmulatedRtcChip.MC146818_MAX_ALARM)) {
            new FuseRtcFs(probe).markUnmounted();
        } catch (final Throwable e) { // jnr-ffi reports a missing library as an Error
            return "libfuse2 cannot be loaded (apt-get install -y libfuse2): " + e;
        }
        return null;
    }

    /**
     * Whether this process runs as root.
     *
     * @return true for uid 0
     */
    public static boolean isRoot() {
        try {
            for (final String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return "0".equals(line.split("\\s+")[1]);
                }
            }
        } catch (final IOException e) {
            return false;
        }
        return false;
    }

    /**
     * Mounts the chip (which the mount then owns and closes).
     *
     * @param chip the chip, not null
     * @return the mount
     * @throws IOException if mounting fails or times out
     */
    public static FuseRtcMount mount(final EmulatedRtcChip chip) throws IOException {
        Objects.requireNonNull(chip, "chip");
        clearStaleMounts();
        final Path dir = Files.createTempDirectory(DIR_PREFIX);
        final FuseRtcFs fs = new FuseRtcFs(chip);
        final CompletableFuture<Void> exited = new CompletableFuture<>();
        final Thread thread = new Thread(() -> {
            try {
                fs.mount(dir, true, false, new String[0]);
                exited.complete(null);
            } catch (final Throwable t) {
                exited.completeExceptionally(t);
            }
        }, "fuse-rtc-main");
        thread.setDaemon(true);
        thread.start();
        try {
            CompletableFuture.anyOf(fs.initialized(), exited).get(MOUNT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            umountQuietly(dir);
            throw new IOException("interrupted while mounting " + dir, e);
        } catch (final ExecutionException | TimeoutException e) {
            umountQuietly(dir);
            throw new IOException("mounting the FUSE RTC emulator on " + dir + " failed", e);
        }
        if (!fs.initialized().isDone()) {
            throw new IOException("the FUSE RTC emulator on " + dir + " exited before FUSE_INIT");
        }
        final FuseRtcMount mount = new FuseRtcMount(chip, fs, dir, thread);
        LOG.info("FUSE RTC emulator mounted at {}", mount.device());
        return mount;
    }

    /**
     * The emulated device file.
     *
     * @return its path
     */
    public Path device() {
        return mountPoint.resolve(FuseRtcFs.FILE_NAME);
    }

    /**
     * The file system serving the file.
     *
     * @return the file system
     */
    public FuseRtcFs fs() {
        return fs;
    }

    /**
     * The chip behind the file.
     *
     * @return the chip
     */
    public EmulatedRtcChip chip() {
        return chip;
    }

    /**
     * Bind-mounts the emulated file over a new file {@code /dev/valarm-rtc-emu-PID-N} for tools that accept
     * only {@code /dev} paths; unmounted and removed on {@link #close()}.
     *
     * @return the /dev path
     * @throws IOException if the bind mount fails
     */
    public Path bindUnderDev() throws IOException {
        final Path target = Paths.get("/dev", DEV_PREFIX + ProcessHandle.current().pid() + "-"
            + BIND_COUNTER.incrementAndGet());
        Files.deleteIfExists(target);
        Files.createFile(target);
        binds.push(target);
        run(List.of("mount", "--bind", device().toString(), target.toString()));
        return target;
    }

    /** Unmounts the bind mounts and the file system, waits for the FUSE loop to end, removes the directory. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        unmountAll();
        try {
            fuseThread.join(TimeUnit.SECONDS.toMillis(MOUNT_TIMEOUT_SECONDS));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (fuseThread.isAlive()) {
            LOG.warn("the FUSE loop for {} did not end", mountPoint);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (final IllegalStateException e) {
            // shutting down already
        }
    }

    private void unmountAll() {
        chip.close(); // wakes blocked readers so that nothing keeps the mount busy
        Path bind;
        while ((bind = binds.poll()) != null) {
            umountQuietly(bind);
            try {
                Files.deleteIfExists(bind);
            } catch (final IOException e) {
                LOG.warn("cannot remove {}: {}", bind, e.toString());
            }
        }
        umountQuietly(mountPoint);
        fs.markUnmounted();
        try {
            Files.deleteIfExists(mountPoint);
        } catch (final IOException e) {
            LOG.warn("cannot remove {}: {}", mountPoint, e.toString());
        }
    }

    /**
     * Unmounts the FUSE RTC mounts and bind mounts whose server is gone (any process), and removes
     * /dev/valarm-rtc-emu-* files of dead processes. Live mounts of other test JVMs are left alone.
     */
    public static void clearStaleMounts() {
        for (final String mp : mountPoints()) {
            final Path path = Paths.get(mp);
            final String name = path.getFileName() == null ? "" : path.getFileName().toString();
            if (!name.startsWith(DIR_PREFIX) && !name.startsWith(DEV_PREFIX)) {
                continue;
            }
            if (isStale(path)) {
                LOG.warn("clearing stale FUSE RTC mount {}", path);
                umountQuietly(path);
                if (name.startsWith(DIR_PREFIX)) {
                    try {
                        Files.deleteIfExists(path); // only if empty
                    } catch (final IOException e) {
                        LOG.warn("cannot remove {}: {}", path, e.toString());
                    }
                }
            }
        }
        try (var files = Files.list(Paths.get("/dev"))) {
            for (final Path p : (Iterable<Path>) files::iterator) {
                final String name = p.getFileName().toString();
                if (name.startsWith(DEV_PREFIX) && !mountPoints().contains(p.toString())) {
                    final String[] parts = name.substring(DEV_PREFIX.length()).split("-");
                    final long pid = Long.parseLong(parts[0]);
                    if (ProcessHandle.of(pid).isEmpty()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (final IOException | NumberFormatException e) {
            LOG.warn("cannot tidy /dev: {}", e.toString());
        }
    }

    private static boolean isStale(final Path path) {
        try {
            Files.readAttributes(path, "unix:mode");
            return false;
        } catch (final IOException e) {
            return String.valueOf(e.getMessage()).contains("not connected") || e.toString().contains("not connected");
        }
    }

    private static List<String> mountPoints() {
        final List<String> result = new ArrayList<>();
        try {
            for (final String line : Files.readAllLines(Paths.get("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                final String[] f = line.split(" ");
                if (f.length > 4) {
                    result.add(unescape(f[4]));
                }
            }
        } catch (final IOException e) {
            LOG.warn("cannot read /proc/self/mountinfo: {}", e.toString());
        }
        return result;
    }

    private static String unescape(final String s) {
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static void umountQuietly(final Path path) {
        if (!mountPoints().contains(path.toString())) {
            return;
        }
        try {
            run(List.of("umount", path.toString()));
        } catch (final IOException e) {
            LOG.warn("umount {} failed ({}); detaching it lazily", path, e.getMessage());
            try {
                run(List.of("umount", "-l", path.toString()));
            } catch (final IOException e2) {
                LOG.error("cannot unmount {}: {}", path, e2.getMessage());
            }
        }
    }

    private static void run(final List<String> command) throws IOException {
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(MOUNT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command + " timed out");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(command + " interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(command + " exited with " + p.exitValue() + ": " + out);
        }
    }
}
