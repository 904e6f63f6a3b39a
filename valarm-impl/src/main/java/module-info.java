/**
 * The valarm implementation: the device (multiplexer), the simulated machine for tests, the portable JDK
 * backend, and a scheduler per instance. The internal packages are not exported.
 */
module dev.valarm.impl {
    requires transitive dev.valarm.api;
    requires org.slf4j;

    exports dev.valarm.impl;
    exports dev.valarm.impl.sim;
    exports dev.valarm.impl.jdk;
    exports dev.valarm.impl.abi;
    exports dev.valarm.impl.schedule;

    uses dev.valarm.spi.BackendProvider;
    provides dev.valarm.spi.BackendProvider with dev.valarm.impl.jdk.JdkBackendProvider;
}
