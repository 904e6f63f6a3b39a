package dev.valarm.daemon.internal.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The daemon's configuration: where its state and control socket live, who may use the socket, how
 * connections outlive the process (the keeper), and the instances it serves from the start.
 *
 * <p>Thread-safety: immutable.
 *
 * @param file the file it was read from
 * @param stateDir where the journal, the in-flight slot, the lock and (by default) the sockets live
 * @param controlSocket the control socket's path
 * @param controlMode the control socket's permission bits
 * @param controlUsers uids allowed on the control socket besides root
 * @param controlGroups gids whose members (primary group of the peer) are allowed
 * @param keeper how the kernel connections are kept across a crash
 * @param keeperSocket the keeper's socket
 * @param resend whether to ask the kernel to re-send a dead predecessor's requests (6.9+)
 * @param journalSync whether each journal commit is also forced to the disk
 * @param devDir where CUSE nodes appear
 * @param cuseMajor the CUSE major: -1 automatic, 0 dynamic per device, else fixed
 * @param backend the backend provider ("auto" for the probe rules, or a provider name)
 * @param instances the instances served from the start
 */
public record DaemonConfig(Path file, Path stateDir, Path controlSocket, int controlMode, Set<Integer> controlUsers,
        Set<Integer> controlGroups, Keeper keeper, Path keeperSocket, Resend resend, Sync journalSync, Path devDir,
        int cuseMajor, String backend, List<InstanceSpec> instances) {

    /** How the connection fds outlive the daemon process. */
    public enum Keeper {
        /** Start a keeper process if none answers on the keeper socket (the default). */
        SPAWN,
        /** Use a keeper started by someone else (a systemd unit); fail if none answers. */
        CONNECT,
        /** No keeper: connections die with the process (clients see ENOTCONN/ENODEV after a crash). */
        OFF
    }

    /** Re-sending the requests a crashed predecessor had read. */
    public enum Resend {
        /** Use {@code FUSE_NOTIFY_RESEND} where the kernel has it (6.9+), else the in-flight record. */
        AUTO,
        /** Never: behave as on a kernel without it (for tests of older kernels' path). */
        OFF
    }

    /** Forcing journal commits to the disk. */
    public enum Sync {
        /**
         * A commit is a {@code write(2)}: it survives the death of the process at any moment (the page cache
         * is the kernel's), which is every failure the journal exists for; state is discarded after a reboot
         * anyway.
         */
        NONE,
        /** Also {@code fdatasync} each commit (one for a batch of concurrent replies). */
        DATA
    }

    /**
     * The instance named {@code name}.
     *
     * @param name the name
     * @return the spec, or null
     */
    public InstanceSpec instance(final String name) {
        for (final InstanceSpec s : instances) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }
}
