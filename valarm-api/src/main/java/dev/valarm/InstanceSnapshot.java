package dev.valarm;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * An immutable description of one {@link ValarmInstance} at one moment, that can be restored on
 * another device (another process, another host, another boot) with
 * {@link ValarmDevice#restore(InstanceSnapshot, RestoreOptions)}: the way an instance moves.
 *
 * <p>A snapshot holds everything of the instance's driver state that outlives its owner's open file:
 * <ul>
 * <li>its minor number and name;</li>
 * <li>its three clock views at the moment of the snapshot (instance realtime, boottime and monotonic
 * time) and its wall-clock offset (instance realtime minus host realtime);</li>
 * <li>its armed alarms, one per armed type: the absolute time on the instance's own clock of that type
 * and the tolerance window (exactly what the owner passed to SET; zero for an exact alarm);</li>
 * <li>its pending events (fired types not yet collected by a WAIT, and the sticky time-change bit) and
 * whether a WAIT result was handed out and not yet acknowledged by the next WAIT.</li>
 * </ul>
 * Open handles, ownership, waiters and the suspend blocker are not part of it: a restored instance has no
 * owner, and its first owner's first WAIT returns the pending events.
 *
 * <h2>Time translation on restore</h2>
 * With {@code S} the snapshot's clock values and {@code H} the target host's clocks at restore:
 * <ul>
 * <li>ELAPSED (boottime) and SYSTEMTIME (monotonic): the instance clock continues from the value it had
 * at the snapshot, {@code boottimeOffset = S.boottime - H.boottime} and likewise for monotonic, fixed for
 * the new instance's life (what CRIU does with Linux time namespaces). These clocks never go backwards
 * and the time between snapshot and restore does not count on them, so armed ELAPSED and SYSTEMTIME
 * alarms keep their remaining time.</li>
 * <li>RTC (wall clock), by default ({@link RestoreOptions.WallClock#FOLLOW_HOST}): the wall-clock offset
 * is kept, {@code instance realtime = H.realtime + S.wallClockOffset}, so wall-clock time keeps flowing
 * with real time across the move and RTC-type alarms keep their wall-clock time (one that passed meanwhile
 * fires at once). Because the wall clock then moved against the frozen elapsed clock, the restored
 * instance gets the time-change event whenever its wall clock differs from the snapshot's value, as
 * after a SET_RTC. With {@link RestoreOptions.WallClock#CONTINUE} the wall clock instead continues from
 * its snapshot value like the other two clocks, and no time-change event is added.</li>
 * </ul>
 *
 * <h2>Binary format, version 2</h2>
 * {@link #toBytes()} writes, and {@link #fromBytes(byte[])} reads, this layout; all integers are
 * big-endian, times are signed 64-bit nanoseconds:
 * <pre>
 * offset  size  field
 *  0      4     magic: the ASCII bytes "VALS" (0x56 0x41 0x4C 0x53)
 *  4      2     format version, unsigned (2)
 *  6      4     total length in bytes, checksum included, unsigned (142 + n)
 * 10      2     flags: bit 0 = a WAIT result is outstanding; bits 1-15 are zero
 * 12      4     minor, in [0, 2^20)
 * 16      8     instance realtime (wall clock), nanoseconds since the epoch
 * 24      8     instance boottime, nanoseconds
 * 32      8     instance monotonic time, nanoseconds
 * 40      8     wall-clock offset: instance realtime minus host realtime, nanoseconds
 * 48      4     armed mask: bit t set when alarm type t is armed (bits 0-4 only)
 * 52      4     pending mask: fired type bits (0-4) and the time-change bit (16)
 * 56      40    five alarm times, types 0 to 4 in order, on the instance clock of the type;
 *               zero for a type that is not armed
 * 96      40    five tolerance windows, types 0 to 4, nanoseconds, not negative;
 *               zero for an exact alarm and for a type that is not armed
 * 136     2     n, the length of the name in bytes, 1 to 256
 * 138     n     the name, UTF-8 (1 to 64 UTF-16 characters, no control characters)
 * 138+n   4     CRC-32 (ISO-HDLC / IEEE 802.3, as java.util.zip.CRC32) of bytes 0 to 137+n
 * </pre>
 * Version 1 (written before tolerance windows existed) is still read: it is the same layout without the
 * windows field (the name length at offset 96, the name at 98, total length 102 + n), and its alarms are
 * exact. Every version keeps the magic, the version and the length at the same offsets and ends with the
 * same checksum over everything before it, so a reader can always tell a corrupt snapshot
 * ({@link Errno#EBADMSG}) from an intact one of a newer version ({@link Errno#EOPNOTSUPP}). Java
 * serialization is never used.
 *
 * <p>Thread-safety: immutable; the builder is not thread-safe.
 */
public final class InstanceSnapshot {
    /** The format version this class writes and the newest it reads. */
    public static final int FORMAT_VERSION = 2;

    /** The magic number at offset 0: the ASCII bytes {@code "VALS"}. */
    public static final int MAGIC = 0x56414C53;

    /** The longest encoded name, in bytes. */
    public static final int MAX_NAME_BYTES = 256;

    private static final int HEADER = 10; // magic, version, length
    private static final int FIXED_V1 = 98;  // everything before the name, version 1
    private static final int FIXED = 138;    // everything before the name, version 2
    private static final int CRC_BYTES = 4;
    private static final int FLAG_WAIT_OUTSTANDING = 1;
    private static final int MINOR_LIMIT = InstanceConfig.Builder.MINOR_LIMIT;

    private final int minor;
    private final String name;
    private final long realtime;
    private final long boottime;
    private final long monotonic;
    private final long wallClockOffset;
    private final int armedMask;
    private final long[] alarms;
    private final long[] windows;
    private final int pendingMask;
    private final boolean waitOutstanding;

    private InstanceSnapshot(final int minor, final String name, final long realtime, final long boottime,
            final long monotonic, final long wallClockOffset, final int armedMask, final long[] alarms,
            final long[] windows, final int pendingMask, final boolean waitOutstanding) {
        this.minor = minor;
        this.name = name;
        this.realtime = realtime;
        this.boottime = boottime;
        this.monotonic = monotonic;
        this.wallClockOffset = wallClockOffset;
        this.armedMask = armedMask;
        this.alarms = alarms;
        this.windows = windows;
        this.pendingMask = pendingMask;
        this.waitOutstanding = waitOutstanding;
    }

    /**
     * A new builder. Implementations use it to take snapshots; callers may use it to describe an instance
     * to restore (for example in tests).
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The instance's minor number.
     *
     * @return a minor in [0, 2^20)
     */
    public int minor() {
        return minor;
    }

    /**
     * The instance's name.
     *
     * @return the name, never null
     */
    public String name() {
        return name;
    }

    /**
     * The instance's wall clock (realtime) at the snapshot.
     *
     * @return the time since the epoch
     */
    public Timespec realtime() {
        return Timespec.ofNanos(realtime);
    }

    /**
     * The instance's boot-time clock (the ELAPSED types' clock) at the snapshot.
     *
     * @return the time
     */
    public Timespec boottime() {
        return Timespec.ofNanos(boottime);
    }

    /**
     * The instance's monotonic clock (the SYSTEMTIME type's clock) at the snapshot.
     *
     * @return the time
     */
    public Timespec monotonic() {
        return Timespec.ofNanos(monotonic);
    }

    /**
     * The instance's clock on a base at the snapshot.
     *
     * @param base the base, not null
     * @return {@link #realtime()}, {@link #boottime()} or {@link #monotonic()}
     */
    public Timespec clock(final ClockBase base) {
        Objects.requireNonNull(base, "base");
        switch (base) {
            case REALTIME:
                return realtime();
            case BOOTTIME:
                return boottime();
            default:
                return monotonic();
        }
    }

    /**
     * The instance's clock of an alarm type at the snapshot (what GET_TIME returned).
     *
     * @param type the type, not null
     * @return the time on that type's clock
     */
    public Timespec now(final AlarmType type) {
        Objects.requireNonNull(type, "type");
        return clock(type.clockBase());
    }

    /**
     * The wall-clock offset at the snapshot: instance realtime minus the source host's realtime.
     *
     * @return the offset
     */
    public Duration wallClockOffset() {
        return Duration.ofNanos(wallClockOffset);
    }

    /**
     * The armed alarm types.
     *
     * @return a new mutable set
     */
    public Set<AlarmType> armedTypes() {
        final Set<AlarmType> set = EnumSet.noneOf(AlarmType.class);
        for (final AlarmType t : AlarmType.values()) {
            if ((armedMask & t.mask()) != 0) {
                set.add(t);
            }
        }
        return set;
    }

    /**
     * The armed types as a bit mask.
     *
     * @return bit {@code t} set when type {@code t} is armed
     */
    public int armedMask() {
        return armedMask;
    }

    /**
     * The armed alarm of a type.
     *
     * @param type the type, not null
     * @return the absolute time on the instance's clock of that type, or empty if the type is not armed
     */
    public Optional<Timespec> alarm(final AlarmType type) {
        Objects.requireNonNull(type, "type");
        if ((armedMask & type.mask()) == 0) {
            return Optional.empty();
        }
        return Optional.of(Timespec.ofNanos(alarms[type.number()]));
    }

    /**
     * The tolerance window of an armed alarm (see {@link AlarmHandle#set(AlarmType, Timespec, Duration)}):
     * it may fire anywhere in {@code [alarm, alarm + window]}.
     *
     * @param type the type, not null
     * @return the window, {@link Duration#ZERO} for an exact alarm, or empty if the type is not armed
     */
    public Optional<Duration> window(final AlarmType type) {
        Objects.requireNonNull(type, "type");
        if ((armedMask & type.mask()) == 0) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofNanos(windows[type.number()]));
    }

    /**
     * The remaining time of an armed alarm at the snapshot: its time (the start of its window) minus the
     * instance's clock of its type. After a restore the ELAPSED and SYSTEMTIME alarms (and, under
     * {@link RestoreOptions.WallClock#CONTINUE}, the RTC ones) fire after exactly this much more time.
     *
     * @param type the type, not null
     * @return the remaining time (negative if overdue), or empty if the type is not armed
     */
    public Optional<Duration> remaining(final AlarmType type) {
        return alarm(type).map(t -> t.toDuration().minus(now(type).toDuration()));
    }

    /**
     * The pending events: fired types not yet collected by a WAIT, plus the time-change bit.
     *
     * @return the events, {@link AlarmEvents#NONE} if nothing is pending
     */
    public AlarmEvents pendingEvents() {
        return AlarmEvents.of(pendingMask);
    }

    /**
     * Whether a WAIT had returned events that the owner had not yet acknowledged with its next WAIT (the
     * driver's {@code wait_pending}). Recorded for completeness; a restored instance starts without an
     * owner, so this is reset on restore.
     *
     * @return true if a WAIT result was outstanding
     */
    public boolean waitResultOutstanding() {
        return waitOutstanding;
    }

    /**
     * Encodes this snapshot in the current format ({@link #FORMAT_VERSION}); see the class documentation.
     *
     * @return a new array of 143 to 398 bytes
     */
    public byte[] toBytes() {
        final byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        final int length = FIXED + nameBytes.length + CRC_BYTES;
        final ByteBuffer b = ByteBuffer.allocate(length);
        b.putInt(MAGIC);
        b.putShort((short) FORMAT_VERSION);
        b.putInt(length);
        b.putShort((short) (waitOutstanding ? FLAG_WAIT_OUTSTANDING : 0));
        b.putInt(minor);
        b.putLong(realtime);
        b.putLong(boottime);
        b.putLong(monotonic);
        b.putLong(wallClockOffset);
        b.putInt(armedMask);
        b.putInt(pendingMask);
        for (int t = 0; t < AlarmType.COUNT; t++) {
            b.putLong(alarms[t]);
        }
        for (int t = 0; t < AlarmType.COUNT; t++) {
            b.putLong(windows[t]);
        }
        b.putShort((short) nameBytes.length);
        b.put(nameBytes);
        b.putInt(crc(b.array(), length - CRC_BYTES));
        return b.array();
    }

    /**
     * Decodes and validates a snapshot written by {@link #toBytes()} of this or an earlier format version
     * (version 1 snapshots have exact alarms).
     * Every check runs before anything is returned; invalid input never yields a snapshot.
     *
     * @param bytes the encoded snapshot, not null; not modified or kept
     * @return the snapshot
     * @throws InvalidSnapshotException with {@link Errno#EBADMSG} if the bytes are truncated, too long,
     *         have a bad magic or a checksum mismatch or a malformed name, {@link Errno#EOPNOTSUPP} if they
     *         are an intact snapshot of a newer format version, {@link Errno#EINVAL} if a field is invalid
     */
    public static InstanceSnapshot fromBytes(final byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length < HEADER + CRC_BYTES) {
            throw bad("truncated: " + bytes.length + " bytes, at least " + (HEADER + CRC_BYTES) + " needed");
        }
        final ByteBuffer b = ByteBuffer.wrap(bytes);
        final int magic = b.getInt(0);
        if (magic != MAGIC) {
            throw bad("bad magic 0x" + Integer.toHexString(magic) + ", expected 0x" + Integer.toHexString(MAGIC));
        }
        final int version = Short.toUnsignedInt(b.getShort(4));
        final long length = Integer.toUnsignedLong(b.getInt(6));
        if (length != bytes.length) {
            throw bad((length > bytes.length ? "truncated" : "trailing bytes") + ": header says " + length
                    + " bytes, got " + bytes.length);
        }
        final int stored = b.getInt(bytes.length - CRC_BYTES);
        final int computed = crc(bytes, bytes.length - CRC_BYTES);
        if (stored != computed) {
            throw bad("checksum mismatch: stored 0x" + Integer.toHexString(stored) + ", computed 0x"
                    + Integer.toHexString(computed));
        }
        if (version == 0) {
            throw bad("format version 0 does not exist");
        }
        if (version > FORMAT_VERSION) {
            throw new InvalidSnapshotException(Errno.EOPNOTSUPP, "format version " + version
                    + " is newer than the newest this library reads (" + FORMAT_VERSION + ")");
        }
        return decode(b, version);
    }

    /** Decodes version 1 or 2 (the same layout but for the windows). */
    private static InstanceSnapshot decode(final ByteBuffer b, final int version) {
        final int total = b.capacity();
        final int fixed = version == 1 ? FIXED_V1 : FIXED;
        if (total < fixed + 1 + CRC_BYTES) {
            throw bad("truncated: " + total + " bytes, a version " + version + " snapshot has at least "
                    + (fixed + 1 + CRC_BYTES));
        }
        final int nameLength = Short.toUnsignedInt(b.getShort(fixed - 2));
        if (fixed + nameLength + CRC_BYTES != total) {
            throw bad("name length " + nameLength + " does not match the total length " + total);
        }
        b.position(10);
        final int flags = Short.toUnsignedInt(b.getShort());
        final int minor = b.getInt();
        final long realtime = b.getLong();
        final long boottime = b.getLong();
        final long monotonic = b.getLong();
        final long wallClockOffset = b.getLong();
        final int armedMask = b.getInt();
        final int pendingMask = b.getInt();
        final long[] alarms = new long[AlarmType.COUNT];
        for (int t = 0; t < AlarmType.COUNT; t++) {
            alarms[t] = b.getLong();
        }
        final long[] windows = new long[AlarmType.COUNT];
        if (version >= 2) {
            for (int t = 0; t < AlarmType.COUNT; t++) {
                windows[t] = b.getLong();
            }
        }
        b.getShort();
        final String name;
        try {
            name = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(b.slice(b.position(), nameLength)).toString();
        } catch (final CharacterCodingException e) {
            throw bad("name is not valid UTF-8: " + e);
        }
        if ((flags & ~FLAG_WAIT_OUTSTANDING) != 0) {
            throw invalid("reserved flag bits set: 0x" + Integer.toHexString(flags));
        }
        final String problem = check(minor, name, armedMask, alarms, windows, pendingMask);
        if (problem != null) {
            throw invalid(problem);
        }
        return new InstanceSnapshot(minor, name, realtime, boottime, monotonic, wallClockOffset, armedMask,
                alarms, windows, pendingMask, (flags & FLAG_WAIT_OUTSTANDING) != 0);
    }

    /** The problem with these fields, or null. */
    private static String check(final int minor, final String name, final int armedMask, final long[] alarms,
            final long[] windows, final int pendingMask) {
        if (minor < 0 || minor >= MINOR_LIMIT) {
            return "minor must be in [0, " + MINOR_LIMIT + "): " + minor;
        }
        if (name == null) {
            return "name is missing";
        }
        final String nameProblem = InstanceNames.problem(name);
        if (nameProblem != null) {
            return nameProblem;
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            return "name is longer than " + MAX_NAME_BYTES + " bytes in UTF-8: \"" + name + "\"";
        }
        if ((armedMask & ~AlarmType.ALL_TYPES_MASK) != 0) {
            return "armed mask has bits outside 0x1f: 0x" + Integer.toHexString(armedMask);
        }
        for (int t = 0; t < AlarmType.COUNT; t++) {
            if ((armedMask & (1 << t)) == 0 && alarms[t] != 0) {
                return "type " + AlarmType.of(t) + " is not armed but has a time: " + Timespec.ofNanos(alarms[t]);
            }
            if (windows[t] < 0) {
                return "type " + AlarmType.of(t) + " has a negative window: " + TimeFormat.duration(Duration.ofNanos(windows[t]));
            }
            if ((armedMask & (1 << t)) == 0 && windows[t] != 0) {
                return "type " + AlarmType.of(t) + " is not armed but has a window: "
                        + TimeFormat.duration(Duration.ofNanos(windows[t]));
            }
        }
        if ((pendingMask & ~AlarmEvents.VALID_MASK) != 0) {
            return "pending mask has bits outside 0x1001f: 0x" + Integer.toHexString(pendingMask);
        }
        return null;
    }

    private static InvalidSnapshotException bad(final String message) {
        return new InvalidSnapshotException(Errno.EBADMSG, "corrupt instance snapshot: " + message);
    }

    private static InvalidSnapshotException invalid(final String message) {
        return new InvalidSnapshotException(Errno.EINVAL, "invalid instance snapshot: " + message);
    }

    private static int crc(final byte[] bytes, final int length) {
        final CRC32 crc = new CRC32();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }

    @Override
    public boolean equals(final Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof InstanceSnapshot)) {
            return false;
        }
        final InstanceSnapshot s = (InstanceSnapshot) o;
        return minor == s.minor && name.equals(s.name) && realtime == s.realtime && boottime == s.boottime
                && monotonic == s.monotonic && wallClockOffset == s.wallClockOffset && armedMask == s.armedMask
                && Arrays.equals(alarms, s.alarms) && Arrays.equals(windows, s.windows) && pendingMask == s.pendingMask
                && waitOutstanding == s.waitOutstanding;
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(minor, name, realtime, boottime, monotonic, wallClockOffset, armedMask, pendingMask,
                waitOutstanding);
        h = 31 * h + Arrays.hashCode(alarms);
        h = 31 * h + Arrays.hashCode(windows);
        return h;
    }

    @Override
    public String toString() {
        final StringBuilder sb = new StringBuilder(160).append("InstanceSnapshot[minor=").append(minor)
                .append(", name=").append(name)
                .append(", realtime=").append(TimeFormat.instant(realtime()))
                .append(", boottime=").append(TimeFormat.duration(boottime()))
                .append(", monotonic=").append(TimeFormat.duration(monotonic()))
                .append(", wallClockOffset=").append(TimeFormat.duration(wallClockOffset()));
        for (final AlarmType t : AlarmType.values()) {
            if ((armedMask & t.mask()) != 0) {
                final Timespec at = Timespec.ofNanos(alarms[t.number()]);
                sb.append(", ").append(t).append('=')
                        .append(t.clockBase() == ClockBase.REALTIME ? TimeFormat.instant(at) : TimeFormat.duration(at));
                if (windows[t.number()] != 0) {
                    sb.append(" + window ").append(TimeFormat.duration(Duration.ofNanos(windows[t.number()])));
                }
            }
        }
        return sb.append(", pending=").append(pendingEvents())
                .append(waitOutstanding ? ", wait result outstanding" : "").append(']').toString();
    }

    /**
     * Builds an {@link InstanceSnapshot}. Minor, name and the three clocks are required; the wall-clock
     * offset defaults to zero, no alarm is armed and nothing is pending. Times must fit in 64-bit
     * nanoseconds (about the years 1677 to 2262 for wall-clock times). Not thread-safe.
     */
    public static final class Builder {
        private int minor = -1;
        private String name;
        private Long realtime;
        private Long boottime;
        private Long monotonic;
        private long wallClockOffset;
        private int armedMask;
        private final long[] alarms = new long[AlarmType.COUNT];
        private final long[] windows = new long[AlarmType.COUNT];
        private int pendingMask;
        private boolean waitOutstanding;

        private Builder() {
        }

        /**
         * The minor number.
         *
         * @param minor in [0, 2^20)
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder minor(final int minor) {
            if (minor < 0 || minor >= MINOR_LIMIT) {
                throw new IllegalArgumentException("minor must be in [0, " + MINOR_LIMIT + "): " + minor);
            }
            this.minor = minor;
            return this;
        }

        /**
         * The name.
         *
         * @param name 1 to 64 characters without control characters or lone surrogates (the rule of
         *        {@link InstanceConfig.Builder#name}), not null
         * @return this builder
         * @throws IllegalArgumentException if the name is invalid
         */
        public Builder name(final String name) {
            Objects.requireNonNull(name, "name");
            final String problem = check(0, name, 0, new long[AlarmType.COUNT], new long[AlarmType.COUNT], 0);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
            this.name = name;
            return this;
        }

        /**
         * The instance's three clocks at the snapshot.
         *
         * @param realtime the instance's wall clock, not null
         * @param boottime the instance's boot-time clock, not null
         * @param monotonic the instance's monotonic clock, not null
         * @return this builder
         * @throws IllegalArgumentException if a time does not fit in 64-bit nanoseconds
         */
        public Builder clocks(final Timespec realtime, final Timespec boottime, final Timespec monotonic) {
            final long rt = exactNanos(realtime, "realtime");
            final long bt = exactNanos(boottime, "boottime");
            final long mono = exactNanos(monotonic, "monotonic");
            this.realtime = rt;
            this.boottime = bt;
            this.monotonic = mono;
            return this;
        }

        /**
         * The wall-clock offset: instance realtime minus the source host's realtime.
         *
         * @param offset the offset, not null
         * @return this builder
         * @throws IllegalArgumentException if it does not fit in 64-bit nanoseconds
         */
        public Builder wallClockOffset(final Duration offset) {
            this.wallClockOffset = exactNanos(Timespec.of(Objects.requireNonNull(offset, "offset")), "wallClockOffset");
            return this;
        }

        /**
         * Arms one alarm type exactly, or disarms it.
         *
         * @param type the type, not null
         * @param time the absolute time on the instance's clock of that type, or null to disarm
         * @return this builder
         * @throws IllegalArgumentException if the time does not fit in 64-bit nanoseconds
         */
        public Builder alarm(final AlarmType type, final Timespec time) {
            return alarm(type, time, Duration.ZERO);
        }

        /**
         * Arms one alarm type with a tolerance window, or disarms it.
         *
         * @param type the type, not null
         * @param time the start of the window on the instance's clock of that type, or null to disarm
         * @param window how long after {@code time} the alarm may fire, not null, not negative; ignored when
         *        disarming
         * @return this builder
         * @throws IllegalArgumentException if the time or window does not fit in 64-bit nanoseconds, or the
         *         window is negative
         */
        public Builder alarm(final AlarmType type, final Timespec time, final Duration window) {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(window, "window");
            if (time == null) {
                armedMask &= ~type.mask();
                alarms[type.number()] = 0;
                windows[type.number()] = 0;
                return this;
            }
            if (window.isNegative()) {
                throw new IllegalArgumentException("window must not be negative: " + TimeFormat.duration(window));
            }
            final long w = exactNanos(Timespec.of(window), "window " + type);
            alarms[type.number()] = exactNanos(time, "alarm " + type);
            windows[type.number()] = w;
            armedMask |= type.mask();
            return this;
        }

        /**
         * The pending events.
         *
         * @param events the events, not null
         * @return this builder
         */
        public Builder pendingEvents(final AlarmEvents events) {
            this.pendingMask = Objects.requireNonNull(events, "events").mask();
            return this;
        }

        /**
         * Whether a WAIT result is outstanding (see {@link InstanceSnapshot#waitResultOutstanding()}).
         *
         * @param outstanding whether it is
         * @return this builder
         */
        public Builder waitResultOutstanding(final boolean outstanding) {
            this.waitOutstanding = outstanding;
            return this;
        }

        /**
         * Builds the snapshot.
         *
         * @return an immutable snapshot
         * @throws IllegalStateException if the minor, the name or the clocks are missing
         */
        public InstanceSnapshot build() {
            if (minor < 0) {
                throw new IllegalStateException("minor must be set");
            }
            if (name == null) {
                throw new IllegalStateException("name must be set");
            }
            if (realtime == null) {
                throw new IllegalStateException("clocks must be set");
            }
            return new InstanceSnapshot(minor, name, realtime, boottime, monotonic, wallClockOffset, armedMask,
                    alarms.clone(), windows.clone(), pendingMask, waitOutstanding);
        }

        private static long exactNanos(final Timespec t, final String what) {
            Objects.requireNonNull(t, what);
            final long n = t.toNanos();
            if (!t.equals(Timespec.ofNanos(n))) { // saturated: the exact value does not fit
                throw new IllegalArgumentException(what + " does not fit in 64-bit nanoseconds: " + t);
            }
            return n;
        }
    }
}
