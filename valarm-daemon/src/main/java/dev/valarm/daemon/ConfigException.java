package dev.valarm.daemon;

import java.nio.file.Path;

/**
 * A configuration the daemon refuses, naming where: the file, the line and the field, and why, with the
 * offending value ({@code /etc/valarm/daemon.conf:12: mode: must be octal in [0, 0777]: 0999}). The daemon
 * exits with status 2 and serves nothing. Also thrown for a bad instance definition sent to the control
 * socket (then without a file).
 *
 * <p>Thread-safety: immutable.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The file, or null for a control request. */
    private final transient Path file;
    /** The line (1-based), or 0 when none applies. */
    private final int line;
    /** The field, or null when the problem is not one field's. */
    private final String field;

    /**
     * Creates an exception.
     *
     * @param file the file, or null
     * @param line the 1-based line, or 0
     * @param field the field, or null
     * @param message what is wrong, naming the value
     */
    public ConfigException(final Path file, final int line, final String field, final String message) {
        super(where(file, line, field) + message);
        this.file = file;
        this.line = line;
        this.field = field;
    }

    private static String where(final Path file, final int line, final String field) {
        final StringBuilder b = new StringBuilder();
        if (file != null) {
            b.append(file);
            if (line > 0) {
                b.append(':').append(line);
            }
            b.append(": ");
        }
        if (field != null) {
            b.append(field).append(": ");
        }
        return b.toString();
    }

    /**
     * The file.
     *
     * @return the file, or null for a control request
     */
    public Path file() {
        return file;
    }

    /**
     * The line.
     *
     * @return the 1-based line, or 0
     */
    public int line() {
        return line;
    }

    /**
     * The field.
     *
     * @return the field, or null
     */
    public String field() {
        return field;
    }
}
