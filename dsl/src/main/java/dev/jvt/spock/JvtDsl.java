package dev.jvt.spock;

import dev.jvt.dsl.MachineSpec;
import dev.jvt.engine.Machine;
import dev.jvt.spock.runtime.SpecRun;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;

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

    /** A machine with every setting at its default (the built-in guest, 256M, 1 CPU). */
    public static Machine machine(String name) {
        return machine(name, null);
    }
}
