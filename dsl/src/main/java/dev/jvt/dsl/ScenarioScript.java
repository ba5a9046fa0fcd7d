package dev.jvt.dsl;

import groovy.lang.Closure;
import groovy.lang.DelegatesTo;
import groovy.lang.Script;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Base class of every scenario file: its top level may call {@link #scenario}. The scenarios it
 * declares are collected into the binding variable {@code __jvtScenarios}.
 */
public abstract class ScenarioScript extends Script {
    static final String SCENARIOS = "__jvtScenarios";
    static final String FILE = "__jvtFile";

    /** Declares a scenario: networks, machines and the tests that act on them. */
    public void scenario(String name, @DelegatesTo(value = ScenarioSpec.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        if (name == null || name.isBlank()) {
            throw new DslException("a scenario needs a name: scenario('what it checks') { ... }");
        }
        Path file = (Path) getBinding().getVariable(FILE);
        for (ScenarioDefinition other : scenarios()) {
            if (other.name().equals(name)) {
                throw new DslException("a scenario named '" + name + "' is already declared at line " + other.line()
                        + "; give each scenario of a file its own name");
            }
        }
        ScenarioDefinition def = new ScenarioDefinition(name, file, Locations.callerLine(file));
        ScenarioSpec spec = new ScenarioSpec(def);
        Closure<?> c = body.rehydrate(spec, this, this);
        c.setResolveStrategy(Closure.DELEGATE_FIRST);
        c.call();
        spec.finish();
        scenarios().add(def);
    }

    /**
     * An image jvt builds from Debian's archive (with the host's apt sources) and caches by the
     * content of the recipe: {@code def web = debian('bookworm') { packages 'nginx' }}, then
     * {@code image web} in a machine block. Works at the top level and inside a scenario.
     */
    public ImageHandle debian(String suite, @DelegatesTo(value = DebianSpec.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        Path file = (Path) getBinding().getVariable(FILE);
        return new ImageHandle(DebianSpec.declare(suite, file == null || file.toAbsolutePath().getParent() == null ? null : file.toAbsolutePath().getParent(), body));
    }

    public ImageHandle debian(String suite) {
        return debian(suite, null);
    }

    @SuppressWarnings("unchecked")
    List<ScenarioDefinition> scenarios() {
        if (!getBinding().hasVariable(SCENARIOS)) {
            getBinding().setVariable(SCENARIOS, new ArrayList<ScenarioDefinition>());
        }
        return (List<ScenarioDefinition>) getBinding().getVariable(SCENARIOS);
    }
}
