package dev.valarm.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.valarm.InstanceConfig;
import dev.valarm.ValarmDevice;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client in its own time namespace ({@code unshare --time --boottime N --monotonic M}) served by an
 * instance created with the same offsets: its ELAPSED and SYSTEMTIME alarms fire when its own
 * {@code clock_gettime} says so. Against an instance without the offsets the same client hangs (its
 * watchdog reports it), which shows the test can fail.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TimeNamespaceTest {
    private static final long BOOT_OFFSET_S = 100_000;
    private static final long MONO_OFFSET_S = 50_000;

    private ValarmDevice device;
    private AlarmBridge bridge;

    @BeforeEach
    void start() {
        Tier.requireHostFuse();
        Tier.require(new java.io.File("/proc/self/ns/time").exists(), "no time namespaces in this kernel");
        device = Devices.linux();
        bridge = AlarmBridge.builder().threadName("bridge-timens").build();
    }

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
        if (device != null) {
            device.close();
        }
    }

    private static List<String> unshare() {
        return List.of("unshare", "--time", "--boottime", Long.toString(BOOT_OFFSET_S), "--monotonic",
                Long.toString(MONO_OFFSET_S));
    }

    @Test
    void elapsedAlarmsFollowTheCallersOwnBoottime() {
        final Path dir = Devices.mountPoint("timens");
        final FuseMount m = bridge.mountFuse(dir);
        m.add(device.createInstance(InstanceConfig.builder().name("container")
                .boottimeOffset(Duration.ofSeconds(BOOT_OFFSET_S)).monotonicOffset(Duration.ofSeconds(MONO_OFFSET_S))
                .build()), NodeSpec.of("alarm"));
        m.add(device.createInstance(InstanceConfig.builder().name("host-clocks").build()), NodeSpec.of("wrong"));
        CClient.run(unshare(), CClient.Build.LP64, List.of("--node", dir.resolve("alarm").toString(), "--transport",
                "fuse", "--only", "set_wait_every_type,coalesced,absurd_times"), 60)
                .assertAllPassed("a client in a time namespace against an instance with its offsets");

        final CClient.Run wrong = CClient.run(unshare(), CClient.Build.LP64, List.of("--node",
                dir.resolve("wrong").toString(), "--transport", "fuse", "--only", "set_wait_every_type", "--watchdog", "5"), 60);
        assertEquals(3, wrong.exitCode(), "against an instance without the offsets the ELAPSED alarm must not fire in"
                + " time (watchdog exit 3): " + wrong.output());
        assertTrue(wrong.output().contains("hung"), wrong.output());
    }
}
