package dev.valarm.impl.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measured numbers of a reliability test, written to {@code target/reliability/<name>.json} and logged,
 * so that RELIABILITY.md can state what the last run did.
 */
final class Report {
    private static final Logger LOG = LoggerFactory.getLogger(Report.class);

    private final String name;
    private final Map<String, Object> values = new TreeMap<>();

    Report(final String name) {
        this.name = name;
    }

    Report put(final String key, final Object value) {
        values.put(key, value);
        return this;
    }

    Report add(final String key, final long delta) {
        values.merge(key, delta, (a, b) -> (Long) a + (Long) b);
        return this;
    }

    Map<String, Object> values() {
        return Map.copyOf(values);
    }

    Object get(final String key) {
        return values.get(key);
    }

    void write() {
        final StringBuilder sb = new StringBuilder("{\n");
        String sep = "";
        for (final Map.Entry<String, Object> e : values.entrySet()) {
            sb.append(sep).append("  \"").append(e.getKey()).append("\": ");
            final Object v = e.getValue();
            if (v instanceof Number || v instanceof Boolean) {
                sb.append(v);
            } else {
                sb.append('"').append(String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
            sep = ",\n";
        }
        sb.append("\n}\n");
        try {
            final Path dir = Paths.get("target", "reliability");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".json"), sb.toString(), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        LOG.warn("reliability report {}: {}", name, values);
    }

    /** A scale factor for the generated-call counts: {@code -Dvalarm.reliability.scale=0.1} for a quick run. */
    static double scale() {
        return Double.parseDouble(System.getProperty("valarm.reliability.scale", "1"));
    }

    /** The seed of a run: {@code -Dvalarm.reliability.seed=...} to replay one. */
    static long seed(final long fallback) {
        final String s = System.getProperty("valarm.reliability.seed");
        return s == null ? fallback : Long.parseLong(s);
    }
}
