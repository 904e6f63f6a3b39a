package dev.valarm.daemon.internal.journal;

import dev.valarm.bridge.internal.Connection;
import dev.valarm.bridge.internal.FuseAbi;
import dev.valarm.bridge.internal.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The serving loop's read buffer kept in a shared file mapping ({@code STATE-DIR/inflight}), so that the
 * request a process was serving when it died is still there for its successor: the kernel copies each
 * request straight into the mapping, whose pages outlive the process. A header says which connection was
 * read last and which request was finished last; a request in the buffer that is not finished was read
 * and never answered. On kernels that can re-send such requests ({@code FUSE_NOTIFY_RESEND}) the successor
 * asks the kernel instead; elsewhere it serves this one itself.
 *
 * <p>Layout: {@code [0, 8)} magic and version, {@code [8, 16)} the connection read last, {@code [16, 24)}
 * the id of the request finished last, {@code [64, 64 + Session.READ_BUFFER_SIZE)} the read buffer.
 *
 * <p>Thread-safety: written by the serving loop only.
 */
public final class InFlightFile implements Session.InFlight {
    /** The file's name in the state directory. */
    public static final String FILE = "inflight";
    private static final int HEADER = 64;
    private static final long MAGIC = 0x31464c4656414cL; // "VALFLF1"

    private final MappedByteBuffer map;
    private final ByteBuffer buffer;

    private InFlightFile(final MappedByteBuffer map) {
        this.map = map;
        this.map.order(ByteOrder.LITTLE_ENDIAN);
        this.buffer = map.slice(HEADER, Session.READ_BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Maps the file (creating it).
     *
     * @param dir the state directory
     * @return the mapping
     * @throws IOException if it cannot be mapped
     */
    public static InFlightFile open(final Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            final MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, HEADER + Session.READ_BUFFER_SIZE);
            final InFlightFile f = new InFlightFile(m);
            if (f.map.getLong(0) != MAGIC) {
                f.map.putLong(8, -1L);
                f.map.putLong(16, 0L);
                f.buffer.putInt(FuseAbi.IN_LEN, 0);
                f.map.putLong(0, MAGIC);
            }
            return f;
        }
    }

    @Override
    public ByteBuffer buffer() {
        return buffer;
    }

    @Override
    public void reading(final Connection c) {
        map.putLong(8, c.id());
    }

    @Override
    public void done(final long unique) {
        map.putLong(16, unique);
    }

    /**
     * A request a dead predecessor read and did not finish.
     *
     * @param connection the connection it came from
     * @param unique its id
     * @param opcode its opcode
     */
    public record Unfinished(long connection, long unique, int opcode) {
    }

    /**
     * The request left unfinished, if any.
     *
     * @return it, or null if the last request read was finished (or none was read)
     */
    public Unfinished unfinished() {
        final int len = buffer.getInt(FuseAbi.IN_LEN);
        if (len < FuseAbi.IN_HEADER_SIZE || len > Session.READ_BUFFER_SIZE) {
            return null;
        }
        final long unique = buffer.getLong(FuseAbi.IN_UNIQUE);
        if (unique == 0 || unique == map.getLong(16)) {
            return null;
        }
        return new Unfinished(map.getLong(8), unique, buffer.getInt(FuseAbi.IN_OPCODE));
    }
}
