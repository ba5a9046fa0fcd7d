package dev.jvt.junit5;

import dev.jvt.dsl.MachineSpec;
import dev.jvt.engine.Machine;
import dev.jvt.engine.net.Network;
import dev.jvt.spock.runtime.SpecRun;

import java.util.Map;
import java.util.function.Consumer;

/**
 * The declarations of a {@link Jvt} test class, for its static fields:
 * {@code static Machine server = machine("server", m -> { m.memory("256M"); m.nic(Map.of("ip", "10.0.1.1/24"), "lan"); });}
 * The machine block's keywords are {@link MachineSpec}'s methods; named options are a {@code Map}.
 */
public final class JvtMachines {
    private JvtMachines() {
    }

    /** A machine with the keywords {@code body} calls on it; it boots before the class's first test. */
    public static Machine machine(String name, Consumer<MachineSpec> body) {
        return SpecRun.declaring("machine(\"" + name + "\")").machine(name, body);
    }

    /** A machine with every setting at its default (the built-in guest, 256M, 1 CPU). */
    public static Machine machine(String name) {
        return machine(name, (Consumer<MachineSpec>) null);
    }

    /** A network (10.0.N.0/24 for the Nth unless {@code subnet} says otherwise), for faults: {@code lan.partition(...)}. */
    public static Network network(String name, String subnet) {
        return SpecRun.declaring("network(\"" + name + "\")").network(Map.of("subnet", subnet), name);
    }

    public static Network network(String name) {
        return SpecRun.declaring("network(\"" + name + "\")").network(Map.of(), name);
    }
}
