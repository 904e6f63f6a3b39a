package dev.valarm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The control socket: a caller that is not root is refused (by the kernel at mode 0600, by the daemon's
 * peer-credential check when the mode lets it connect) and logged; malformed requests get a clear error and
 * change nothing; 1 000 instances are created and destroyed through it with nothing left behind.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ControlSocketTest {
    private static final List<String> NOBODY = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");

    @Test
    void aCallerThatIsNotRootIsRefusedAndLogged() throws Exception {
        Host.requireFuse();
        Host.require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "no setpriv (apt-get install util-linux)");
        final Path dir = Host.dir("peer");
        final Path ctl = Files.createDirectories(dir.resolve("ctl"));
        Files.setPosixFilePermissions(ctl, PosixFilePermissions.fromString("rwxr-xr-x"));
        final Path probe = ctl.resolve("ctl_probe");
        Files.copy(CBinaries.binary(CBinaries.Client.PROBE), probe, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(dir.resolve("m"));
        final String instance = "[instance a]\ntransport = fuse\nmount = " + dir.resolve("m") + "\n";

        // The default mode 0600: the kernel itself refuses the connection.
        try (DaemonProcess d = DaemonProcess.start(dir, "control-socket = " + ctl.resolve("c.sock") + "\n" + instance);
             Clients clients = new Clients()) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ctl.resolve("c.sock"))));
            assertTrue(d.servingPid() > 0, "root may");
            final Clients.Run r = clients.start(NOBODY, probe, ctl.resolve("c.sock").toString(), "{\"cmd\":\"list\"}");
            assertEquals(1, r.await(30), r.output());
            assertTrue(r.output().contains("connect errno=EACCES"), r.output());
        }

        // A mode that lets everyone connect: the daemon's peer check refuses, answers EACCES and logs the caller.
        final Path dir2 = Host.dir("peer-open");
        Files.createDirectories(dir2.resolve("m"));
        try (DaemonProcess d = DaemonProcess.start(dir2, "control-socket = " + ctl.resolve("o.sock") + "\ncontrol-mode = 0666\n"
                + "[instance a]\ntransport = fuse\nmount = " + dir2.resolve("m") + "\n");
             Clients clients = new Clients()) {
            final Clients.Run r = clients.start(NOBODY, probe, ctl.resolve("o.sock").toString(),
                    "{\"cmd\":\"destroy\",\"name\":\"a\"}");
            assertEquals(0, r.await(30), r.output());
            assertTrue(r.output().contains("\"ok\":false") && r.output().contains("\"errno\":\"EACCES\""), r.output());
            assertTrue(r.output().contains("uid 65534"), r.output());
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!d.output().contains("refused a control connection from") && System.nanoTime() - deadline < 0) {
                DaemonProcess.sleepMillis(20);
            }
            assertTrue(d.output().contains("refused a control connection from") && d.output().contains("uid 65534"),
                    d.output());
            // Root still may, and nothing was destroyed by the refused caller.
            final Clients.Run root = clients.start(probe, ctl.resolve("o.sock").toString(), "{\"cmd\":\"list\"}");
            assertEquals(0, root.await(30), root.output());
            assertTrue(root.output().contains("\"name\":\"a\""), root.output());
        }
    }

    @Test
    void malformedRequestsGetAClearErrorAndChangeNothing() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("malformed");
        Files.createDirectories(dir.resolve("m"));
        try (DaemonProcess d = DaemonProcess.start(dir, "[instance a]\ntransport = fuse\nmount = " + dir.resolve("m")
                + "\nnode = alarm\nmode = 0640\n");
             ControlClient c = ControlClient.connect(dir.resolve("state/control.sock"))) {
            final long clockChangesBefore = d.hostClockChanges();
            final String before = c.callRaw("{\"cmd\":\"list\"}");
            final long journalBefore = Files.size(d.state.resolve("journal"));
            final Map<String, String> cases = new LinkedHashMap<>();
            cases.put("not json at all", "malformed request");
            cases.put("{", "malformed request");
            cases.put("{\"cmd\":5}", "\"cmd\", a string");
            cases.put("{\"name\":\"a\"}", "\"cmd\"");
            cases.put("{\"cmd\":\"frobnicate\"}", "unknown command \"frobnicate\"");
            cases.put("{\"cmd\":\"create\"}", "missing field \"name\"");
            cases.put("{\"cmd\":\"create\",\"name\":\"b\",\"transport\":\"fuse\",\"mount\":\"" + dir.resolve("m")
                    + "\",\"mode\":\"0999\"}", "mode: must be octal");
            cases.put("{\"cmd\":\"create\",\"name\":\"b\",\"colour\":\"red\"}", "unknown field \"colour\"");
            cases.put("{\"cmd\":\"create\",\"name\":\"bad name!\"}", "an instance name must be");
            cases.put("{\"cmd\":\"create\",\"name\":\"b\",\"transport\":\"fuse\"}", "needs a mount directory");
            cases.put("{\"cmd\":\"create\",\"name\":\"b\",\"transport\":\"fuse\",\"mount\":\"" + dir.resolve("nope") + "\"}",
                    "not a directory");
            cases.put("{\"cmd\":\"create\",\"name\":\"b\",\"transport\":\"fuse\",\"mount\":\"" + dir.resolve("m")
                    + "\",\"wall_clock_offset\":3600}", "duration such as");
            cases.put("{\"cmd\":\"create\",\"name\":\"a\",\"transport\":\"fuse\",\"mount\":\"" + dir.resolve("m") + "\"}",
                    "an instance with that name exists");
            cases.put("{\"cmd\":\"create\",\"name\":\"b\",\"transport\":\"fuse\",\"mount\":\"" + dir.resolve("m")
                    + "\",\"node\":\"alarm\"}", "is already served");
            cases.put("{\"cmd\":\"destroy\",\"name\":\"nope\"}", "no such instance");
            cases.put("{\"cmd\":\"set-node\",\"name\":\"a\",\"mode\":436}", "must be a string");
            cases.put("{\"cmd\":\"set-node\",\"name\":\"a\"}", "needs owner, group or mode");
            cases.put("{\"cmd\":\"restore\",\"name\":\"r\",\"snapshot\":\"@@@\"}", "base64");
            cases.put("{\"cmd\":\"restore\",\"name\":\"r\",\"transport\":\"fuse\",\"mount\":\"" + dir.resolve("m")
                    + "\",\"snapshot\":\"AAAA\"}", "snapshot");
            cases.put("{\"cmd\":\"unshare\",\"parent\":\"nope\",\"name\":\"k\",\"transport\":\"fuse\",\"mount\":\""
                    + dir.resolve("m") + "\"}", "no such instance");
            cases.put("{\"cmd\":\"handover-commit\"}", "no hand-over was prepared");
            cases.put("x".repeat(2 << 20), "longer than");
            for (final Map.Entry<String, String> e : cases.entrySet()) {
                final String reply = c.callRaw(e.getKey());
                final Map<String, Object> r = ControlClient.parse(reply);
                final String shown = e.getKey().length() > 80 ? e.getKey().substring(0, 80) + "..." : e.getKey();
                assertEquals(false, r.get("ok"), shown + " -> " + reply);
                assertTrue(String.valueOf(r.get("error")).contains(e.getValue()), shown + " -> " + reply);
                assertTrue(r.get("errno") instanceof String, reply);
            }
            final String after = c.callRaw("{\"cmd\":\"list\"}");
            final long clockChanges = d.hostClockChanges() - clockChangesBefore;
            if (clockChanges == 0) {
                assertEquals(before, after, "nothing changed");
            } else {
                // The host clock was stepped meanwhile: that, not a refused request, raised the time-change bit.
                assertEquals(withoutTimeChange(before), withoutTimeChange(after),
                        "nothing changed but the time-change bit of " + clockChanges + " host clock change(s)");
            }
            assertEquals(journalBefore, Files.size(d.state.resolve("journal")), "nothing was journaled");
            assertEquals(0640, (int) Files.getAttribute(dir.resolve("m/alarm"), "unix:mode") & 0777);
            assertEquals(List.of(dir.resolve("m").toString()), ServeProcessTest.mountsUnder(dir));
        }
    }

    @Test
    void snapshotRestoreUnshareAndNodePermissionsWorkThroughTheSocket() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("commands");
        Files.createDirectories(dir.resolve("m"));
        final String conf = "[instance a]\ntransport = fuse\nmount = " + dir.resolve("m") + "\nnode = alarm-a\nmode = 0666\n"
                + "wall-clock-offset = -1d\n";
        try (DaemonProcess d = DaemonProcess.start(dir, conf); Clients clients = new Clients()) {
            final Path churn = CBinaries.binary(CBinaries.Client.CHURN);
            final Clients.Run owner = clients.start(churn, "--node", dir.resolve("m/alarm-a").toString(), "--own");
            owner.awaitLine("owned errno=-", 30);
            final Map<String, Object> a = instance(d, "a");
            assertTrue(((Number) a.get("armed")).intValue() != 0 && Boolean.TRUE.equals(a.get("owned")), a.toString());

            // Node permissions at run time: the file's mode changes, and the list says so.
            d.ok(Map.of("cmd", "set-node", "name", "a", "mode", "0640"));
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("m/alarm-a"))));
            assertEquals("0640", instance(d, "a").get("mode"));

            // Snapshot, then restore it as a new instance: its armed alarm comes along, its owner does not.
            final String snapshot = (String) d.ok(Map.of("cmd", "snapshot", "name", "a")).get("snapshot");
            d.ok(Map.of("cmd", "restore", "name", "r", "snapshot", snapshot, "transport", "fuse",
                    "mount", dir.resolve("m").toString(), "node", "alarm-r", "mode", "0666"));
            final Map<String, Object> r = instance(d, "r");
            assertEquals(a.get("armed"), r.get("armed"), r.toString());
            assertEquals(false, r.get("owned"), r.toString());
            assertEquals(a.get("wall_clock_offset"), r.get("wall_clock_offset"), "follow-host keeps the offset: " + r);

            // Unshare: a child on the parent's clocks, with its alarms when asked.
            d.ok(Map.of("cmd", "unshare", "parent", "a", "name", "k", "copy_alarms", true, "transport", "fuse",
                    "mount", dir.resolve("m").toString(), "node", "alarm-k", "mode", "0666"));
            final Map<String, Object> k = instance(d, "k");
            assertEquals(a.get("armed"), k.get("armed"), k.toString());
            assertEquals(a.get("wall_clock_offset"), k.get("wall_clock_offset"), k.toString());

            // Both new nodes serve a process (and nobody owns them yet: a SET succeeds).
            for (final String node : List.of("alarm-r", "alarm-k")) {
                final Clients.Run t = clients.start(churn, "--node", dir.resolve("m").resolve(node).toString(), "--try-set");
                assertEquals(0, t.await(30), t.output());
                assertTrue(t.output().contains("try-set errno=-"), node + ": " + t.output());
            }
            d.ok(Map.of("cmd", "destroy", "name", "r"));
            d.ok(Map.of("cmd", "destroy", "name", "k"));
            assertFalse(Files.exists(dir.resolve("m/alarm-r")));
            assertFalse(Files.exists(dir.resolve("m/alarm-k")));
            assertEquals(1, ((List<?>) d.ok(Map.of("cmd", "list")).get("instances")).size());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> instance(final DaemonProcess d, final String name) {
        for (final Map<String, Object> m : (List<Map<String, Object>>) d.ok(Map.of("cmd", "list")).get("instances")) {
            if (name.equals(m.get("name"))) {
                return m;
            }
        }
        throw new AssertionError("no instance " + name + " in the list");
    }

    @Test
    void aThousandInstancesAreCreatedAndDestroyedThroughTheSocket() throws Exception {
        Host.requireFuse();
        final Path dir = Host.dir("thousand");
        for (int m = 0; m < 10; m++) {
            Files.createDirectories(dir.resolve("m" + m));
        }
        try (DaemonProcess d = DaemonProcess.start(dir, "");
             ControlClient c = ControlClient.connect(dir.resolve("state/control.sock"))) {
            final long pid = d.servingPid();
            final long fdsBefore = fds(pid);
            final long t0 = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                final Map<String, Object> r = c.call(Map.of("cmd", "create", "name", "i" + i, "transport", "fuse", "mount",
                        dir.resolve("m" + i % 10).toString(), "node", "alarm" + i, "mode", "0644"));
                assertEquals(true, r.get("ok"), r.toString());
            }
            final long created = System.nanoTime();
            @SuppressWarnings("unchecked")
            final List<Map<String, Object>> list = (List<Map<String, Object>>) c.call(Map.of("cmd", "list")).get("instances");
            assertEquals(1000, list.size());
            assertEquals(10, ServeProcessTest.mountsUnder(dir).size());
            for (final int i : new int[] {0, 1, 499, 998, 999}) {
                assertTrue(Files.exists(dir.resolve("m" + i % 10).resolve("alarm" + i)), "node of i" + i);
            }
            for (int i = 0; i < 1000; i++) {
                final Map<String, Object> r = c.call(Map.of("cmd", "destroy", "name", "i" + i));
                assertEquals(true, r.get("ok"), r.toString());
            }
            final long destroyed = System.nanoTime();
            @SuppressWarnings("unchecked")
            final List<Map<String, Object>> after = (List<Map<String, Object>>) c.call(Map.of("cmd", "list")).get("instances");
            assertTrue(after.isEmpty(), after.toString());
            assertTrue(ServeProcessTest.mountsUnder(dir).isEmpty(), "every mount went with its last file");
            @SuppressWarnings("unchecked")
            final Map<String, Object> stats = (Map<String, Object>) c.call(Map.of("cmd", "stats")).get("stats");
            assertEquals(0L, stats.get("connections"));
            final long fdsAfter = fds(pid);
            System.out.println("[thousand] created 1000 instances in " + (created - t0) / 1_000_000 + " ms, destroyed in "
                    + (destroyed - created) / 1_000_000 + " ms; daemon fds " + fdsBefore + " -> " + fdsAfter);
            assertTrue(fdsAfter <= fdsBefore + 4, "no fd leaked: " + fdsBefore + " -> " + fdsAfter);
            assertFalse(Files.exists(dir.resolve("m0/alarm0")));
        }
    }

    private static long fds(final long pid) throws IOException {
        try (var s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return s.count();
        }
    }

    /** A {@code list} reply with the time-change bit ({@code 1 << 16}) taken out of every {@code "pending"} mask. */
    private static String withoutTimeChange(final String listReply) {
        return java.util.regex.Pattern.compile("\"pending\":(\\d+)").matcher(listReply)
                .replaceAll(m -> "\"pending\":" + (Long.parseLong(m.group(1)) & ~(1L << 16)));
    }
}
