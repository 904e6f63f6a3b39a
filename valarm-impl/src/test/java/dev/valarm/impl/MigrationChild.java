package dev.valarm.impl;

import dev.valarm.AlarmEvents;
import dev.valarm.AlarmHandle;
import dev.valarm.AlarmType;
import dev.valarm.InstanceSnapshot;
import dev.valarm.OpenMode;
import dev.valarm.ValarmDevice;
import dev.valarm.ValarmInstance;
import dev.valarm.impl.jdk.JdkBackendProvider;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/**
 * The target side of {@link CrossProcessMigrationTest}, run in its own JVM: restores the snapshot in
 * {@code args[0]} on a device over the portable JDK backend, owns the instance, collects events until
 * every armed and pending type has been reported (or a minute passed), and writes what it saw to
 * {@code args[1]} as properties. Exit status 0 on success.
 */
public final class MigrationChild {
    private MigrationChild() {
    }

    /**
     * Runs the child.
     *
     * @param args the snapshot file and the result file
     * @throws Exception on any failure (the JVM exits non-zero)
     */
    public static void main(final String[] args) throws Exception {
        final InstanceSnapshot s = InstanceSnapshot.fromBytes(Files.readAllBytes(Path.of(args[0])));
        final Properties out = new Properties();
        final JdkBackendProvider jdk = new JdkBackendProvider();
        try (ValarmDevice device = Valarm.builder().hostClocks(jdk.openHostClocks())
                .rtcBackend(jdk.openRtcBackend(null)).threadName("valarm-child").build()) {
            final ValarmInstance in = device.restore(s);
            for (final AlarmType t : AlarmType.values()) {
                out.setProperty("restored." + t, Long.toString(in.now(t).toNanos()));
            }
            out.setProperty("restored.minor", Integer.toString(in.minor()));
            out.setProperty("restored.name", in.name());
            final AlarmHandle h = in.open(OpenMode.READ_WRITE);
            int want = s.armedMask() | s.pendingEvents().typeMask();
            final long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            int wait = 0;
            while (want != 0 && System.nanoTime() < deadline) {
                final AlarmEvents ev = h.await(Duration.ofSeconds(5));
                if (ev.isEmpty()) {
                    continue;
                }
                out.setProperty("wait." + wait++, Integer.toString(ev.mask()));
                for (final AlarmType t : ev.firedTypes()) {
                    // The instance's clock of the type right after the WAIT returned.
                    out.setProperty("fired." + t, Long.toString(in.now(t).toNanos()));
                }
                want &= ~ev.typeMask();
            }
            out.setProperty("missing", Integer.toString(want));
        }
        write(out, Path.of(args[1]));
    }

    private static void write(final Properties p, final Path file) throws IOException {
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "valarm migration child");
        }
        Files.move(tmp, file);
    }
}
