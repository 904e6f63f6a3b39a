package dev.valarm.daemon.internal.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * User and group ids from a number or a name ({@code /etc/passwd}, {@code /etc/group}), as a config or a
 * control request may give them ({@code owner = 1000} or {@code owner = system}).
 *
 * <p>Thread-safety: stateless.
 */
public final class Ids {
    private static final Path PASSWD = Path.of("/etc/passwd");
    private static final Path GROUP = Path.of("/etc/group");

    private Ids() {
    }

    /**
     * A user id.
     *
     * @param text a number or a user name
     * @return the uid
     * @throws IllegalArgumentException naming the text if it is neither
     */
    public static int uid(final String text) {
        return id(text, PASSWD, "user");
    }

    /**
     * A group id.
     *
     * @param text a number or a group name
     * @return the gid
     * @throws IllegalArgumentException naming the text if it is neither
     */
    public static int gid(final String text) {
        return id(text, GROUP, "group");
    }

    /**
     * The name of a user id, or the number if it has none.
     *
     * @param uid the uid
     * @return the name
     */
    public static String userName(final int uid) {
        return name(uid, PASSWD);
    }

    private static int id(final String text, final Path db, final String what) {
        final String s = text.trim();
        if (s.matches("\\d{1,10}")) {
            final long v = Long.parseLong(s);
            if (v > 0xfffffffeL || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + " id out of range: " + s);
            }
            return (int) v;
        }
        try {
            for (final String line : Files.readAllLines(db, StandardCharsets.UTF_8)) {
                final String[] f = line.split(":", -1);
                if (f.length >= 3 && f[0].equals(s)) {
                    return Integer.parseInt(f[2]);
                }
            }
        } catch (final IOException | NumberFormatException e) {
            throw new IllegalArgumentException("cannot look up " + what + " \"" + s + "\" in " + db + ": " + e.getMessage());
        }
        throw new IllegalArgumentException("no " + what + " named \"" + s + "\" in " + db + " (give a number or a known name)");
    }

    private static String name(final int id, final Path db) {
        try {
            for (final String line : Files.readAllLines(db, StandardCharsets.UTF_8)) {
                final String[] f = line.split(":", -1);
                if (f.length >= 3 && f[2].equals(Integer.toString(id))) {
                    return f[0];
                }
            }
        } catch (final IOException e) {
            // fall through: the number
        }
        return Integer.toString(id);
    }
}
