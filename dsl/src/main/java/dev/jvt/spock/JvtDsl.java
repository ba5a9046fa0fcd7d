package dev.jvt.spock;

import dev.jvt.dsl.MachineSpec;
import dev.jvt.engine.Machine;
import dev.jvt.engine.net.Network;
import dev.jvt.spock.runtime.SpecRun;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;

import java.util.Map;

/**
 * The declarations of a {@link Jvt} spec. In a {@code @Jvt} spec, {@code machine(...)} works as
 * written; {@code import static dev.jvt.spock.JvtDsl.machine} lets an IDE complete the machine
 * block's keywords.
 */
public final class JvtDsl {
    private JvtDsl() {
    }

    /** Declares a machine with the keywords of a scenario's machine block; it boots before setupSpec. */
    public static Machine machine(String name, @DelegatesTo(value = MachineSpec.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        return SpecRun.declaring("machine('" + name + "')").machine(name, body);
    }

    /**
     * Declares a network (a virtual switch; 10.0.N.0/24 for the Nth network unless {@code subnet}
     * says otherwise) and returns its handle, for faults: {@code lan.partition(server, client)}.
     * A network a machine's {@code nic} names without a declaration is created with the defaults.
     */
    public static Network network(Map<String, ?> options, String name) {
        return SpecRun.declaring("network('" + name + "')").network(options, name);
    }

    public static Network network(String name) {
        return network(Map.of(), name);
    }

    /** An image jvt builds and caches, for {@code image} in a machine block (see the scenario keyword). */
    public static dev.jvt.engine.image.ImageRecipe debian(String suite,
                                                          @DelegatesTo(value = dev.jvt.dsl.DebianSpec.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        return dev.jvt.dsl.DebianSpec.declare(suite, null, body);
    }

    public static dev.jvt.engine.image.ImageRecipe debian(String suite) {
        return debian(suite, null);
    }

    /** A machine with every setting at its default (the built-in guest, 256M, 1 CPU). */
    public static Machine machine(String name) {
        return machine(name, null);
    }
}
