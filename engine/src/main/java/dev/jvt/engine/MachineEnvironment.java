package dev.jvt.engine;

import dev.jvt.engine.events.Events;

import java.nio.file.Path;

/**
 * Where a machine lives during a run: the event stream of its scenario, its folder in the run
 * directory (command line, transcript, QEMU log), the private folder for its sockets, and the
 * run's modes.
 *
 * @param directory   the machine's folder in the run directory
 * @param sockets     a private (0700) folder with a short path, for UNIX sockets
 * @param options     deterministic / record modes of the run
 */
public record MachineEnvironment(Events events, Path directory, Path sockets, RunOptions options) {
}
