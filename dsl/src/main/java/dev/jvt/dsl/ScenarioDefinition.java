package dev.jvt.dsl;

import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.Testbed;
import dev.jvt.engine.events.Events;
import groovy.lang.Closure;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What one {@code scenario} block declared: networks, machines, setup, tests, teardown. */
public final class ScenarioDefinition {
    /** A test block and where it is in the file. */
    public record TestDefinition(String name, Closure<?> body, int line) {
    }

    /** A network declaration. */
    public record NetworkDefinition(String name, String subnet, int line) {
    }

    /** How tests start: from the post-setup snapshot, from each other, or from a fresh boot. */
    public enum Isolation { SNAPSHOT, SEQUENTIAL, REBOOT }

    private final String name;
    private final Path file;
    private final int line;
    private final Map<String, MachineConfig> machines = new LinkedHashMap<>();
    private final Map<String, NetworkDefinition> networks = new LinkedHashMap<>();
    private final List<TestDefinition> tests = new ArrayList<>();
    private final List<Closure<?>> setups = new ArrayList<>();
    private final List<Closure<?>> teardowns = new ArrayList<>();
    private final Map<MachineConfig.Nic, Integer> nicLines = new java.util.IdentityHashMap<>();
    private Isolation isolation = Isolation.SNAPSHOT;

    public ScenarioDefinition(String name, Path file, int line) {
        this.name = name;
        this.file = file;
        this.line = line;
    }

    public String name() {
        return name;
    }

    public Path file() {
        return file;
    }

    public int line() {
        return line;
    }

    public Map<String, MachineConfig> machines() {
        return machines;
    }

    public Map<String, NetworkDefinition> networks() {
        return networks;
    }

    public List<TestDefinition> tests() {
        return tests;
    }

    public List<Closure<?>> setups() {
        return setups;
    }

    public List<Closure<?>> teardowns() {
        return teardowns;
    }

    /** Where the {@code nic} keyword that made {@code nic} is, -1 when not in this scenario's file. */
    public int lineOf(MachineConfig.Nic nic) {
        return nicLines.getOrDefault(nic, -1);
    }

    void nicLine(MachineConfig.Nic nic, int line) {
        nicLines.put(nic, line);
    }

    public Isolation isolation() {
        return isolation;
    }

    void isolation(Isolation i) {
        this.isolation = i;
    }

    /**
     * The scenario's testbed in {@code dir}: its networks (their switches listening), then its
     * machines (not started yet).
     */
    public Testbed openTestbed(Path dir, Events events, RunOptions options) {
        Testbed bed = new Testbed(dir, events, options);
        try {
            networks.values().forEach(n -> bed.network(n.name(), n.subnet()));
            machines.values().forEach(bed::machine);
        } catch (RuntimeException e) {
            try {
                bed.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return bed;
    }

    /** "hello.groovy" or the scenario name when it has no file. */
    public String source() {
        return file == null ? name : file.getFileName().toString();
    }
}
