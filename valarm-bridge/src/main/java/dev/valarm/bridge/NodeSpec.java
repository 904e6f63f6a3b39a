package dev.valarm.bridge;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a served node is called and who may open it: its name (the CUSE {@code DEVNAME}, so
 * {@code "alarm"} gives {@code /dev/alarm}; or the file's name in a FUSE mount), its owner and group ids,
 * and its permission bits. The kernel enforces the bits (FUSE mounts use {@code default_permissions}), so
 * a container's processes reach only the node handed to them, and read-only openers get GET_TIME only.
 *
 * <p>The default is {@code root:root 0600}; Android's own node is {@code 0664 system radio}
 * ({@code NodeSpec.of("alarm").owner(1000, 1001).mode(0664)}).
 *
 * <p>Thread-safety: immutable.
 */
public final class NodeSpec {
    /** Names: 1 to 64 of {@code [A-Za-z0-9._+-]}, not {@code .} or {@code ..}. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._+-]{1,64}");

    private final String name;
    private final int uid;
    private final int gid;
    private final int mode;

    private NodeSpec(final String name, final int uid, final int gid, final int mode) {
        this.name = name;
        this.uid = uid;
        this.gid = gid;
        this.mode = mode;
    }

    /**
     * A node named {@code name}, owned by root, mode {@code 0600}.
     *
     * @param name 1 to 64 characters of {@code [A-Za-z0-9._+-]}, not {@code "."} or {@code ".."}
     * @return the spec
     * @throws IllegalArgumentException if the name is not allowed
     */
    public static NodeSpec of(final String name) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("node name must be 1 to 64 of [A-Za-z0-9._+-], not . or ..: \""
                    + name + "\"");
        }
        return new NodeSpec(name, 0, 0, 0600);
    }

    /**
     * The same node with another owner and group.
     *
     * @param uid the owner's uid, not negative
     * @param gid the group's gid, not negative
     * @return the new spec
     * @throws IllegalArgumentException if an id is negative
     */
    public NodeSpec owner(final int uid, final int gid) {
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("uid and gid must not be negative: " + uid + ":" + gid);
        }
        return new NodeSpec(name, uid, gid, mode);
    }

    /**
     * The same node with other permission bits.
     *
     * @param mode the bits, in [0, 0777] (no set-id or sticky bits)
     * @return the new spec
     * @throws IllegalArgumentException if out of range
     */
    public NodeSpec mode(final int mode) {
        if (mode < 0 || mode > 0777) {
            throw new IllegalArgumentException("mode must be in [0, 0777]: 0" + Integer.toOctalString(mode));
        }
        return new NodeSpec(name, uid, gid, mode);
    }

    /**
     * The name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The owner's uid.
     *
     * @return the uid
     */
    public int uid() {
        return uid;
    }

    /**
     * The group's gid.
     *
     * @return the gid
     */
    public int gid() {
        return gid;
    }

    /**
     * The permission bits.
     *
     * @return the bits, in [0, 0777]
     */
    public int mode() {
        return mode;
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof NodeSpec && ((NodeSpec) o).name.equals(name) && ((NodeSpec) o).uid == uid
                && ((NodeSpec) o).gid == gid && ((NodeSpec) o).mode == mode;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, uid, gid, mode);
    }

    @Override
    public String toString() {
        return name + " " + uid + ":" + gid + " 0" + Integer.toOctalString(mode);
    }
}
