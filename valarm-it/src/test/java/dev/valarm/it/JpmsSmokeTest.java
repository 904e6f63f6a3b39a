package dev.valarm.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.valarm.daemon.ControlClient;
import dev.valarm.daemon.ValarmDaemon;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the published jars work on the module path: a consumer module that requires dev.valarm.impl,
 * dev.valarm.junit and dev.valarm.micrometer is compiled against the real module descriptors and run with
 * {@code java -m}, every jar (valarm's and its dependencies') on the module path, none on the class path.
 * It uses the exported API and the simulated machine, must not reach the internal package, finds the Linux
 * provider as a service in its own named module and gets the Linux backend from {@code openDefault()}
 * (where the host is Linux), binds a device to Micrometer, and runs a {@code @VirtualTime} test through the
 * JUnit Platform launcher, the extension being loaded from the dev.valarm.junit module. It also requires
 * dev.valarm.bridge (a named module) and, as root with /dev/fuse, serves an instance as a FUSE file from the
 * module path (jnr-ffi's generated libc binding of the bridge's internal package included) and reads it.
 * It requires dev.valarm.daemon (a named module that reads valarm-impl's internal package, exported to it alone),
 * and, as root with /dev/fuse, runs the daemon itself from the module path ({@code java -m dev.valarm.daemon/...}):
 * it serves a FUSE instance, spawns its keeper on the same module path and answers on its control socket.
 */
final class JpmsSmokeTest {

    private static final String MODULE_INFO = String.join("\n",
            "module smoke {",
            "  requires dev.valarm.impl;",
            "  requires dev.valarm.bridge;",
            "  requires dev.valarm.daemon;",
            "  requires dev.valarm.junit;",
            "  requires dev.valarm.micrometer;",
            "  requires org.junit.platform.launcher;",
            "  opens smoke to org.junit.platform.commons;", // JUnit instantiates the test class reflectively
            "}");

    private static final String MAIN = String.join("\n",
            "package smoke;",
            "import dev.valarm.*;",
            "import dev.valarm.bridge.AlarmBridge;",
            "import dev.valarm.bridge.BridgeException;",
            "import dev.valarm.bridge.NodeSpec;",
            "import dev.valarm.daemon.ControlClient;",
            "import java.io.IOException;",
            "import java.io.InputStream;",
            "import java.nio.file.Files;",
            "import java.nio.file.Path;",
            "import dev.valarm.impl.Valarm;",
            "import dev.valarm.impl.sim.SimulatedMachine;",
            "import dev.valarm.micrometer.ValarmMetrics;",
            "import io.micrometer.core.instrument.simple.SimpleMeterRegistry;",
            "import java.time.Duration;",
            "import org.junit.platform.launcher.LauncherDiscoveryRequest;",
            "import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;",
            "import org.junit.platform.launcher.core.LauncherFactory;",
            "import org.junit.platform.launcher.listeners.SummaryGeneratingListener;",
            "import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;",
            "public final class Main {",
            "  public static void main(String[] a) throws Exception {",
            "    SimulatedMachine m = SimulatedMachine.builder().build();",
            "    SimpleMeterRegistry registry = new SimpleMeterRegistry();",
            "    ValarmMetrics metrics = ValarmMetrics.builder(registry).build();",
            "    try (ValarmDevice d = m.newDevice(b -> b.listener(metrics.listener()))) {",
            "      metrics.bind(d);",
            "      AlarmHandle h = d.createInstance().open(OpenMode.READ_WRITE);",
            "      Timespec now = h.getTime(AlarmType.RTC_WAKEUP);",
            "      h.set(AlarmType.RTC_WAKEUP, Timespec.ofSeconds(now.seconds() + 3));",
            "      m.advance(Duration.ofSeconds(4));",
            "      System.out.println(\"events=\" + h.await(Duration.ZERO).mask());",
            "      System.out.println(\"fired-metric=\" + registry.get(ValarmMetrics.ALARMS_FIRED).functionCounter().count());",
            "    }",
            "    System.out.println(\"internal-exported=\" + Valarm.class.getModule().isExported(\"dev.valarm.impl.internal\"));",
            "    System.out.println(\"providers=\" + Valarm.providers().stream()",
            "        .map(p -> p.name() + \"@\" + p.getClass().getModule().getName()).toList());",
            "    try (ValarmDevice d = Valarm.openDefault()) {",
            "      System.out.println(\"default=\" + d.describe());",
            "    }",
            "    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()",
            "        .selectors(selectClass(VirtualTimeCheck.class)).build();",
            "    SummaryGeneratingListener summary = new SummaryGeneratingListener();",
            "    LauncherFactory.create().execute(request, summary);",
            "    summary.getSummary().getFailures().forEach(f -> f.getException().printStackTrace(System.out));",
            "    System.out.println(\"junit found=\" + summary.getSummary().getTestsFoundCount() + \" succeeded=\"",
            "        + summary.getSummary().getTestsSucceededCount());",
            "    System.out.println(\"junit-extension-module=\" + dev.valarm.junit.VirtualTimeExtension.class.getModule().getName());",
            "    System.out.println(\"bridge-module=\" + ModuleLayer.boot().findModule(\"dev.valarm.bridge\")",
            "        .map(b -> b.getDescriptor().isAutomatic() ? \"automatic\" : \"named\").orElse(\"missing\"));",
            "    Module impl = Valarm.class.getModule();",
            "    System.out.println(\"daemon-module=\" + ModuleLayer.boot().findModule(\"dev.valarm.daemon\")",
            "        .map(dm -> (dm.getDescriptor().isAutomatic() ? \"automatic\" : \"named\") + \" reads-internal=\"",
            "            + impl.isExported(\"dev.valarm.impl.internal\", dm)).orElse(\"missing\"));",
            "    System.out.println(\"internal-to-others=\" + impl.isExported(\"dev.valarm.impl.internal\", Main.class.getModule()));",
            "    Module daemon = ControlClient.class.getModule();",
            "    System.out.println(\"daemon-exports=\" + java.util.List.of(\"dev.valarm.daemon\", \"dev.valarm.daemon.internal.keeper\",",
            "        \"dev.valarm.daemon.internal.serve\", \"dev.valarm.daemon.internal.journal\").stream()",
            "        .map(pk -> pk.substring(pk.lastIndexOf('.') + 1) + \"=\" + daemon.isExported(pk, Main.class.getModule())).toList());",
            "    System.out.println(\"daemon-request=\" + ControlClient.toJson(java.util.Map.of(\"cmd\", \"list\")));",
            "    System.out.println(\"bridge-internal-exported=\" + AlarmBridge.class.getModule().isExported(\"dev.valarm.bridge.internal\")",
            "        + \" to-smoke=\" + AlarmBridge.class.getModule().isExported(\"dev.valarm.bridge.internal\", Main.class.getModule()));",
            // serve an instance through the kernel from the module path: a FUSE file, stat'ed and read by this process
            "    Path file = Path.of(a[0]).resolve(\"alarm\");",
            "    try (AlarmBridge bridge = AlarmBridge.builder().shutdownHook(false).build();",
            "         ValarmDevice d = m.newDevice()) {",
            "      bridge.mountFuse(Path.of(a[0]), d.createInstance(), NodeSpec.of(\"alarm\").mode(0640));",
            "      String read;",
            "      try (InputStream in = Files.newInputStream(file)) {",
            "        read = \"read returned \" + in.read();",
            "      } catch (IOException e) {",
            "        read = e.getMessage();",
            "      }",
            "      System.out.println(\"bridge-served=\" + Integer.toOctalString((Integer) Files.getAttribute(file, \"unix:mode\") & 0777)",
            "          + \" read=\" + read);",
            "    } catch (BridgeException e) {",
            "      System.out.println(\"bridge-refused=\" + e.errno() + \" \" + e.getMessage());",
            "    }",
            "  }",
            "}");

    private static final String TEST = String.join("\n",
            "package smoke;",
            "import static org.junit.jupiter.api.Assertions.assertEquals;",
            "import dev.valarm.junit.VirtualTime;",
            "import dev.valarm.junit.VirtualTimeControl;",
            "import java.time.Clock;",
            "import java.time.Duration;",
            "import java.time.Instant;",
            "import org.junit.jupiter.api.Test;",
            "@VirtualTime(start = \"2030-06-01T12:00:00Z\")",
            "public class VirtualTimeCheck {",
            "  @Test",
            "  void timeMovesOnlyWhenTold(Clock clock, VirtualTimeControl time) {",
            "    assertEquals(Instant.parse(\"2030-06-01T12:00:00Z\"), clock.instant());",
            "    time.advance(Duration.ofMinutes(31));",
            "    assertEquals(Instant.parse(\"2030-06-01T12:31:00Z\"), clock.instant());",
            "  }",
            "}");

    /** What goes on the module path: valarm's jars and their dependencies, nothing of surefire's. */
    private static final Pattern MODULE_JARS = Pattern.compile(
            "(valarm-(api|impl|rtc-linux|bridge|daemon|junit|micrometer)|slf4j-(api|simple)|jnr-|jffi-|asm-|junit-|opentest4j-|apiguardian-"
                    + "|micrometer-|HdrHistogram-|LatencyUtils-|jspecify-).*");

    private static String modulePath;

    @BeforeAll
    static void modulePath() {
        final List<String> entries = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("valarm-it"))
                .filter(e -> MODULE_JARS.matcher(moduleFileName(e)).matches())
                .collect(Collectors.toList());
        modulePath = String.join(File.pathSeparator, entries);
        for (final String m : List.of("valarm-api", "valarm-impl", "valarm-rtc-linux", "valarm-bridge", "valarm-daemon", "valarm-junit",
                "valarm-micrometer")) {
            assertTrue(entries.stream().anyMatch(e -> e.contains(m)), m + " is on the module path: " + entries);
        }
    }

    /** The jar's file name, or for a reactor module's classes directory its module folder's name. */
    private static String moduleFileName(final String entry) {
        final Path p = Path.of(entry);
        if (Files.isDirectory(p) && p.getParent() != null && p.getParent().getParent() != null) {
            return p.getParent().getParent().getFileName().toString();
        }
        return p.getFileName().toString();
    }

    @Test
    void everyModuleWorksOnTheModulePath(@TempDir final Path dir) throws Exception {
        final Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("smoke"));
        Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
        Files.writeString(src.resolve("smoke/Main.java"), MAIN);
        Files.writeString(src.resolve("smoke/VirtualTimeCheck.java"), TEST);
        final Path out = dir.resolve("out");
        final String javacOut = run(List.of(tool("javac"), "--module-path", modulePath, "-d", out.toString(),
                src.resolve("module-info.java").toString(), src.resolve("smoke/Main.java").toString(),
                src.resolve("smoke/VirtualTimeCheck.java").toString()));
        assertTrue(javacOut.startsWith("exit=0"), "the consumer module compiles against the exported API: " + javacOut);

        final Path mountPoint = Files.createDirectories(dir.resolve("mnt-" + ProcessHandle.current().pid()));
        final String output = run(List.of(tool("java"), "--module-path", out + File.pathSeparator + modulePath,
                "-m", "smoke/smoke.Main", mountPoint.toString()));
        System.out.println(output);
        assertTrue(output.startsWith("exit=0"), output);
        assertTrue(output.contains("events=1\n"), output);
        assertTrue(output.contains("fired-metric=1.0\n"), "valarm-micrometer counts on the module path: " + output);
        assertTrue(output.contains("internal-exported=false\n"), "the internal package is not exported: " + output);
        assertTrue(output.contains("junit found=1 succeeded=1\n"), "the @VirtualTime test ran and passed: " + output);
        assertTrue(output.contains("junit-extension-module=dev.valarm.junit\n"), output);
        assertTrue(output.contains("bridge-module=named\n"), "valarm-bridge is a named module: " + output);
        // exported only for jnr-ffi's generated binding (an unnamed module), not API
        assertTrue(output.contains("bridge-internal-exported=true to-smoke=true\n"), output);
        if (bridgeCanMount()) {
            // the serving loop (jnr-ffi's binding of libc in dev.valarm.bridge.internal) works on the module path:
            // the kernel asked the bridge for the file's attributes and its open, and read got the driver's EINVAL
            assertTrue(output.contains("bridge-served=640 read=Invalid argument\n"),
                    "a FUSE file served from the module path: " + output);
        } else {
            assertTrue(output.contains("bridge-refused="), "no root or no /dev/fuse: a typed refusal: " + output);
        }
        // valarm-daemon (a named module) reads valarm-impl's internal package, exported to it alone.
        assertTrue(output.contains("daemon-module=named reads-internal=true\n"), output);
        assertTrue(output.contains("internal-to-others=false\n"), output);
        // its API package, and its keeper package for jnr-ffi's generated socket binding (an unnamed module); no other
        assertTrue(output.contains("daemon-exports=[daemon=true, keeper=true, serve=false, journal=false]\n"), output);
        assertTrue(output.contains("daemon-request={\"cmd\":\"list\"}\n"), output);
        if (System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux")) {
            assertTrue(output.contains("providers=[linux@dev.valarm.rtc.linux, jdk@dev.valarm.impl]\n"),
                    "the Linux provider is a service of its own named module: " + output);
            assertTrue(output.contains("default=linux-clocks + "),
                    "openDefault() chose the Linux backend (jnr-ffi loads on the module path): " + output);
        }
    }

    /**
     * The daemon run as the module dev.valarm.daemon ({@code java -p ... -m dev.valarm.daemon/...ValarmDaemon serve}),
     * with a FUSE instance and the default {@code keeper = spawn}: it gets ready (the Linux backend found as a
     * service, the keeper started, jnr-ffi's socket binding, the journal, the control socket's peer credentials
     * through jdk.net), its keeper runs as the module too, the instance is a file and a control client lists it,
     * and a shutdown ends both processes and removes the mount.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void theDaemonServesFromTheModulePath(@TempDir final Path dir) throws Exception {
        assumeTrue(bridgeCanMount(), "the daemon's module-path run needs root and /dev/fuse");
        final Path state = dir.resolve("state");
        final Path mount = Files.createDirectories(dir.resolve("m"));
        final Path config = dir.resolve("daemon.conf");
        Files.writeString(config, "state-dir = " + state + "\n[instance a]\ntransport = fuse\nmount = " + mount
                + "\nmode = 0640\n");
        final Process daemon = new ProcessBuilder(tool("java"), "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "--module-path", modulePath, "-m", "dev.valarm.daemon/" + ValarmDaemon.class.getName(),
                "serve", "--config", config.toString()).redirectErrorStream(true).start();
        final StringBuffer output = new StringBuffer();
        final CompletableFuture<Boolean> ready = new CompletableFuture<>();
        final Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    output.append(line).append('\n');
                    if (line.startsWith(ValarmDaemon.READY)) {
                        ready.complete(true);
                    }
                }
            } catch (final IOException e) {
                output.append("reading the daemon's output: ").append(e).append('\n');
            }
            ready.complete(false);
        }, "daemon-output");
        reader.start();
        final List<ProcessHandle> children = new ArrayList<>();
        try {
            assertTrue(ready.get(120, TimeUnit.SECONDS), "the daemon got ready: " + output);
            children.addAll(daemon.descendants().collect(Collectors.toList()));
            assertTrue(children.stream().anyMatch(c -> c.info().commandLine().orElse("")
                            .contains("-m dev.valarm.daemon/dev.valarm.daemon.internal.keeper.Keeper --socket " + state)),
                    "the keeper runs as the module too: "
                            + children.stream().map(c -> c.info().commandLine().orElse("?")).collect(Collectors.toList()));
            assertEquals(0640, (Integer) Files.getAttribute(mount.resolve("a"), "unix:mode") & 0777, output::toString);
            try (ControlClient c = ControlClient.connect(state.resolve("control.sock"))) {
                final Map<String, Object> listed = c.call(Map.of("cmd", "list"));
                assertEquals(true, listed.get("ok"), listed::toString);
                final List<?> instances = (List<?>) listed.get("instances");
                assertEquals(1, instances.size(), listed::toString);
                assertEquals("a", ((Map<?, ?>) instances.get(0)).get("name"), listed::toString);
                assertEquals(true, c.call(Map.of("cmd", "shutdown")).get("ok"), output::toString);
            }
            assertTrue(daemon.waitFor(60, TimeUnit.SECONDS), "the daemon exits after a shutdown: " + output);
            assertEquals(0, daemon.exitValue(), output::toString);
            for (final ProcessHandle child : children) {
                child.onExit().get(60, TimeUnit.SECONDS);
            }
            assertTrue(Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().noneMatch(l -> l.contains(" " + mount + " ")),
                    "the shutdown removed the mount");
        } finally {
            daemon.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
            reader.join(TimeUnit.SECONDS.toMillis(30));
            if (Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().anyMatch(l -> l.contains(" " + mount + " "))) {
                new ProcessBuilder("umount", "-l", mount.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Root and /dev/fuse (CI has both): the smoke consumer must then serve a FUSE file. */
    private static boolean bridgeCanMount() {
        final boolean can = "root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/fuse"));
        if (!can && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI=true: the module-path bridge check needs root and /dev/fuse");
        }
        return can;
    }

    private static String tool(final String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }

    /** Runs a command; returns "exit=N" and its output (stdout and stderr). */
    private static String run(final List<String> cmd) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
        final byte[] bytes = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished: " + cmd);
        final String text = new String(bytes, StandardCharsets.UTF_8);
        assertEquals(text, text.replace("\r", ""));
        return "exit=" + p.exitValue() + "\n" + text;
    }
}
