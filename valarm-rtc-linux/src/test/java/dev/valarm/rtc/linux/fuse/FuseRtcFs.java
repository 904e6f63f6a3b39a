package dev.valarm.rtc.linux.fuse;

import dev.valarm.Errno;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.FusePollhandle;

/**
 * A FUSE file system with one file, {@value #FILE_NAME}, that behaves like {@code /dev/rtcN} for the
 * {@link EmulatedRtcChip} behind it.
 *
 * <p>FUSE facts it relies on (libfuse 2.9, high-level API, through jnr-fuse):
 * <ul>
 *   <li>ioctls arrive in FUSE's restricted mode: the kernel copies {@code _IOC_SIZE(cmd)} bytes in for
 *       {@code _IOW} and out for {@code _IOR}, exactly as the real driver's copy_from/to_user; {@code data}
 *       is that buffer.</li>
 *   <li>open sets {@code direct_io} and {@code nonseekable} (the bit-field int at byte 20 of
 *       {@code struct fuse_file_info}; jnr-fuse maps those bits only as padding) so reads reach us with the
 *       caller's size instead of going through the page cache.</li>
 *   <li>read may block in its handler (libfuse's multi-threaded loop serves other requests meanwhile);
 *       {@code O_NONBLOCK} shows in {@code fi->flags}.</li>
 *   <li>{@code RTC_PARAM_GET} cannot be emulated: the kernel declares it {@code _IOW} although the driver
 *       writes the answer back, and FUSE's restricted mode copies data out only for {@code _IOR}. The
 *       emulator answers ENOTTY, as a kernel before 5.16 does, so clients take their "features unknown"
 *       path.</li>
 *   <li>poll keeps the newest poll handle and wakes the kernel through {@code fuse_notify_poll} when the
 *       alarm fires.</li>
 *   <li>FUSE sends RELEASE asynchronously after close() returns, but FLUSH synchronously; the exclusive
 *       open is therefore dropped at flush, so an open-ioctl-close followed at once by another open does
 *       not see a spurious EBUSY. (Unlike the kernel, closing one of several dup'ed descriptors frees it.)</li>
 * </ul>
 *
 * <p>Thread-safety: thread-safe; FUSE calls it from several native threads.
 */
public final class FuseRtcFs extends FuseStubFS {
    /** The name of the emulated device file under the mount point. */
    public static final String FILE_NAME = "rtc";

    private static final Logger LOG = LoggerFactory.getLogger(FuseRtcFs.class);
    private static final String FILE_PATH = "/" + FILE_NAME;
    private static final int O_NONBLOCK = 04000;
    private static final int POLLIN_RDNORM = 0x0001 | 0x0040;
    private static final int FI_BITS_OFFSET = 20;
    private static final int DIRECT_IO = 1;
    private static final int NONSEEKABLE = 1 << 3;

    private final EmulatedRtcChip chip;
    private final CompletableFuture<Void> initialized = new CompletableFuture<>();
    private final AtomicReference<FusePollhandle> pollHandle = new AtomicReference<>();
    private final Semaphore pollRegistrations = new Semaphore(0);

    /**
     * Creates the file system; loads libfuse (libfuse.so.2).
     *
     * @param chip the chip to serve, not null
     */
    public FuseRtcFs(final EmulatedRtcChip chip) {
        this.chip = Objects.requireNonNull(chip, "chip");
        chip.addIrqListener(this::notifyPoll);
    }

    /**
     * Completes when the kernel connection is up (FUSE_INIT).
     *
     * @return the future
     */
    CompletableFuture<Void> initialized() {
        return initialized;
    }

    /**
     * Released once for every poll that left a handle for a later notification (a poller now waits).
     *
     * @return the semaphore
     */
    public Semaphore pollRegistrations() {
        return pollRegistrations;
    }

    /** Tells jnr-fuse that the file system is gone so its own shutdown hook does nothing. */
    void markUnmounted() {
        mounted.set(false);
    }

    @Override
    public Pointer init(final Pointer conn) {
        initialized.complete(null);
        return null;
    }

    @Override
    public int getattr(final String path, final FileStat stat) {
        if ("/".equals(path)) {
            stat.st_mode.set(FileStat.S_IFDIR | 0755);
            stat.st_nlink.set(2);
            return 0;
        }
        if (FILE_PATH.equals(path)) {
            stat.st_mode.set(FileStat.S_IFREG | 0600);
            stat.st_nlink.set(1);
            stat.st_size.set(0);
            return 0;
        }
        return -Errno.ENOENT;
    }

    @Override
    public int readdir(final String path, final Pointer buf, final FuseFillDir filter, @off_t final long offset,
            final FuseFileInfo fi) {
        if (!"/".equals(path)) {
            return -Errno.ENOENT;
        }
        filter.apply(buf, ".", null, 0);
        filter.apply(buf, "..", null, 0);
        filter.apply(buf, FILE_NAME, null, 0);
        return 0;
    }

    @Override
    public int open(final String path, final FuseFileInfo fi) {
        if (!FILE_PATH.equals(path)) {
            return -Errno.ENOENT;
        }
        final long handle = chip.open();
        if (handle < 0) {
            return (int) handle;
        }
        fi.fh.set(handle);
        final Pointer raw = Struct.getMemory(fi);
        raw.putInt(FI_BITS_OFFSET, raw.getInt(FI_BITS_OFFSET) | DIRECT_IO | NONSEEKABLE);
        return 0;
    }

    @Override
    public int flush(final String path, final FuseFileInfo fi) {
        chip.release(fi.fh.get());
        return 0;
    }

    @Override
    public int release(final String path, final FuseFileInfo fi) {
        chip.release(fi.fh.get());
        return 0;
    }

    @Override
    public int read(final String path, final Pointer buf, @size_t final long size, @off_t final long offset,
            final FuseFileInfo fi) {
        if (size != 4 && size < 8) {
            return -Errno.EINVAL;
        }
        final long data;
        if ((fi.flags.get() & O_NONBLOCK) != 0) {
            data = chip.takeIrq();
            if (data == 0) {
                return -Errno.EAGAIN;
            }
        } else {
            data = chip.awaitIrq();
            if (data < 0) {
                return (int) data;
            }
        }
        if (size == 4) {
            buf.putInt(0, (int) data);
            return 4;
        }
        buf.putLong(0, data);
        return 8;
    }

    @Override
    public int write(final String path, final Pointer buf, @size_t final long size, @off_t final long offset,
            final FuseFileInfo fi) {
        return -Errno.EINVAL;
    }

    @Override
    public int ioctl(final String path, final int cmd, final Pointer arg, final FuseFileInfo fi, final long flags,
            final Pointer data) {
        switch (cmd) {
            case RtcAbi.RTC_RD_TIME:
                RtcAbi.putTm(data, 0, chip.readTime());
                return 0;
            case RtcAbi.RTC_SET_TIME:
                if (getContext().uid.get() != 0) {
                    return -Errno.EACCES; // CAP_SYS_TIME missing: the kernel answers EACCES, not EPERM
                }
                return chip.setTime(RtcAbi.getTm(data, 0));
            case RtcAbi.RTC_WKALM_SET:
                return chip.setWakeAlarm(data.getByte(0) != 0, RtcAbi.getTm(data, RtcAbi.WKALRM_TIME_OFFSET));
            case RtcAbi.RTC_WKALM_RD: {
                final EmulatedRtcChip.AlarmSlot slot = chip.readWakeAlarm();
                data.putInt(0, slot.enabled() ? 1 : 0); // enabled, pending 0, padding 0
                RtcAbi.putTm(data, RtcAbi.WKALRM_TIME_OFFSET, RtcAbi.secondsToTm(slot.seconds()));
                return 0;
            }
            default:
                return -Errno.ENOTTY;
        }
    }

    @Override
    public int poll(final String path, final FuseFileInfo fi, final FusePollhandle ph, final Pointer reventsp) {
        if (ph != null && Struct.getMemory(ph) != null && Struct.getMemory(ph).address() != 0) {
            final FusePollhandle old = pollHandle.getAndSet(ph);
            if (old != null) {
                libFuse.fuse_pollhandle_destroy(old);
            }
            pollRegistrations.release();
        }
        reventsp.putInt(0, chip.irqPending() ? POLLIN_RDNORM : 0);
        return 0;
    }

    private void notifyPoll() {
        final FusePollhandle ph = pollHandle.getAndSet(null);
        if (ph != null) {
            final int rc = libFuse.fuse_notify_poll(ph);
            if (rc != 0 && rc != -Errno.ENOENT) {
                LOG.warn("fuse_notify_poll failed: {}", rc);
            }
            libFuse.fuse_pollhandle_destroy(ph);
        }
    }

    @Override
    protected String getFSName() {
        return "valarm-rtc-emu";
    }
}
