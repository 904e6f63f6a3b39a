package dev.valarm.bridge;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.InstanceConfig;
import dev.valarm.ValarmDevice;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A host whose clock is stepped several times a second, as the CI machines' clock keeping does: every step is a
 * host clock change, which raises TIME_CHANGE on every instance (DESIGN.md rule 6), and a process using the
 * device must still get every answer the specification gives. A real process ({@code clock_stepper.c}) steps
 * CLOCK_REALTIME to its own reading every 100 ms while the whole C conformance run goes through FUSE: every test
 * passes, the client saw the steps and collected time-change bits they raised, and the device counted them.
 * Without the steps the client forgives no time-change bit (its own runs elsewhere show that).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HostClockStepsTest {
    private static final Pattern STEPS = Pattern.compile("# host clock steps: seen (\\d+) times, (\\d+) time-change bits");

    private ValarmDevice device;
    private AlarmBridge bridge;
    private Process stepper;

    @BeforeEach
    void start() {
        Tier.requireHostFuse();
        device = Devices.linux();
        bridge = AlarmBridge.builder().threadName("bridge-clock-steps").build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (stepper != null) {
            stepper.destroyForcibly();
            stepper.waitFor(30, TimeUnit.SECONDS);
        }
        if (bridge != null) {
            bridge.close();
        }
        if (device != null) {
            device.close();
        }
    }

    @Test
    void theConformanceRunPassesWhileTheHostClockIsSteppedTenTimesASecond() throws Exception {
        final Path dir = Devices.mountPoint("clock-steps");
        final FuseMount m = bridge.mountFuse(dir);
        m.add(device.createInstance(InstanceConfig.builder().name("stepped").build()), NodeSpec.of("alarm"));
        final Path binary = CClient.compile("clock_stepper", List.of("clock_stepper.c"), List.of("-O2"), List.of());
        stepper = new ProcessBuilder(binary.toString(), "100").redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(stepper.getInputStream(),
                StandardCharsets.UTF_8));
        final String first = out.readLine();
        assertTrue(first != null && first.startsWith("stepping every"), "the stepper did not start: " + first);
        final long changesBefore = device.stats().clockChanges();

        final CClient.Run run = CClient.run(List.of(), CClient.Build.LP64, List.of("--node",
                dir.resolve("alarm").toString(), "--transport", "fuse"), 120);
        assertTrue(stepper.isAlive(), "the stepper stopped during the run");
        run.assertAllPassed("the conformance run on a host whose clock is stepped every 100 ms");

        final Matcher steps = STEPS.matcher(run.output());
        assertTrue(steps.find(), "the client saw no host clock step:\n" + run.output());
        assertTrue(Long.parseLong(steps.group(1)) >= 10 && Long.parseLong(steps.group(2)) >= 1,
                "a run of seconds under a step every 100 ms: " + steps.group() + "\n" + run.output());
        final long changes = device.stats().clockChanges() - changesBefore;
        assertTrue(changes >= 10, "the device counted " + changes + " host clock changes during the run");
    }
}
