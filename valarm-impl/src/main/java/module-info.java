/**
 * The valarm implementation: the device (multiplexer), the simulated machine for tests, and the
 * portable JDK backend. The internal package is not exported.
 */
module dev.valarm.impl {
    requires transitive dev.valarm.api;
    requires org.slf4j;
}
