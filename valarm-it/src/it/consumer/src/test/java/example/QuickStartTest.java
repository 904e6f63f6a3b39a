package example;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The quick start in the test JVM (on the class path, or patched into the module with -Pmodulepath). */
class QuickStartTest {

    @Test
    void theQuickStartRunsOnTheLinuxBackend() throws Exception {
        final String result = QuickStart.run();
        System.out.println("quick start: " + result);
        assertTrue(result.contains("changed=0x10000 fired=0x1 year=2031"), result);
        if (System.getProperty("os.name").toLowerCase().startsWith("linux")) {
            assertTrue(result.startsWith("device=linux-clocks + "), "the Linux backend serves it: " + result);
        }
    }
}
