/**
 * The valarm implementation: the device (multiplexer), the simulated machine for tests, the portable JDK
 * backend, and a scheduler per instance. The internal packages are not exported, except
 * {@code dev.valarm.impl.internal} to the daemon alone ({@code DriverAccess}: an instance's exact state image and
 * its exact restore on the same boot, for crash takeover and upgrades).
 */
// "module": the daemon is built after this module (it requires it), so javac cannot find the export's target.
@SuppressWarnings("module")
module dev.valarm.impl {
    requires transitive dev.valarm.api;
    requires org.slf4j;

    exports dev.valarm.impl;
    exports dev.valarm.impl.sim;
    exports dev.valarm.impl.jdk;
    exports dev.valarm.impl.abi;
    exports dev.valarm.impl.schedule;
    exports dev.valarm.impl.internal to dev.valarm.daemon;

    uses dev.valarm.spi.BackendProvider;
    provides dev.valarm.spi.BackendProvider with dev.valarm.impl.jdk.JdkBackendProvider;
}
