/**
 * The Linux host clocks and wake backends of valarm ({@code clock_gettime}, timerfds, alarm timers,
 * {@code /dev/rtcN}, sysfs {@code wakealarm}) through jnr-ffi, registered as a
 * {@link dev.valarm.spi.BackendProvider} for {@link java.util.ServiceLoader}: a module that uses
 * {@code dev.valarm.impl} finds it on the module path without naming it.
 *
 * <p>jnr-ffi (and jffi) are automatic modules, so they declare no dependencies of their own: the
 * {@code requires} of the ASM modules below put the code generator jnr-ffi uses into the module graph
 * (without them jnr-ffi fails with {@code NoClassDefFoundError: org/objectweb/asm/ClassVisitor}).
 * jnr-ffi defines its generated implementation of the libc binding in an unnamed module of its own
 * class loader, which can only reach an unqualified export, so the internal binding package is
 * exported; it is not API (no compatibility promise, not in the published javadoc).
 */
@SuppressWarnings("requires-automatic") // jnr-ffi has only an Automatic-Module-Name
module dev.valarm.rtc.linux {
    requires transitive dev.valarm.api;
    requires org.slf4j;
    requires org.jnrproject.ffi;
    // jnr-ffi's own (undeclared) dependencies: its code generator.
    requires org.objectweb.asm;
    requires org.objectweb.asm.commons;
    requires org.objectweb.asm.tree;
    requires org.objectweb.asm.tree.analysis;
    requires org.objectweb.asm.util;

    exports dev.valarm.rtc.linux;
    exports dev.valarm.rtc.linux.internal;

    provides dev.valarm.spi.BackendProvider with dev.valarm.rtc.linux.LinuxBackendProvider;
}
