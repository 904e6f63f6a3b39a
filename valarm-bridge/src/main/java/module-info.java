/**
 * Serves valarm instances to real processes through the kernel: a CUSE character device per instance, or a
 * FUSE mount with a file per instance ({@link dev.valarm.bridge.AlarmBridge}).
 *
 * <p>jnr-ffi is an automatic module and declares no dependencies of its own: the {@code requires} of the ASM
 * modules put the code generator it uses into the module graph, as in {@code dev.valarm.rtc.linux}. jnr-ffi
 * defines its generated implementation of the libc binding ({@code dev.valarm.bridge.internal.LibC}) in an
 * unnamed module of its own class loader, and an unnamed module can be given only an unqualified export (a
 * qualified export names modules, and that one has no name), so the internal package is exported; it is not
 * API (no compatibility promise, not in the published javadoc).
 */
@SuppressWarnings("requires-automatic") // jnr-ffi has only an Automatic-Module-Name
module dev.valarm.bridge {
    requires transitive dev.valarm.api;
    requires dev.valarm.impl;
    requires org.slf4j;
    requires org.jnrproject.ffi;
    // jnr-ffi's own (undeclared) dependencies: its code generator.
    requires org.objectweb.asm;
    requires org.objectweb.asm.commons;
    requires org.objectweb.asm.tree;
    requires org.objectweb.asm.tree.analysis;
    requires org.objectweb.asm.util;

    exports dev.valarm.bridge;
    exports dev.valarm.bridge.internal;
}
