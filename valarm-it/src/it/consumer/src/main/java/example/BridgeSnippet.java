package example;

import dev.valarm.ValarmInstance;
import dev.valarm.bridge.AlarmBridge;
import dev.valarm.bridge.NodeSpec;
import java.nio.file.Path;

/**
 * README.md's bridge example, verbatim between the markers (valarm's ReadmeSnippetsTest checks that):
 * compiled against the published valarm-bridge, not run here (it needs root, and CUSE or FUSE; valarm-bridge's
 * own tests run it).
 */
public final class BridgeSnippet {
    private BridgeSnippet() {
    }

    /**
     * Serves two instances: one as a CUSE device, one as a file in a FUSE mount.
     *
     * @param tenant served as /dev/alarm
     * @param other served as /run/valarm/c1/alarm
     */
    static void serve(final ValarmInstance tenant, final ValarmInstance other) {
        // --- README bridge ---
        try (AlarmBridge bridge = AlarmBridge.start()) {                          // root; one serving thread
            bridge.serveCuse(tenant, NodeSpec.of("alarm").owner(1000, 1001).mode(0664));      // /dev/alarm (CUSE)
            bridge.mountFuse(Path.of("/run/valarm/c1"), other, NodeSpec.of("alarm").mode(0666)); // a FUSE file
        }
        // --- end ---
    }
}
