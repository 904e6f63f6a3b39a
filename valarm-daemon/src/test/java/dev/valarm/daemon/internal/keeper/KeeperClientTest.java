package dev.valarm.daemon.internal.keeper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How a spawned keeper is launched: as the daemon was (the same class path, or as the module from the same module
 * path). The spawn itself is run by the process tests (class path) and valarm-it's JpmsSmokeTest (module path).
 */
class KeeperClientTest {
    private static final String KEEPER = "dev.valarm.daemon.internal.keeper.Keeper";

    @Test
    void onTheClassPathTheKeeperGetsTheSameClassPath() {
        // these tests run on the class path: Keeper is in the unnamed module
        assertEquals(List.of("-cp", "/a.jar:/b.jar", KEEPER),
                KeeperClient.launch(Keeper.class.getModule(), null, "/a.jar:/b.jar"));
        // a module path beside the class path does not make an unnamed class a module
        assertEquals(List.of("-cp", "/a.jar", KEEPER), KeeperClient.launch(Keeper.class.getModule(), "/m", "/a.jar"));
    }

    @Test
    void asANamedModuleTheKeeperRunsAsThatModuleFromTheSameModulePath() {
        // a named module of the boot layer (java.base stands in for dev.valarm.daemon, which these tests are not in)
        final Module named = Object.class.getModule();
        assertEquals(List.of("--module-path", "/m1:/m2", "-m", "java.base/" + KEEPER),
                KeeperClient.launch(named, "/m1:/m2", ""));
        assertEquals(List.of("--module-path", "/m", "-cp", "/extra.jar", "-m", "java.base/" + KEEPER),
                KeeperClient.launch(named, "/m", "/extra.jar"));
        // no jdk.module.path (the JVM was started without one): the class path, as before
        assertEquals(List.of("-cp", "/a.jar", KEEPER), KeeperClient.launch(named, null, "/a.jar"));
    }
}
