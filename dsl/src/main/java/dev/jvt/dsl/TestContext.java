package dev.jvt.dsl;

import dev.jvt.engine.Machine;
import groovy.lang.GroovyObjectSupport;
import groovy.lang.MissingPropertyException;

import java.util.Map;
import java.util.Set;

/**
 * The delegate of setup, test and teardown blocks (and the REPL): machine and network names are
 * its properties, so {@code server.succeed 'true'} works.
 */
public class TestContext extends GroovyObjectSupport {
    static final Set<String> RESERVED = Set.of("machines", "networks", "scenario", "test", "setup", "teardown");

    private static final ThreadLocal<TestContext> CURRENT = new ThreadLocal<>();
    private final Map<String, Machine> machines;
    private final Map<String, Object> networks;

    public TestContext(Map<String, Machine> machines, Map<String, Object> networks) {
        this.machines = machines;
        this.networks = networks;
    }

    /** The context whose block runs on this thread, or null. */
    public static TestContext current() {
        return CURRENT.get();
    }

    /** Runs {@code body} with this as the {@link #current()} context. */
    public void runAsCurrent(Runnable body) {
        TestContext before = CURRENT.get();
        CURRENT.set(this);
        try {
            body.run();
        } finally {
            CURRENT.set(before);
        }
    }

    public Map<String, Machine> getMachines() {
        return machines;
    }

    public Map<String, Object> getNetworks() {
        return networks;
    }

    @Override
    public Object getProperty(String name) {
        Machine m = machines.get(name);
        if (m != null) {
            return m;
        }
        Object n = networks.get(name);
        if (n != null) {
            return n;
        }
        if (name.equals("machines")) {
            return machines;
        }
        if (name.equals("networks")) {
            return networks;
        }
        throw new MissingPropertyException(name, TestContext.class);
    }
}
