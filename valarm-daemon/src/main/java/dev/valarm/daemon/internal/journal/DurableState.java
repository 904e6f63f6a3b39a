package dev.valarm.daemon.internal.journal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the journal says is true now: the connections, the instances with their last driver state, the open
 * files, the WAITs callers are blocked in, and the recent answers (the replies a successor may have to
 * write again). {@link #apply} folds one record in; {@link #records} gives the records of a checkpoint.
 *
 * <p>Thread-safety: not thread-safe; the journal guards it.
 */
public final class DurableState {
    /** How many recent answers are kept (a successor writes them again; ENOENT for those delivered). */
    public static final int RECENT_ANSWERS = 1024;

    /** A connection and an id inside it (an open file's handle, a request's id). */
    public record Key(long connection, long id) {
    }

    private Record.Header header;
    private final Map<Long, Record.Connection> connections = new LinkedHashMap<>();
    private final Map<String, Record.Instance> instances = new LinkedHashMap<>();
    private final Map<Integer, Record.State> states = new HashMap<>();
    private final Map<Key, Record.File> files = new LinkedHashMap<>();
    private final Map<Key, Record.Parked> parked = new LinkedHashMap<>();
    private final ArrayDeque<Record.Answer> answerOrder = new ArrayDeque<>();
    private final Map<Key, Record.Answer> answers = new HashMap<>();
    private long nextConnectionId = 1;
    private long cleanPid;
    private long records;

    /**
     * Folds a record in.
     *
     * @param r the record
     */
    public void apply(final Record r) {
        records++;
        if (!(r instanceof Record.Clean)) {
            cleanPid = 0;
        }
        if (r instanceof Record.Header h) {
            header = h;
            nextConnectionId = Math.max(nextConnectionId, h.nextConnectionId());
        } else if (r instanceof Record.Connection c) {
            connections.put(c.id(), c);
            nextConnectionId = Math.max(nextConnectionId, c.id() + 1);
        } else if (r instanceof Record.ConnectionGone g) {
            connections.remove(g.id());
            files.keySet().removeIf(k -> k.connection() == g.id());
            parked.keySet().removeIf(k -> k.connection() == g.id());
        } else if (r instanceof Record.Instance i) {
            instances.put(i.name(), i);
        } else if (r instanceof Record.InstanceGone g) {
            final Record.Instance i = instances.remove(g.name());
            if (i != null) {
                states.remove(i.minor());
                files.values().removeIf(f -> f.minor() == i.minor() && f.connection() == i.connection());
            }
        } else if (r instanceof Record.State s) {
            states.put(s.minor(), s);
        } else if (r instanceof Record.File f) {
            files.put(new Key(f.connection(), f.fh()), f);
        } else if (r instanceof Record.FileGone g) {
            files.remove(new Key(g.connection(), g.fh()));
            parked.values().removeIf(p -> p.connection() == g.connection() && p.fh() == g.fh());
        } else if (r instanceof Record.Unparked u) {
            parked.remove(new Key(u.connection(), u.unique()));
        } else if (r instanceof Record.Parked p) {
            parked.put(new Key(p.connection(), p.unique()), p);
        } else if (r instanceof Record.Answer a) {
            final Key k = new Key(a.connection(), a.unique());
            parked.remove(k);
            if (answers.put(k, a) == null) {
                answerOrder.addLast(a);
                if (answerOrder.size() > RECENT_ANSWERS) {
                    final Record.Answer old = answerOrder.removeFirst();
                    answers.remove(new Key(old.connection(), old.unique()), old);
                }
            }
        } else if (r instanceof Record.Clean c) {
            cleanPid = c.pid();
        }
    }

    /**
     * The records that rebuild this state (a checkpoint), header first.
     *
     * @param newHeader the header of the new file
     * @return the records
     */
    public List<Record> records(final Record.Header newHeader) {
        final List<Record> out = new ArrayList<>();
        out.add(newHeader);
        out.addAll(connections.values());
        out.addAll(instances.values());
        for (final Record.Instance i : instances.values()) {
            final Record.State s = states.get(i.minor());
            if (s != null) {
                out.add(s);
            }
        }
        out.addAll(files.values());
        out.addAll(parked.values());
        out.addAll(answerOrder);
        if (cleanPid != 0) {
            out.add(new Record.Clean(cleanPid));
        }
        return out;
    }

    /** @return the header of the file read, or null */
    public Record.Header header() {
        return header;
    }

    /** @return the connections by id */
    public Map<Long, Record.Connection> connections() {
        return connections;
    }

    /** @return the instances by name */
    public Map<String, Record.Instance> instances() {
        return instances;
    }

    /**
     * The last state of an instance.
     *
     * @param minor the instance's minor
     * @return the state, or null
     */
    public Record.State state(final int minor) {
        return states.get(minor);
    }

    /** @return the open files */
    public Map<Key, Record.File> files() {
        return files;
    }

    /** @return the WAITs callers are blocked in */
    public Map<Key, Record.Parked> parked() {
        return parked;
    }

    /**
     * A recent answer.
     *
     * @param connection the connection
     * @param unique the request id (without the resend bit)
     * @return the answer, or null
     */
    public Record.Answer answer(final long connection, final long unique) {
        return answers.get(new Key(connection, unique));
    }

    /** @return the recent answers, oldest first */
    public List<Record.Answer> recentAnswers() {
        return List.copyOf(answerOrder);
    }

    /** @return the next connection id to hand out */
    public long nextConnectionId() {
        return nextConnectionId;
    }

    /**
     * Hands out a connection id.
     *
     * @return the id
     */
    public long takeConnectionId() {
        return nextConnectionId++;
    }

    /** @return the pid of a process that stopped cleanly, if that is the last thing recorded; else 0 */
    public long cleanPid() {
        return cleanPid;
    }

    /** @return the records folded in */
    public long recordCount() {
        return records;
    }
}
