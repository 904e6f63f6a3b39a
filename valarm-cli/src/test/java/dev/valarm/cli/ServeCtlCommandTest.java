package dev.valarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./valarm serve} and {@code ./valarm ctl}: their errors and exit codes (the daemon's own tests serve). */
class ServeCtlCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path tmp;

    private int run(final String... args) {
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void serveWithABadConfigExitsTwoNamingFileLineAndField() throws Exception {
        final Path conf = tmp.resolve("d.conf");
        Files.writeString(conf, "state-dir = " + tmp.resolve("s") + "\n[instance a]\nmode = 0999\n");
        assertEquals(2, run("serve", "--config", conf.toString()));
        assertTrue(err().contains(conf + ":3: mode: must be octal"), err());
        assertTrue(!Files.exists(tmp.resolve("s")), "nothing made");
    }

    @Test
    void serveArgumentsAreChecked() {
        assertEquals(2, run("serve"));
        assertTrue(err().contains("--config FILE is required"), err());
        assertEquals(2, run("serve", "--bogus"));
        assertTrue(err().contains("'--bogus'"), err());
        assertEquals(0, run("serve", "--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("usage: ./valarm serve --config FILE"));
    }

    @Test
    void ctlUsageErrorsExitTwoAndAnAbsentDaemonExitsOne() {
        assertEquals(2, run("ctl"));
        assertEquals(2, run("ctl", "frobnicate"));
        assertTrue(err().contains("'frobnicate'"), err());
        assertEquals(2, run("ctl", "destroy"));
        assertEquals(2, run("ctl", "create", "x", "--colour", "red"));
        assertTrue(err().contains("--colour"), err());
        assertEquals(1, run("ctl", "--socket", tmp.resolve("none.sock").toString(), "list"));
        assertTrue(err().contains("cannot reach the valarm daemon"), err());
        assertEquals(0, run("ctl", "--help"));
    }

    @Test
    void aRepeatedOptionIsAUsageErrorNamingItAndBothValues() {
        assertEquals(2, run("serve", "--config", "a.conf", "--config", "b.conf"));
        assertTrue(err().contains("--config is given twice (a.conf and b.conf)"), err());
        assertEquals(2, run("serve", "--config", "a.conf", "--takeover", "--takeover"));
        assertTrue(err().contains("--takeover is given twice"), err());
        assertEquals(2, run("ctl", "--socket", "a.sock", "--socket", "b.sock", "list"));
        assertTrue(err().contains("--socket is given twice (a.sock and b.sock)"), err());
        assertEquals(2, run("ctl", "--json", "--json", "list"));
        assertTrue(err().contains("--json is given twice"), err());
        assertEquals(2, run("ctl", "create", "x", "--mode", "0600", "--mode", "0666"));
        assertTrue(err().contains("--mode is given twice (0600 and 0666)"), err());
    }
}
