package dev.valarm;

/**
 * The one rule for instance names, shared by {@link InstanceConfig}, {@link RestoreOptions} and
 * {@link InstanceSnapshot}: 1 to 64 characters ({@code char}s), no control characters, and well-formed
 * UTF-16 (every surrogate in a pair), so that a name accepted here is exactly the name a snapshot's UTF-8
 * bytes carry back. Stateless.
 */
final class InstanceNames {
    private InstanceNames() {
    }

    /**
     * What is wrong with a name.
     *
     * @param name the name, not null
     * @return the problem, naming the value, or null if the name is valid
     */
    static String problem(final String name) {
        if (name.isEmpty() || name.length() > 64) {
            return "name must be 1 to 64 characters: \"" + printable(name) + "\" has " + name.length();
        }
        for (int i = 0; i < name.length(); i++) {
            final char c = name.charAt(i);
            if (Character.isISOControl(c)) {
                return "name must not contain control characters: \"" + printable(name) + "\" has U+"
                        + hex(c) + " at index " + i;
            }
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "name must be well-formed UTF-16 (it could not be stored exactly): \"" + printable(name)
                        + "\" has a lone surrogate U+" + hex(c) + " at index " + i;
            }
        }
        return null;
    }

    /** The name with control characters and lone surrogates escaped, for messages. */
    private static String printable(final String name) {
        final StringBuilder sb = new StringBuilder(name.length() + 8);
        for (int i = 0; i < name.length(); i++) {
            final char c = name.charAt(i);
            final boolean paired = Character.isHighSurrogate(c) && i + 1 < name.length()
                    && Character.isLowSurrogate(name.charAt(i + 1))
                    || Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(name.charAt(i - 1));
            if (Character.isISOControl(c) || Character.isSurrogate(c) && !paired) {
                sb.append("\\u").append(hex(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String hex(final char c) {
        final String h = Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT);
        return "0000".substring(h.length()) + h;
    }
}
