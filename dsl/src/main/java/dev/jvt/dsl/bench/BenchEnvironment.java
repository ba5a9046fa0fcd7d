package dev.jvt.dsl.bench;

import dev.jvt.engine.Machine;
import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.MachineEnvironment;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.events.Events;
import dev.jvt.engine.events.ScenarioRun;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** A throwaway place for benchmark machines: run folder, private socket folder, silent events. */
final class BenchEnvironment implements AutoCloseable {
    final Path dir;
    final Path sockets;
    final Events events;

    BenchEnvironment(String name) throws IOException {
        dir = Files.createDirectories(Path.of("build", "jvt", "bench")).resolve(name + "-" + System.currentTimeMillis());
        Files.createDirectories(dir);
        sockets = dev.jvt.engine.WorkFolder.create("jvt-bench-");
        events = new Events(new ScenarioRun(name, null, dir), List.of());
    }

    Machine machine(MachineConfig config, String instance) {
        return new Machine(config, new MachineEnvironment(events, dir.resolve(instance), sockets.resolve(instance), RunOptions.DEFAULT));
    }

    Path socketDir(String instance) throws IOException {
        return Files.createDirectories(sockets.resolve(instance));
    }

    @Override
    public void close() {
        dev.jvt.engine.WorkFolder.delete(sockets);
    }
}
