package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * -Pmodulepath only: the built module and its runtime dependencies, all on the module path, run with
 * {@code java -m}; the Linux backend must be the one chosen, found as a service in its own named module.
 */
class ModulePathRunTest {

    @Test
    void theQuickStartRunsAsAModuleOnTheLinuxBackend() throws Exception {
        final String deps = Files.readString(Path.of(System.getProperty("it.runtime.path")), StandardCharsets.UTF_8).trim();
        final String modulePath = System.getProperty("it.classes") + File.pathSeparator + deps;
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", modulePath, "-m", "example.consumer/example.QuickStartMain")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "java -m finished");
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println(out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("changed=0x10000 fired=0x1 year=2031"), out);
        assertTrue(out.contains("consumer-module=example.consumer"), "ran as a named module: " + out);
        if (System.getProperty("os.name").toLowerCase().startsWith("linux")) {
            assertTrue(out.contains("device=linux-clocks + ") && out.contains("module=dev.valarm.rtc.linux "),
                    "the Linux backend, from its named module: " + out);
        }
    }
}
