/**
 * The bridge's internals, public for tests and for the daemon that will adopt live connections, but not
 * API. How a request flows: {@link dev.valarm.bridge.internal.Session} (the loop: epoll, read one request)
 * → {@link dev.valarm.bridge.internal.Connection.Handler} ({@link dev.valarm.bridge.internal.CuseRequests}
 * or {@link dev.valarm.bridge.internal.FuseRequests}, both {@link dev.valarm.bridge.internal.DeviceRequests})
 * → {@link dev.valarm.bridge.internal.IoctlRequests} → {@code AlarmIoctlCodec} → the instance's handle; a
 * WAIT is parked in {@link dev.valarm.bridge.internal.PendingWaits} and answered when it completes, is
 * interrupted or the bridge stops. Wire layouts: {@link dev.valarm.bridge.internal.FuseAbi}; system calls:
 * {@link dev.valarm.bridge.internal.LibC}; set-up: {@link dev.valarm.bridge.internal.Handshake},
 * {@link dev.valarm.bridge.internal.Mounts}, {@link dev.valarm.bridge.internal.CuseNodes}.
 */
package dev.valarm.bridge.internal;
