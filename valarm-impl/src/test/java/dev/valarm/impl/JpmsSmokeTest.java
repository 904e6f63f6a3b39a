package dev.valarm.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the modules work on the module path: a consumer module that requires only dev.valarm.impl is
 * compiled against the real module descriptors and run with {@code java -m}; it uses the exported API, the
 * simulated machine and ServiceLoader discovery, and must not be able to reach the internal package.
 */
class JpmsSmokeTest {

    private static final String MODULE_INFO = "module smoke { requires dev.valarm.impl; }";

    private static final String MAIN = String.join("\n",
            "package smoke;",
            "import dev.valarm.*;",
            "import dev.valarm.impl.Valarm;",
            "import dev.valarm.impl.sim.SimulatedMachine;",
            "import java.time.Duration;",
            "public final class Main {",
            "  public static void main(String[] a) throws Exception {",
            "    SimulatedMachine m = SimulatedMachine.builder().build();",
            "    try (ValarmDevice d = m.newDevice()) {",
            "      AlarmHandle h = d.createInstance().open(OpenMode.READ_WRITE);",
            "      Timespec now = h.getTime(AlarmType.RTC_WAKEUP);",
            "      h.set(AlarmType.RTC_WAKEUP, Timespec.ofSeconds(now.seconds() + 3));",
            "      m.advance(Duration.ofSeconds(4));",
            "      System.out.println(\"events=\" + h.await(Duration.ZERO).mask());",
            "      System.out.println(\"providers=\" + Valarm.providers().stream().map(p -> p.name()).toList());",
            "      System.out.println(\"internal-readable=\" + Main.class.getModule()",
            "          .canRead(Device.class.getModule()) + \"/\" + Device.class.getModule()",
            "          .isExported(\"dev.valarm.impl.internal\"));",
            "    }",
            "  }",
            "  static final class Device { }",
            "}");

    @Test
    void theModulesWorkOnTheModulePath(@TempDir final Path dir) throws Exception {
        final String modulePath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> e.contains("valarm-api") || e.contains("valarm-impl") || e.contains("slf4j-api"))
                .filter(e -> !e.contains("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        final Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("smoke"));
        Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
        Files.writeString(src.resolve("smoke/Main.java"), MAIN.replace("Device.class.getModule()",
                "dev.valarm.impl.Valarm.class.getModule()"));
        final Path out = dir.resolve("out");
        final Process javac = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "--module-path", modulePath, "-d", out.toString(), src.resolve("module-info.java").toString(),
                src.resolve("smoke/Main.java").toString()).redirectErrorStream(true).start();
        assertTrue(javac.waitFor(120, TimeUnit.SECONDS), "javac finished");
        final String javacOut = new String(javac.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, javac.exitValue(), "the consumer module compiles against the exported API: " + javacOut);

        final List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", out + File.pathSeparator + modulePath, "-m", "smoke/smoke.Main"));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the smoke run finished");
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("events=1"), output);
        assertTrue(output.contains("providers=[jdk]"), output);
        assertTrue(output.contains("internal-readable=true/false"), "internal is not exported: " + output);
    }
}
