package dev.valarm.bridge.internal;

import dev.valarm.ValarmInstance;
import dev.valarm.bridge.NodeSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The files of one FUSE mount: a flat directory (node 1) of regular files, one per served instance. Node
 * ids are never reused (a file removed and added again gets a new id), so the kernel's cached inodes can
 * never reach the wrong instance.
 *
 * <p>Thread-safety: thread-safe (files are added and removed from caller threads while the loop looks them
 * up).
 */
public final class FuseNodes {
    /** One file. */
    public record Node(long nodeId, String name, ValarmInstance instance, NodeSpec spec) {
    }

    private final AtomicLong nextId = new AtomicLong(FuseAbi.ROOT_ID + 1);
    private final Map<String, Node> byName = new ConcurrentHashMap<>();
    private final Map<Long, Node> byId = new ConcurrentHashMap<>();
    private final List<String> order = new ArrayList<>();
    /** When the mount was made: the files' times, in seconds since the epoch. */
    private final long epochSeconds = System.currentTimeMillis() / 1000;

    /** An empty mount: the root directory only. */
    public FuseNodes() {
        // the fields hold the state
    }

    /**
     * Adds a file.
     *
     * @param instance the instance it serves
     * @param spec its name, owner and mode
     * @return the node
     * @throws IllegalArgumentException if the name is taken
     */
    public synchronized Node add(final ValarmInstance instance, final NodeSpec spec) {
        return add(nextId.getAndIncrement(), instance, spec);
    }

    /**
     * Adds a file with the node id a predecessor process gave it (the kernel's cached inodes keep using it,
     * so a mount taken over must answer for the same ids); later files get higher ids.
     *
     * @param nodeId the id, above the root's
     * @param instance the instance it serves
     * @param spec its name, owner and mode
     * @return the node
     * @throws IllegalArgumentException if the name or the id is taken
     */
    public synchronized Node adopt(final long nodeId, final ValarmInstance instance, final NodeSpec spec) {
        if (nodeId <= FuseAbi.ROOT_ID || byId.containsKey(nodeId)) {
            throw new IllegalArgumentException("node id " + nodeId + " is taken or reserved");
        }
        nextId.accumulateAndGet(nodeId + 1, Math::max);
        return add(nodeId, instance, spec);
    }

    /**
     * Changes a file's owner, group and mode (its name stays); the kernel sees them at the next access, since
     * it caches no attributes.
     *
     * @param name the file's name
     * @param spec the new spec, with the same name
     * @return the updated node, or null if there is no such file
     * @throws IllegalArgumentException if the spec names another file
     */
    public synchronized Node respec(final String name, final NodeSpec spec) {
        if (!spec.name().equals(name)) {
            throw new IllegalArgumentException("a respec keeps the name: " + name + " vs " + spec.name());
        }
        final Node old = byName.get(name);
        if (old == null) {
            return null;
        }
        final Node n = new Node(old.nodeId(), name, old.instance(), spec);
        byName.put(name, n);
        byId.put(n.nodeId(), n);
        return n;
    }

    private Node add(final long nodeId, final ValarmInstance instance, final NodeSpec spec) {
        if (byName.containsKey(spec.name())) {
            throw new IllegalArgumentException("a file named \"" + spec.name() + "\" is already in the mount");
        }
        final Node n = new Node(nodeId, spec.name(), instance, spec);
        byName.put(n.name(), n);
        byId.put(n.nodeId(), n);
        order.add(n.name());
        return n;
    }

    /**
     * Removes a file (open files keep working until closed; new opens fail with ENOENT).
     *
     * @param name the name
     * @return the node removed, or null
     */
    public synchronized Node remove(final String name) {
        final Node n = byName.remove(name);
        if (n != null) {
            byId.remove(n.nodeId());
            order.remove(name);
        }
        return n;
    }

    /**
     * A file by name.
     *
     * @param name the name
     * @return the node, or null
     */
    public Node byName(final String name) {
        return byName.get(name);
    }

    /**
     * A file by node id.
     *
     * @param nodeId the id
     * @return the node, or null
     */
    public Node byId(final long nodeId) {
        return byId.get(nodeId);
    }

    /**
     * The files in the order they were added.
     *
     * @return a snapshot
     */
    public synchronized List<Node> list() {
        final List<Node> out = new ArrayList<>(order.size());
        for (final String s : order) {
            out.add(byName.get(s));
        }
        return out;
    }

    /**
     * The files' time stamps.
     *
     * @return seconds since the epoch
     */
    public long epochSeconds() {
        return epochSeconds;
    }
}
