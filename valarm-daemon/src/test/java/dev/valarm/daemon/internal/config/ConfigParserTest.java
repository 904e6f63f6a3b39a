package dev.valarm.daemon.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.daemon.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigParserTest {
    private static final Path FILE = Path.of("/etc/valarm/test.conf");

    @TempDir
    Path tmp;

    private DaemonConfig parse(final boolean cuse, final String... lines) {
        return ConfigParser.parse(FILE, List.of(lines), cuse, Path.of("/proc"));
    }

    private ConfigException bad(final boolean cuse, final String... lines) {
        return assertThrows(ConfigException.class, () -> parse(cuse, lines));
    }

    @Test
    void aFullConfigIsRead() {
        final String mount = tmp.toString();
        final DaemonConfig c = parse(true,
                "# a comment", "", "state-dir = /run/v", "control-mode = 0660", "control-users = 0, 1000",
                "keeper = connect", "resend = off", "journal-sync = data",
                "[instance c1]", "transport = cuse", "node = alarm", "owner = 1000", "group = 1001", "mode = 0664",
                "wall-clock-offset = -1h30m", "boottime-offset = 1000s", "minor = 7",
                "[ instance c2 ]", "transport = fuse", "mount = " + mount, "monotonic-offset = 250ms");
        assertEquals(Path.of("/run/v"), c.stateDir());
        assertEquals(Path.of("/run/v/control.sock"), c.controlSocket());
        assertEquals(0660, c.controlMode());
        assertTrue(c.controlUsers().contains(1000));
        assertEquals(DaemonConfig.Keeper.CONNECT, c.keeper());
        assertEquals(DaemonConfig.Resend.OFF, c.resend());
        assertEquals(DaemonConfig.Sync.DATA, c.journalSync());
        final InstanceSpec c1 = c.instance("c1");
        assertEquals(InstanceSpec.Transport.CUSE, c1.transport());
        assertEquals("alarm", c1.node().name());
        assertEquals(1000, c1.node().uid());
        assertEquals(1001, c1.node().gid());
        assertEquals(0664, c1.node().mode());
        assertEquals(-5_400_000_000_000L, c1.wallOffset());
        assertEquals(1_000_000_000_000L, c1.boottimeOffset());
        assertEquals(7, c1.minor());
        final InstanceSpec c2 = c.instance("c2");
        assertEquals(InstanceSpec.Transport.FUSE, c2.transport());
        assertEquals("c2", c2.node().name(), "the node defaults to the instance's name");
        assertEquals(0600, c2.node().mode(), "root 0600 by default");
        assertEquals(250_000_000L, c2.monotonicOffset());
        assertNull(c.instance("c3"));
    }

    @Test
    void everyErrorNamesTheFileTheLineAndTheField() {
        ConfigException e = bad(false, "[instance a]", "transport = fuse", "mount = " + tmp, "mode = 0999");
        assertEquals(FILE, e.file());
        assertEquals(4, e.line());
        assertEquals("mode", e.field());
        assertTrue(e.getMessage().startsWith("/etc/valarm/test.conf:4: mode: "), e.getMessage());
        assertTrue(e.getMessage().contains("0999"), e.getMessage());

        e = bad(false, "state-dir = relative/dir");
        assertEquals(1, e.line());
        assertEquals("state-dir", e.field());

        e = bad(false, "bogus = 1");
        assertEquals("bogus", e.field());
        assertTrue(e.getMessage().contains("unknown setting"), e.getMessage());

        e = bad(false, "[instance a]", "colour = red");
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("unknown field"), e.getMessage());

        e = bad(false, "node = x");
        assertTrue(e.getMessage().contains("outside an [instance NAME] section"), e.getMessage());

        e = bad(false, "[instance a]", "transport = fuse", "mount = " + tmp, "mode = 0644", "mode = 0600");
        assertEquals(5, e.line());
        assertTrue(e.getMessage().contains("given twice (first on line 4)"), e.getMessage());

        e = bad(false, "[instance a]", "transport = fuse", "mount = " + tmp, "[instance a]");
        assertEquals(4, e.line());
        assertTrue(e.getMessage().contains("defined twice (first on line 1)"), e.getMessage());

        e = bad(false, "[instance a]", "transport = fuse", "mount = " + tmp, "wall-clock-offset = 1x");
        assertEquals("wall-clock-offset", e.field());
        assertTrue(e.getMessage().contains("\"1x\""), e.getMessage());

        e = bad(false, "[instance a b]");
        assertEquals(1, e.line());

        e = bad(false, "just some words");
        assertTrue(e.getMessage().contains("expected key = value"), e.getMessage());

        e = bad(false, "[instance a]", "transport = fuse", "mount = " + tmp, "owner = nosuchuser-xyz");
        assertEquals("owner", e.field());
        assertTrue(e.getMessage().contains("nosuchuser-xyz"), e.getMessage());

        e = bad(false, "[instance bad/name]");
        assertEquals("name", e.field());
    }

    @Test
    void anExplicitTransportThatCannotBeHonouredFails() {
        final ConfigException e = bad(false, "[instance a]", "node = alarm", "transport = cuse");
        assertEquals(3, e.line());
        assertEquals("transport", e.field());
        assertTrue(e.getMessage().contains("no CUSE"), e.getMessage());
    }

    @Test
    void autoPicksCuseWhereTheKernelHasItAndElseFuseWithItsMount() {
        assertEquals(InstanceSpec.Transport.CUSE, parse(true, "[instance a]").instance("a").transport());
        final InstanceSpec s = parse(false, "[instance a]", "mount = " + tmp).instance("a");
        assertEquals(InstanceSpec.Transport.FUSE, s.transport());
        assertTrue(s.transportReason().contains("no CUSE"), s.transportReason());
        final ConfigException e = bad(false, "[instance a]", "transport = auto");
        assertEquals("mount", e.field());
    }

    @Test
    void fuseNeedsAnExistingDirectoryAndTwoInstancesCannotShareANode() throws IOException {
        ConfigException e = bad(false, "[instance a]", "transport = fuse", "mount = " + tmp.resolve("missing"));
        assertEquals("mount", e.field());
        assertEquals(3, e.line());
        Files.createDirectories(tmp.resolve("m"));
        e = bad(false, "[instance a]", "transport = fuse", "mount = " + tmp.resolve("m"), "node = alarm",
                "[instance b]", "transport = fuse", "mount = " + tmp.resolve("m"), "node = alarm");
        assertEquals("node", e.field());
        assertEquals(5, e.line());
        e = bad(true, "[instance a]", "minor = 3", "[instance b]", "minor = 3");
        assertEquals("minor", e.field());
    }

    @Test
    void clocksFromAPidReadItsTimeNamespaceAndExcludeExplicitOffsets() {
        final long me = ProcessHandle.current().pid();
        final InstanceSpec s = parse(true, "[instance a]", "clocks-from-pid = " + me).instance("a");
        assertEquals(me, s.clocksFromPid());
        // A process that is gone is an error only when the instance has to be made now (a restart takes
        // the offsets from the journal).
        final InstanceSpec gone = parse(true, "[instance a]", "clocks-from-pid = 999999999").instance("a");
        ConfigException e = assertThrows(ConfigException.class, gone::requireClocks);
        assertEquals("clocks-from-pid", e.field());
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("no process 999999999"), e.getMessage());
        e = bad(true, "[instance a]", "clocks-from-pid = " + me, "boottime-offset = 1s");
        assertTrue(e.getMessage().contains("not both"), e.getMessage());
    }

    @Test
    void durationsReadAndPrintAsAPersonWritesThem() {
        assertEquals(90_000_000_000L, Durations.parseNanos("90s"));
        assertEquals(-5_400_000_000_000L, Durations.parseNanos("-1h30m"));
        assertEquals(250_000_000L, Durations.parseNanos("250ms"));
        assertEquals(86_400_000_000_000L + 1, Durations.parseNanos("1d1ns"));
        assertEquals(0, Durations.parseNanos("0"));
        assertEquals("-1h30m", Durations.format(-5_400_000_000_000L));
        assertEquals("1s250ms", Durations.format(1_250_000_000L));
        assertEquals("0", Durations.format(0));
        assertThrows(IllegalArgumentException.class, () -> Durations.parseNanos("5"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parseNanos("1h-2m"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parseNanos("99999999d"));
    }
}
