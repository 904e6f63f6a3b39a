/**
 * {@code @VirtualTime}: a JUnit Jupiter extension that runs a test on a simulated valarm device with
 * virtual time (see {@link dev.valarm.junit.VirtualTime}).
 *
 * <p>JUnit itself is not brought along: the test's own JUnit Jupiter (5.10 or newer, or 6) is the one
 * used, so a project keeps the single JUnit version it chose.
 */
module dev.valarm.junit {
    requires transitive dev.valarm.impl;
    requires transitive org.junit.jupiter.api;
    requires org.junit.platform.commons;

    exports dev.valarm.junit;
}
