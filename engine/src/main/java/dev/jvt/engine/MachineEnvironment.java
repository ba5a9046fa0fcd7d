package dev.jvt.engine;

import dev.jvt.engine.events.Events;
import dev.jvt.engine.net.Network;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where a machine lives during a run: the event stream of its scenario, its folder in the run
 * directory (command line, transcript, QEMU log), the private folder for its sockets, the run's
 * modes, and the scenario's networks.
 *
 * @param directory   the machine's folder in the run directory
 * @param sockets     a private (0700) folder with a short path, for UNIX sockets
 * @param options     deterministic / record modes of the run
 * @param networks    the scenario's networks by name, started before any machine
 * @param remotes     the scenario's remote host (for machines with a {@code host}, or all under {@code --host}); null: none may
 */
public record MachineEnvironment(Events events, Path directory, Path sockets, RunOptions options,
                                 Map<String, Network> networks, dev.jvt.engine.remote.RemoteHosts remotes) {
    public MachineEnvironment {
        networks = networks == null ? Map.of() : networks;
    }

    public MachineEnvironment(Events events, Path directory, Path sockets, RunOptions options, Map<String, Network> networks) {
        this(events, directory, sockets, options, networks, null);
    }

    /** A machine on no network. */
    public MachineEnvironment(Events events, Path directory, Path sockets, RunOptions options) {
        this(events, directory, sockets, options, Map.of());
    }
}
