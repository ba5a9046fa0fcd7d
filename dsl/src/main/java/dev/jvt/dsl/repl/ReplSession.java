package dev.jvt.dsl.repl;

import dev.jvt.dsl.ScenarioDefinition;
import dev.jvt.dsl.TestContext;
import dev.jvt.dsl.runtime.BlockRunner;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.Testbed;
import dev.jvt.engine.events.Events;
import dev.jvt.engine.events.ScenarioRun;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scenario the REPL works on: its {@link Testbed} (switches first, every machine booted at
 * once), then {@code setup} (and optionally one test) run on it as {@code jvt run} would.
 * {@link #close()} stops every QEMU and switch.
 */
public final class ReplSession implements AutoCloseable {
    private final ScenarioDefinition def;
    private final Path dir;
    private final RunOptions options;
    private Testbed bed;

    public ReplSession(ScenarioDefinition def, Path dir, RunOptions options) {
        this.def = def;
        this.dir = dir;
        this.options = options;
    }

    public ReplSession(ScenarioDefinition def, Path dir) {
        this(def, dir, RunOptions.DEFAULT);
    }

    /** The machines and networks; empty before {@link #start}. */
    public Testbed testbed() {
        return bed;
    }

    public Map<String, Machine> machines() {
        return bed == null ? Map.of() : bed.machines();
    }

    public Map<String, Object> networks() {
        return bed == null ? Map.of() : new LinkedHashMap<>(bed.networks());
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
        Files.createDirectories(dir);
        bed = def.openTestbed(dir, new Events(new ScenarioRun(def.name(), def.file(), dir), List.of()), options);
        TestContext ctx = new TestContext(bed.machines(), networks());
        out.println("jvt repl: booting " + String.join(", ", bed.machines().keySet()) + " ...");
        out.flush();
        long t0 = System.nanoTime();
        bed.boot();
        out.printf("jvt repl: booted in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        if (!def.setups().isEmpty()) {
            Throwable f = BlockRunner.run(def.setups(), ctx, def);
            if (f != null) {
                throw f instanceof JvtException j ? j : JvtException.testFailure("setup failed: " + f.getMessage());
            }
            out.println("jvt repl: setup done");
        }
        if (test != null) {
            Throwable f = BlockRunner.run(List.of(test.body()), ctx, def);
            out.println(f == null ? "jvt repl: test '" + test.name() + "' passed"
                    : "jvt repl: test '" + test.name() + "' FAILED: " + f.getMessage());
        }
        out.flush();
    }

    /** Pauses every running machine (the state the prompt opens in). */
    public void pauseAll() {
        bed.pauseAll();
    }

    /** Stops every QEMU and switch; idempotent. */
    @Override
    public void close() {
        if (bed != null) {
            bed.close();
        }
    }
}
