package dev.valarm.daemon.internal.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON of the control protocol: one object per line each way. Reads objects, arrays, strings, integers
 * (as {@code Long}), decimals (as {@code Double}), booleans and null; writes maps, lists, strings, numbers,
 * booleans and null. A malformed text is refused with the offset and what was expected.
 *
 * <p>Thread-safety: stateless.
 */
public final class Json {
    /** The deepest nesting read (requests are flat; replies nest two or three levels). */
    private static final int MAX_DEPTH = 32;

    private Json() {
    }

    /** A text that is not the JSON expected. */
    public static final class JsonException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        JsonException(final String message) {
            super(message);
        }
    }

    /**
     * Parses a JSON object.
     *
     * @param text the text
     * @return the object, keys in order
     * @throws JsonException naming the offset and what was expected
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(final String text) {
        final Parser p = new Parser(text);
        p.ws();
        if (p.at >= text.length() || text.charAt(p.at) != '{') {
            throw new JsonException("expected a JSON object ({...}) at offset " + p.at);
        }
        final Object o = p.value(0);
        p.ws();
        if (p.at != text.length()) {
            throw new JsonException("unexpected text after the object at offset " + p.at);
        }
        return (Map<String, Object>) o;
    }

    /**
     * Writes a value as JSON.
     *
     * @param value a map, list, string, number, boolean or null
     * @return the text, on one line
     */
    public static String write(final Object value) {
        final StringBuilder b = new StringBuilder();
        write(b, value);
        return b.toString();
    }

    private static void write(final StringBuilder b, final Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String) {
            string(b, (String) v);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short) {
            b.append(v);
        } else if (v instanceof Number) {
            final double d = ((Number) v).doubleValue();
            b.append(Double.isFinite(d) ? Double.toString(d) : "null");
        } else if (v instanceof Map) {
            b.append('{');
            String sep = "";
            for (final Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                b.append(sep);
                string(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
                sep = ",";
            }
            b.append('}');
        } else if (v instanceof Iterable) {
            b.append('[');
            String sep = "";
            for (final Object o : (Iterable<?>) v) {
                b.append(sep);
                write(b, o);
                sep = ",";
            }
            b.append(']');
        } else {
            string(b, v.toString());
        }
    }

    private static void string(final StringBuilder b, final String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        b.append('"');
    }

    /** A recursive-descent reader. */
    private static final class Parser {
        private final String s;
        private int at;

        Parser(final String s) {
            this.s = s;
        }

        private JsonException bad(final String expected) {
            return new JsonException("malformed JSON: expected " + expected + " at offset " + at
                    + (at < s.length() ? " (found '" + s.charAt(at) + "')" : " (end of text)"));
        }

        void ws() {
            while (at < s.length() && (s.charAt(at) == ' ' || s.charAt(at) == '\t' || s.charAt(at) == '\n'
                    || s.charAt(at) == '\r')) {
                at++;
            }
        }

        Object value(final int depth) {
            if (depth > MAX_DEPTH) {
                throw new JsonException("JSON nested deeper than " + MAX_DEPTH + " levels");
            }
            ws();
            if (at >= s.length()) {
                throw bad("a value");
            }
            final char c = s.charAt(at);
            switch (c) {
                case '{':
                    return object(depth);
                case '[':
                    return array(depth);
                case '"':
                    return string();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", null);
                default:
                    if (c == '-' || c >= '0' && c <= '9') {
                        return number();
                    }
                    throw bad("a value");
            }
        }

        private Object literal(final String word, final Object v) {
            if (!s.startsWith(word, at)) {
                throw bad(word);
            }
            at += word.length();
            return v;
        }

        private Map<String, Object> object(final int depth) {
            final Map<String, Object> m = new LinkedHashMap<>();
            at++;
            ws();
            if (at < s.length() && s.charAt(at) == '}') {
                at++;
                return m;
            }
            while (true) {
                ws();
                if (at >= s.length() || s.charAt(at) != '"') {
                    throw bad("a member name in quotes");
                }
                final String k = string();
                ws();
                if (at >= s.length() || s.charAt(at) != ':') {
                    throw bad("':'");
                }
                at++;
                if (m.containsKey(k)) {
                    throw new JsonException("member \"" + k + "\" given twice (offset " + at + ")");
                }
                m.put(k, value(depth + 1));
                ws();
                if (at < s.length() && s.charAt(at) == ',') {
                    at++;
                    continue;
                }
                if (at < s.length() && s.charAt(at) == '}') {
                    at++;
                    return m;
                }
                throw bad("',' or '}'");
            }
        }

        private List<Object> array(final int depth) {
            final List<Object> l = new ArrayList<>();
            at++;
            ws();
            if (at < s.length() && s.charAt(at) == ']') {
                at++;
                return l;
            }
            while (true) {
                l.add(value(depth + 1));
                ws();
                if (at < s.length() && s.charAt(at) == ',') {
                    at++;
                    continue;
                }
                if (at < s.length() && s.charAt(at) == ']') {
                    at++;
                    return l;
                }
                throw bad("',' or ']'");
            }
        }

        private String string() {
            at++;
            final StringBuilder b = new StringBuilder();
            while (true) {
                if (at >= s.length()) {
                    throw bad("'\"' to end the string");
                }
                final char c = s.charAt(at++);
                if (c == '"') {
                    return b.toString();
                }
                if (c < 0x20) {
                    at--;
                    throw bad("no control character inside a string");
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (at >= s.length()) {
                    throw bad("an escape");
                }
                final char e = s.charAt(at++);
                switch (e) {
                    case '"': b.append('"'); break;
                    case '\\': b.append('\\'); break;
                    case '/': b.append('/'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'n': b.append('\n'); break;
                    case 'r': b.append('\r'); break;
                    case 't': b.append('\t'); break;
                    case 'u':
                        if (at + 4 > s.length()) {
                            throw bad("four hex digits");
                        }
                        try {
                            b.append((char) Integer.parseInt(s.substring(at, at + 4), 16));
                        } catch (final NumberFormatException x) {
                            throw bad("four hex digits");
                        }
                        at += 4;
                        break;
                    default:
                        at--;
                        throw bad("a valid escape");
                }
            }
        }

        private Object number() {
            final int start = at;
            if (s.charAt(at) == '-') {
                at++;
            }
            boolean decimal = false;
            while (at < s.length()) {
                final char c = s.charAt(at);
                if (c >= '0' && c <= '9') {
                    at++;
                } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                    decimal = true;
                    at++;
                } else {
                    break;
                }
            }
            final String t = s.substring(start, at);
            try {
                return decimal ? (Object) Double.parseDouble(t) : (Object) Long.parseLong(t);
            } catch (final NumberFormatException e) {
                at = start;
                throw bad("a number (\"" + t + "\" is not one, or too large)");
            }
        }
    }
}
