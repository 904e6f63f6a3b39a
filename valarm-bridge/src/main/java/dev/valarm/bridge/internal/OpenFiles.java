package dev.valarm.bridge.internal;

import dev.valarm.AlarmHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The open files of one connection: a FUSE file handle ({@code fh}) is an index into this table with a
 * generation tag in the high 32 bits, so a stale or forged {@code fh} never reaches another file's
 * handle. One open file (one {@code struct file} in the kernel, shared by {@code dup} and {@code fork}) is
 * one {@link AlarmHandle}.
 *
 * <p>Thread-safety: confined to the serving loop.
 */
public final class OpenFiles {
    private AlarmHandle[] handles = new AlarmHandle[16];
    private int[] generations = new int[16];
    private int[] free = new int[16];
    private int freeCount;
    private int used;
    private int open;

    /** An empty table. */
    public OpenFiles() {
        // the fields hold the state
    }

    /**
     * Adds a handle.
     *
     * @param handle the handle
     * @return its {@code fh}
     */
    public long add(final AlarmHandle handle) {
        final int i;
        if (freeCount > 0) {
            i = free[--freeCount];
        } else {
            if (used == handles.length) {
                handles = java.util.Arrays.copyOf(handles, used * 2);
                generations = java.util.Arrays.copyOf(generations, used * 2);
                free = java.util.Arrays.copyOf(free, used * 2);
            }
            i = used++;
        }
        handles[i] = handle;
        open++;
        return (long) generations[i] << 32 | i;
    }

    /**
     * Puts a handle back at the {@code fh} a predecessor process gave it (the kernel keeps using that
     * {@code fh} for the open file), so that a connection taken over keeps its open files.
     *
     * @param fh the file handle, as {@link #add} made it
     * @param handle the handle
     * @throws IllegalArgumentException if {@code fh} is malformed or in use
     */
    public void adopt(final long fh, final AlarmHandle handle) {
        final int i = (int) fh;
        final int gen = (int) (fh >>> 32);
        if (i < 0 || i > (1 << 24)) {
            throw new IllegalArgumentException("not a file handle of this table: 0x" + Long.toHexString(fh));
        }
        while (used <= i) {
            if (used == handles.length) {
                handles = java.util.Arrays.copyOf(handles, used * 2);
                generations = java.util.Arrays.copyOf(generations, used * 2);
                free = java.util.Arrays.copyOf(free, used * 2);
            }
            free[freeCount++] = used++;
        }
        if (handles[i] != null) {
            throw new IllegalArgumentException("file handle 0x" + Long.toHexString(fh) + " is already in use");
        }
        for (int k = 0; k < freeCount; k++) {
            if (free[k] == i) {
                free[k] = free[--freeCount];
                break;
            }
        }
        handles[i] = handle;
        generations[i] = gen;
        open++;
    }

    /** Sees one open file. */
    public interface Visitor {
        /**
         * One open file.
         *
         * @param fh its file handle
         * @param handle its handle
         */
        void visit(long fh, AlarmHandle handle);
    }

    /**
     * Visits every open file.
     *
     * @param v the visitor
     */
    public void forEach(final Visitor v) {
        for (int i = 0; i < used; i++) {
            if (handles[i] != null) {
                v.visit((long) generations[i] << 32 | i, handles[i]);
            }
        }
    }

    /**
     * The handle of an {@code fh}.
     *
     * @param fh the file handle
     * @return the handle, or null if none (stale or unknown)
     */
    public AlarmHandle get(final long fh) {
        final int i = (int) fh;
        if (i < 0 || i >= used || generations[i] != (int) (fh >>> 32)) {
            return null;
        }
        return handles[i];
    }

    /**
     * Removes an {@code fh}.
     *
     * @param fh the file handle
     * @return the handle it had, or null
     */
    public AlarmHandle remove(final long fh) {
        final AlarmHandle h = get(fh);
        if (h != null) {
            final int i = (int) fh;
            handles[i] = null;
            generations[i]++;
            free[freeCount++] = i;
            open--;
        }
        return h;
    }

    /**
     * Removes every handle.
     *
     * @return the handles that were open
     */
    public List<AlarmHandle> removeAll() {
        final List<AlarmHandle> all = new ArrayList<>();
        for (int i = 0; i < used; i++) {
            if (handles[i] != null) {
                all.add(handles[i]);
                handles[i] = null;
                generations[i]++;
                free[freeCount++] = i;
            }
        }
        open = 0;
        return all;
    }

    /**
     * The number of open files.
     *
     * @return the count
     */
    public int size() {
        return open;
    }
}
