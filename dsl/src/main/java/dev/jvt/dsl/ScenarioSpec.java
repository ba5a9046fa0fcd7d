package dev.jvt.dsl;

import dev.jvt.engine.MachineConfig;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;

import java.util.Map;

/** The keywords of a {@code scenario} block. Each hands its values to the definition. */
public final class ScenarioSpec {
    private final ScenarioDefinition def;

    ScenarioSpec(ScenarioDefinition def) {
        this.def = def;
    }

    /** A virtual switch; 10.0.N.0/24 unless {@code subnet} says otherwise. */
    public void network(String name) {
        network(Map.of(), name);
    }

    public void network(Map<String, ?> options, String name) {
        checkName(name, "network");
        Object subnet = options.get("subnet");
        for (String k : options.keySet()) {
            if (!k.equals("subnet")) {
                throw new DslException("network '" + name + "': unknown option '" + k + "' (known: subnet)");
            }
        }
        def.networks().put(name, new ScenarioDefinition.NetworkDefinition(name, subnet == null ? null : subnet.toString(),
                Locations.callerLine(def.file())));
    }

    /** Declares a machine. */
    public void machine(String name, @DelegatesTo(value = MachineSpec.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        checkName(name, "machine");
        MachineConfig config = new MachineConfig(name);
        MachineSpec spec = new MachineSpec(config, def);
        Closure<?> c = body.rehydrate(spec, body.getOwner(), body.getThisObject());
        c.setResolveStrategy(Closure.DELEGATE_FIRST);
        c.call();
        spec.finish();
        def.machines().put(name, config);
    }

    /** A machine with every setting at its default (the built-in guest, 256M, 1 CPU). */
    public void machine(String name) {
        machine(name, Closure.IDENTITY);
    }

    /** Runs once after all machines booted; tests start from the state it leaves. */
    public void setup(@DelegatesTo(value = TestContext.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        def.setups().add(body);
    }

    public void test(String name, @DelegatesTo(value = TestContext.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        if (name == null || name.isBlank()) {
            throw new DslException("a test needs a name: test('what it checks') { ... }");
        }
        if (def.tests().stream().anyMatch(t -> t.name().equals(name))) {
            throw new DslException("scenario '" + def.name() + "' has two tests named '" + name + "'");
        }
        def.tests().add(new ScenarioDefinition.TestDefinition(name, body, Locations.callerLine(def.file())));
    }

    /** Runs once after the last test, even when tests failed. */
    public void teardown(@DelegatesTo(value = TestContext.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        def.teardowns().add(body);
    }

    /** 'snapshot' (default: each test starts from the state after setup), 'sequential' or 'reboot'. */
    public void isolation(String mode) {
        switch (mode) {
            case "snapshot" -> def.isolation(ScenarioDefinition.Isolation.SNAPSHOT);
            case "sequential" -> def.isolation(ScenarioDefinition.Isolation.SEQUENTIAL);
            case "reboot" -> def.isolation(ScenarioDefinition.Isolation.REBOOT);
            default -> throw new DslException("isolation '" + mode + "' is not one of snapshot, sequential, reboot");
        }
    }

    private void checkName(String name, String what) {
        if (name == null || !MachineConfig.NAME.matcher(name).matches()) {
            throw new DslException(what + " name '" + name + "' must start with a letter and hold only letters, digits, '_' and '-'");
        }
        if (def.machines().containsKey(name) || def.networks().containsKey(name)) {
            throw new DslException("scenario '" + def.name() + "' already has a machine or network named '" + name + "'");
        }
        if (TestContext.RESERVED.contains(name)) {
            throw new DslException(what + " name '" + name + "' is reserved");
        }
    }

    void finish() {
        for (MachineConfig m : def.machines().values()) {
            for (MachineConfig.Nic n : m.nics()) {
                if (!def.networks().containsKey(n.network())) {
                    throw new DslException("machine '" + m.name() + "': nic on network '" + n.network()
                            + "', which this scenario does not declare (add: network '" + n.network() + "')");
                }
            }
        }
        if (def.machines().isEmpty() && !def.tests().isEmpty()) {
            throw new DslException("scenario '" + def.name() + "' has tests but no machine");
        }
    }
}
