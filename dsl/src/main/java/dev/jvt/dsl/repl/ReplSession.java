package dev.jvt.dsl.repl;

import dev.jvt.dsl.ScenarioDefinition;
import dev.jvt.dsl.TestContext;
import dev.jvt.dsl.runtime.ScenarioRunner;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;
import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.MachineEnvironment;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.events.Events;
import dev.jvt.engine.events.ScenarioRun;
import dev.jvt.engine.net.Network;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The machines and networks of one scenario, brought up for the REPL the way {@link ScenarioRunner}
 * brings them up for a run: switches first, every machine booted at once, then {@code setup} (and
 * optionally one test) with a {@link TestContext} delegate. {@link #close()} stops every QEMU.
 */
public final class ReplSession implements AutoCloseable {
    private final ScenarioDefinition def;
    private final Path dir;
    private final Map<String, Machine> machines = new LinkedHashMap<>();
    private final Map<String, Network> nets = new LinkedHashMap<>();
    private final Map<String, Object> networks = new LinkedHashMap<>();
    private Path sockets;
    private TestContext ctx;

    public ReplSession(ScenarioDefinition def, Path dir) {
        this.def = def;
        this.dir = dir;
    }

    public Map<String, Machine> machines() {
        return machines;
    }

    public Map<String, Object> networks() {
        return networks;
    }

    public ScenarioDefinition definition() {
        return def;
    }

    /**
     * Boots the machines and runs setup, then test {@code testName} (when not null). A failing
     * boot or setup throws; a failing test is reported on {@code out} and the session stays up.
     */
    public void start(String testName, PrintWriter out) throws IOException {
        ScenarioDefinition.TestDefinition test = null;
        if (testName != null) {
            test = def.tests().stream().filter(t -> t.name().equals(testName)).findFirst()
                    .orElseThrow(() -> JvtException.badInput("jvt repl: scenario '" + def.name() + "' has no test '" + testName
                            + "'; its tests: " + def.tests().stream().map(t -> "'" + t.name() + "'").toList()));
        }
        Events events = new Events(new ScenarioRun(def.name(), def.file(), dir), List.of());
        Files.createDirectories(dir);
        sockets = dev.jvt.engine.WorkFolder.create("jvt-");
        for (ScenarioDefinition.NetworkDefinition nd : def.networks().values()) {
            nets.put(nd.name(), Network.start(nd.name(), nd.subnet(), dir.resolve(nd.name() + ".pcap"), sockets, events));
        }
        networks.putAll(nets);
        for (MachineConfig mc : def.machines().values()) {
            machines.put(mc.name(), new Machine(mc, new MachineEnvironment(events, dir.resolve(mc.name()), sockets, RunOptions.DEFAULT, nets)));
        }
        ctx = new TestContext(machines, networks);
        out.println("jvt repl: booting " + String.join(", ", machines.keySet()) + " ...");
        out.flush();
        long t0 = System.nanoTime();
        Throwable f = ScenarioRunner.bootAll(machines.values());
        if (f != null) {
            throw f instanceof JvtException j ? j : JvtException.infrastructure("boot failed: " + f.getMessage(), f);
        }
        out.printf("jvt repl: booted in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        if (!def.setups().isEmpty()) {
            f = ScenarioRunner.runBlocks(def.setups(), ctx, def);
            if (f != null) {
                throw f instanceof JvtException j ? j : JvtException.testFailure("setup failed: " + f.getMessage());
            }
            out.println("jvt repl: setup done");
        }
        if (test != null) {
            f = ScenarioRunner.runBlocks(List.of(test.body()), ctx, def);
            out.println(f == null ? "jvt repl: test '" + test.name() + "' passed"
                    : "jvt repl: test '" + test.name() + "' FAILED: " + f.getMessage());
        }
        out.flush();
    }

    /** Pauses every running machine (the state the prompt opens in). */
    public void pauseAll() {
        ScenarioRunner.eachMachine(machines.values(), m -> {
            if (m.isRunning() && !m.isPaused()) {
                m.pause();
            }
        });
    }

    /** Stops every QEMU and switch; idempotent. */
    @Override
    public void close() {
        for (Machine m : machines.values()) {
            try {
                m.close();
            } catch (RuntimeException ignored) {
                // keep closing the others
            }
        }
        for (Network n : nets.values()) {
            try {
                n.close();
            } catch (RuntimeException ignored) {
                // keep closing the others
            }
        }
        dev.jvt.engine.WorkFolder.delete(sockets);
        sockets = null;
    }
}
