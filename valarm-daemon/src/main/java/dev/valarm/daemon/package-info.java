/**
 * The valarm daemon ({@code ./valarm serve}): serves virtual alarm instances to containers' processes
 * through CUSE and FUSE, with a control socket ({@link dev.valarm.daemon.ControlClient}), a journal that
 * makes every acknowledged change durable, a keeper process that holds the kernel connections across
 * crashes, and graceful upgrades. Start with {@link dev.valarm.daemon.ValarmDaemon}.
 *
 * <p>The flow, by package: {@code internal.config} (the config file and instance specs) &rarr;
 * {@code internal.serve} ({@code Startup}: fresh, restart or takeover; {@code Daemon}: instances and nodes;
 * {@code DurabilityHook}: the write-ahead rule on every reply; {@code Handover}: upgrades) &rarr;
 * {@code internal.journal} (records, the journal file, the in-flight record) and {@code internal.keeper}
 * (the process that holds the connection fds, and fd passing) &larr; {@code internal.control} (the control
 * socket and its commands).
 */
package dev.valarm.daemon;
