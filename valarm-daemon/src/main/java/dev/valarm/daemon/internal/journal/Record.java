package dev.valarm.daemon.internal.journal;

import dev.valarm.AlarmType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One journal record: a fact about the daemon's durable state, encoded in a few dozen bytes. Replaying the
 * records of a journal in order rebuilds {@link DurableState}; a checkpoint is the records of the current
 * state.
 *
 * <p>Frame: {@code u32 length, u32 CRC-32 of the payload, payload}; payload: {@code u8 type} then the
 * fields, little-endian; strings are {@code u16 length} + UTF-8. A frame whose CRC does not match (a write
 * torn by a crash of the machine, never by a crash of the process) ends the journal.
 *
 * <p>Thread-safety: records are immutable.
 */
public sealed interface Record {
    /** No connection (an instance without an owner). */
    long NONE = -1L;

    /**
     * The record's type byte.
     *
     * @return the type
     */
    int type();

    /**
     * Writes the fields after the type byte.
     *
     * @param b the buffer, positioned
     */
    void encode(ByteBuffer b);

    /**
     * The first record of every journal file.
     *
     * @param version the format version
     * @param bootId the kernel's boot id when it was written ({@code /proc/sys/kernel/random/boot_id})
     * @param pid the writing process
     * @param createdRealtime when, host wall clock, ns
     * @param nextConnectionId the next connection id to hand out
     */
    record Header(int version, String bootId, long pid, long createdRealtime, long nextConnectionId) implements Record {
        /** The current format version. */
        public static final int VERSION = 1;
        static final int MAGIC = 0x4a4c4156; // "VALJ"

        @Override
        public int type() {
            return 1;
        }

        @Override
        public void encode(final ByteBuffer b) {
            b.putInt(MAGIC).putShort((short) version);
            str(b, bootId);
            b.putLong(pid).putLong(createdRealtime).putLong(nextConnectionId);
        }
    }

    /**
     * A kernel connection the daemon serves: a FUSE mount or a CUSE device.
     *
     * @param id the daemon's id for it (the keeper holds its fd under this id)
     * @param cuse true for CUSE
     * @param protocolMinor the negotiated protocol minor
     * @param kernelMinor the minor the kernel offered
     * @param path the mount directory, or the CUSE node
     * @param major the CUSE device's major (0 for FUSE)
     * @param minor the CUSE device's minor
     * @param madeNode whether the daemon made the CUSE node itself (no devtmpfs)
     */
    record Connection(long id, boolean cuse, int protocolMinor, int kernelMinor, String path, int major, int minor,
            boolean madeNode) implements Record {
        @Override
        public int type() {
            return 2;
        }

        @Override
        public void encode(final ByteBuffer b) {
            b.putLong(id).put((byte) (cuse ? 1 : 0)).putShort((short) protocolMinor).putShort((short) kernelMinor);
            str(b, path);
            b.putInt(major).putInt(minor).put((byte) (madeNode ? 1 : 0));
        }
    }

    /**
     * A connection was closed (its node removed or its mount unmounted).
     *
     * @param id the connection
     */
    record ConnectionGone(long id) implements Record {
        @Override
        public int type() {
            return 3;
        }

        @Override
        public void encode(final ByteBuffer b) {
            b.putLong(id);
        }
    }

    /**
     * An instance and how it is served (written when it is created and when its node changes).
     *
     * @param name the name
     * @param minor the minor
     * @param fromConfig whether the config defines it (else a control request created it)
     * @param connection the connection serving it
     * @param node the node's name
     * @param uid the node's owner
     * @param gid the node's group
     * @param mode the node's permission bits
     * @param fuseNodeId the FUSE node id of its file (0 for CUSE)
     * @param boottimeOffset the fixed boot-time offset, ns
     * @param monotonicOffset the fixed monotonic offset, ns
     * @param configWallOffset the wall-clock offset it was created with, ns
     * @param clocksFromPid the process whose time namespace gave its offsets, or 0
     */
    record Instance(String name, int minor, boolean fromConfig, long connection, String node, int uid, int gid, int mode,
            long fuseNodeId, long boottimeOffset, long monotonicOffset, long configWallOffset, long clocksFromPid)
            implements Record {
        @Override
        public int type() {
            return 4;
        }

        @Override
        public void encode(final ByteBuffer b) {
            str(b, name);
            b.putInt(minor).put((byte) (fromConfig ? 1 : 0)).putLong(connection);
            str(b, node);
            b.putInt(uid).putInt(gid).putInt(mode).putLong(fuseNodeId).putLong(boottimeOffset).putLong(monotonicOffset)
                    .putLong(configWallOffset).putLong(clocksFromPid);
        }
    }

    /**
     * An instance was destroyed.
     *
     * @param name the name
     */
    record InstanceGone(String name) implements Record {
        @Override
        public int type() {
            return 5;
        }

        @Override
        public void encode(final ByteBuffer b) {
            str(b, name);
        }
    }

    /**
     * An instance's driver state after a change a caller was told of: armed alarms with their windows,
     * pending events and the time-change bit, the wall-clock offset and the owning open file.
     *
     * @param minor the instance's minor
     * @param armed armed type bits
     * @param pending pending bits (time-change included)
     * @param wallOffset the wall-clock offset, ns
     * @param times per type, the armed time on the instance's clock (0 if not armed)
     * @param windows per type, the tolerance window (0 if not armed)
     * @param ownerConnection the owner's connection, or {@link #NONE}
     * @param ownerFh the owner's file handle
     * @param realtimeMinusBoottime host realtime minus boottime when written (a host clock change since
     *        shows as a different value: the time-change bit is then raised on restore)
     */
    record State(int minor, int armed, int pending, long wallOffset, long[] times, long[] windows, long ownerConnection,
            long ownerFh, long realtimeMinusBoottime) implements Record {
        @Override
        public int type() {
            return 6;
        }

        @Override
        public void encode(final ByteBuffer b) {
            b.putInt(minor).putInt(armed).putInt(pending).putLong(wallOffset);
            for (int t = 0; t < AlarmType.COUNT; t++) {
                b.putLong(times[t]);
            }
            for (int t = 0; t < AlarmType.COUNT; t++) {
                b.putLong(windows[t]);
            }
            b.putLong(ownerConnection).putLong(ownerFh).putLong(realtimeMinusBoottime);
        }
    }

    /**
     * An open file of a connection (the kernel's {@code struct file}).
     *
     * @param connection the connection
     * @param fh the file handle the kernel uses
     * @param minor the instance
     * @param readWrite whether it was opened for writing
     */
    record File(long connection, long fh, int minor, boolean readWrite) implements Record {
        @Override
        public int type() {
            return 7;
        }

        @Override
        public void encode(final ByteBuffer b) {
            b.putLong(connection).putLong(fh).putInt(minor).put((byte) (readWrite ? 1 : 0));
        }
    }

    /**
     * An open file was released.
     *
     * @param connection the connection
     * @param fh the file handle
     */
    record FileGone(long connection, long fh) implements Record {
        @Override
        public int type() {
            return 8;
        }

        @Override
        public void encode(final ByteBuffer b) {
            b.putLong(connection).putLong(fh);
        }
    }

    /**
     * A WAIT a caller is blocked in (answered later by an {@link Answer} with the same id).
     *
     * @param connection the connection
     * @param unique the request id
     * @param fh the file handle
     * @param cmd the request number
     */
    record Parked(long connection, long unique, long fh, int cmd) implements Record {
        @Override
        public int type() {
            return 9;
        }

        @Override
        public void encode(final ByteBuffer b) {
            b.putLong(connection).putLong(unique).putLong(fh).putInt(cmd);
        }
    }

    /**
     * The reply to a request that changed state, about to be written (a successor writes it again if the
     * process died before the kernel took it, and answers a re-sent copy of the request with it).
     *
     * @param connection the connection
     * @param unique the request id
     * @param reply the reply, header included
     */
    record Answer(long connection, long unique, byte[] reply) implements Record {
        @Override
        public int type() {
            return 10;
        }

        @Override
        public void encode(final ByteBuffer b) {
            b.putLong(connection).putLong(unique).putShort((short) reply.length).put(reply);
        }
    }

    /**
     * The process stopped serving at a request boundary (a hand-over to a successor, or a stop that keeps
     * the connections): nothing it read is unfinished, so a successor needs no re-sent requests.
     *
     * @param pid the process
     */
    record Clean(long pid) implements Record {
        @Override
        public int type() {
            return 11;
        }

        @Override
        public void encode(final ByteBuffer b) {
            b.putLong(pid);
        }
    }

    /**
     * A process took the state over (or resumed after a hand-over that did not happen).
     *
     * @param pid the process
     */
    record Started(long pid) implements Record {
        @Override
        public int type() {
            return 12;
        }

        @Override
        public void encode(final ByteBuffer b) {
            b.putLong(pid);
        }
    }

    /**
     * A blocked WAIT that is no longer this id's: the kernel re-sent it under a new id to a successor.
     *
     * @param connection the connection
     * @param unique the old request id
     */
    record Unparked(long connection, long unique) implements Record {
        @Override
        public int type() {
            return 13;
        }

        @Override
        public void encode(final ByteBuffer b) {
            b.putLong(connection).putLong(unique);
        }
    }

    private static void str(final ByteBuffer b, final String s) {
        final byte[] u = s.getBytes(StandardCharsets.UTF_8);
        b.putShort((short) u.length).put(u);
    }

    private static String str(final ByteBuffer b) {
        final int n = Short.toUnsignedInt(b.getShort());
        final byte[] u = new byte[n];
        b.get(u);
        return new String(u, StandardCharsets.UTF_8);
    }

    /**
     * Decodes one payload.
     *
     * @param b the payload (type byte first), little-endian
     * @return the record
     * @throws IllegalArgumentException for an unknown type or a bad header
     * @throws java.nio.BufferUnderflowException if the payload is short
     */
    static Record decode(final ByteBuffer b) {
        final int type = Byte.toUnsignedInt(b.get());
        switch (type) {
            case 1: {
                if (b.getInt() != Header.MAGIC) {
                    throw new IllegalArgumentException("not a valarm journal (bad magic)");
                }
                final int v = Short.toUnsignedInt(b.getShort());
                if (v != Header.VERSION) {
                    throw new IllegalArgumentException("journal format version " + v + " (this daemon reads "
                            + Header.VERSION + ")");
                }
                return new Header(v, str(b), b.getLong(), b.getLong(), b.getLong());
            }
            case 2: {
                final long id = b.getLong();
                final boolean cuse = b.get() != 0;
                final int pm = Short.toUnsignedInt(b.getShort());
                final int km = Short.toUnsignedInt(b.getShort());
                return new Connection(id, cuse, pm, km, str(b), b.getInt(), b.getInt(), b.get() != 0);
            }
            case 3:
                return new ConnectionGone(b.getLong());
            case 4: {
                final String name = str(b);
                final int minor = b.getInt();
                final boolean cfg = b.get() != 0;
                final long conn = b.getLong();
                final String node = str(b);
                return new Instance(name, minor, cfg, conn, node, b.getInt(), b.getInt(), b.getInt(), b.getLong(),
                        b.getLong(), b.getLong(), b.getLong(), b.getLong());
            }
            case 5:
                return new InstanceGone(str(b));
            case 6: {
                final int minor = b.getInt();
                final int armed = b.getInt();
                final int pending = b.getInt();
                final long wall = b.getLong();
                final long[] times = new long[AlarmType.COUNT];
                final long[] windows = new long[AlarmType.COUNT];
                for (int t = 0; t < AlarmType.COUNT; t++) {
                    times[t] = b.getLong();
                }
                for (int t = 0; t < AlarmType.COUNT; t++) {
                    windows[t] = b.getLong();
                }
                return new State(minor, armed, pending, wall, times, windows, b.getLong(), b.getLong(), b.getLong());
            }
            case 7:
                return new File(b.getLong(), b.getLong(), b.getInt(), b.get() != 0);
            case 8:
                return new FileGone(b.getLong(), b.getLong());
            case 9:
                return new Parked(b.getLong(), b.getLong(), b.getLong(), b.getInt());
            case 10: {
                final long conn = b.getLong();
                final long unique = b.getLong();
                final byte[] reply = new byte[Short.toUnsignedInt(b.getShort())];
                b.get(reply);
                return new Answer(conn, unique, reply);
            }
            case 11:
                return new Clean(b.getLong());
            case 12:
                return new Started(b.getLong());
            case 13:
                return new Unparked(b.getLong(), b.getLong());
            default:
                throw new IllegalArgumentException("unknown journal record type " + type);
        }
    }
}
