/**
 * The valarm daemon: serves valarm instances to containers through CUSE and FUSE, with a control socket
 * ({@link dev.valarm.daemon.ControlClient}), a journal, a keeper process that holds the kernel connections across
 * crashes, and graceful upgrades ({@link dev.valarm.daemon.ValarmDaemon}).
 *
 * <p>It reads {@code dev.valarm.impl.internal}, which {@code dev.valarm.impl} exports to this module alone
 * ({@code DriverAccess}: an instance's exact state image and its exact restore, for crash takeover and upgrades),
 * and the bridge's internal SPI. The backend is found as {@code Valarm.openDefault} finds it, through the
 * {@link dev.valarm.spi.BackendProvider} services of {@code dev.valarm.impl} and {@code dev.valarm.rtc.linux}
 * (the start and the restore also read the Linux host clocks directly). The control socket's peer credentials
 * come from {@code jdk.net}.
 *
 * <p>jnr-ffi is an automatic module and declares no dependencies of its own: the {@code requires} of the ASM
 * modules put the code generator it uses into the module graph, as in {@code dev.valarm.rtc.linux}. jnr-ffi
 * defines its generated implementation of the socket binding ({@code dev.valarm.daemon.internal.keeper.SocketLib})
 * in an unnamed module of its own class loader, and an unnamed module can be given only an unqualified export,
 * so that package is exported; it is not API (no compatibility promise, not in the published javadoc). The other
 * internal packages are not exported.
 */
@SuppressWarnings("requires-automatic") // jnr-ffi has only an Automatic-Module-Name
module dev.valarm.daemon {
    requires dev.valarm.api;
    requires dev.valarm.impl;
    requires dev.valarm.bridge;
    requires dev.valarm.rtc.linux;
    requires org.slf4j;
    requires jdk.net;
    requires org.jnrproject.ffi;
    // jnr-ffi's own (undeclared) dependencies: its code generator.
    requires org.objectweb.asm;
    requires org.objectweb.asm.commons;
    requires org.objectweb.asm.tree;
    requires org.objectweb.asm.tree.analysis;
    requires org.objectweb.asm.util;

    exports dev.valarm.daemon;
    exports dev.valarm.daemon.internal.keeper;
}
