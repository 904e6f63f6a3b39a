/**
 * The valarm implementation: the device (multiplexer), the simulated machine for tests, and the
 * portable JDK backend. The internal package is not exported.
 */
module dev.valarm.impl {
    requires transitive dev.valarm.api;
    requires org.slf4j;

    exports dev.valarm.impl;
    exports dev.valarm.impl.sim;
    exports dev.valarm.impl.jdk;
    exports dev.valarm.impl.abi;

    uses dev.valarm.spi.BackendProvider;
    provides dev.valarm.spi.BackendProvider with dev.valarm.impl.jdk.JdkBackendProvider;
}
