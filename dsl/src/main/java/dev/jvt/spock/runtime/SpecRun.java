package dev.jvt.spock.runtime;

import dev.jvt.dsl.DslException;
import dev.jvt.dsl.MachineSpec;
import dev.jvt.dsl.ScenarioDefinition;
import dev.jvt.dsl.ScenarioSpec;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;
import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.Testbed;
import dev.jvt.engine.events.Events;
import dev.jvt.engine.events.ScenarioRun;
import dev.jvt.engine.events.Status;
import dev.jvt.engine.events.TestRun;
import dev.jvt.engine.net.Network;
import groovy.lang.Closure;
import org.opentest4j.TestAbortedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One execution of a {@code @Jvt} spec: a scenario in the run's reports, and the Spock mapping of
 * its fixtures and tests onto the spec's {@link Testbed}, which owns the machines and networks
 * (boot, checkpoint after setupSpec, rewind per feature, close). The JUnit 5 extension
 * ({@code dev.jvt.junit5}) drives the same steps for a test class, which is why the steps are
 * public and nothing here needs Spock on the class path.
 */
public final class SpecRun {
    private static final Logger LOG = LoggerFactory.getLogger(SpecRun.class);
    private static final ThreadLocal<SpecRun> DECLARING = new ThreadLocal<>();

    private final JvtSession session;
    private final ScenarioDefinition definition;
    private final ScenarioRun run;
    private final Events events;
    private final Testbed bed;
    private final AtomicInteger failures = new AtomicInteger();
    private final boolean rewind;
    private boolean bootFailed;
    private boolean snapshotTaken;
    private boolean firstTest = true;
    private volatile TestRun open;
    private volatile Throwable openFailure;
    private boolean closed;

    private SpecRun(JvtSession session, String name, boolean rewind) {
        this.session = session;
        this.rewind = rewind;
        this.definition = new ScenarioDefinition(name, null, 0);
        this.run = new ScenarioRun(name, null, session.folderFor(name));
        this.events = new Events(run, session.listeners());
        this.bed = new Testbed(run.directory(), events, options());
        events.scenarioStarted();
    }

    /**
     * The run's modes for specs: {@code -Djvt.deterministic=true} (instruction-counted time, a fixed
     * clock). Recording is for {@code jvt run --record}: a spec rewinds, which a recording cannot.
     */
    static RunOptions options() {
        return new RunOptions(Boolean.getBoolean("jvt.deterministic"), false, Boolean.getBoolean("jvt.verbose"), null,
                !"false".equals(System.getProperty("jvt.reuse", "true")));
    }

    /** {@code rewind}: every feature iteration starts from the snapshot taken after setupSpec. */
    public static SpecRun open(String name, boolean rewind) {
        return new SpecRun(JvtSession.get(), name, rewind);
    }

    /** The spec whose shared fields are being initialized on this thread; {@code what} names the caller for the error. */
    public static SpecRun declaring(String what) {
        SpecRun r = DECLARING.get();
        if (r == null) {
            throw new DslException(what + ": machines are declared in @Shared fields of a Spock spec annotated with @Jvt"
                    + " (dev.jvt.spock.Jvt), e.g. @Shared Machine server = machine('server') { memory '256M' }");
        }
        return r;
    }

    /** Runs the shared-field initializer with this spec as the target of {@code machine(...)}. */
    public void declare(Body body) throws Throwable {
        DECLARING.set(this);
        try {
            body.run();
        } finally {
            DECLARING.remove();
        }
    }

    public Machine machine(String name, Closure<?> body) {
        return machine(name, MachineSpec.body(body));
    }

    /** {@link #machine(String, Closure)} for Java: {@code body} gets the machine block's keywords as methods. */
    public Machine machine(String name, java.util.function.Consumer<MachineSpec> body) {
        if (bed.machines().containsKey(name)) {
            throw new DslException("spec '" + run.name() + "' already has a machine named '" + name + "'");
        }
        MachineConfig config = MachineSpec.declare(definition, name, body);
        definition.machines().put(name, config);
        return bed.machine(config);
    }

    /** A network of the spec, its switch started now; {@code subnet} is the only option. */
    public Network network(Map<String, ?> options, String name) {
        if (name == null || !MachineConfig.NAME.matcher(name).matches()) {
            throw new DslException("network name '" + name + "' must start with a letter and hold only letters, digits, '_' and '-'");
        }
        if (bed.networks().containsKey(name)) {
            throw new DslException("spec '" + run.name() + "' already has a network named '" + name + "'");
        }
        return start(name, ScenarioSpec.subnetOption(options, name));
    }

    private Network start(String name, String subnet) {
        String s = ScenarioSpec.subnet(name, subnet, bed.networks().size() + 1).toString();
        definition.networks().put(name, new ScenarioDefinition.NetworkDefinition(name, s, 0));
        return bed.network(name, s);
    }

    /**
     * Boots every declared machine at once (the "boot" fixture). When that fails, the spec's
     * features are reported as not run, and the failure is thrown so Spock fails the spec.
     */
    public void boot(List<String> features) throws Throwable {
        if (bed.machines().isEmpty()) {
            return;
        }
        session.ensurePrerequisites();
        TestRun boot = events.startTest("boot", TestRun.Kind.BOOT);
        Throwable f;
        try {
            // a nic on a network the spec did not declare gets one with the defaults (SPEC §5's example)
            for (Machine m : bed.machines().values()) {
                for (MachineConfig.Nic nic : m.config().nics()) {
                    if (!bed.networks().containsKey(nic.network())) {
                        start(nic.network(), null);
                    }
                }
            }
            ScenarioSpec.assignAddresses(definition);
            bed.boot();
            f = null;
        } catch (RuntimeException e) {
            f = e;
        }
        events.finishTest(boot, f);
        if (f != null) {
            bootFailed = true;
            for (String name : features) {
                TestRun t = events.startTest(name, TestRun.Kind.TEST);
                events.finishTest(t, Status.SKIPPED, JvtException.testFailure("not run: boot failed"));
            }
            throw f;
        }
    }

    /** A user fixture method (setupSpec, cleanupSpec) as a fixture of the scenario, so its steps are reported. */
    public void fixture(String name, TestRun.Kind kind, Body body) throws Throwable {
        around(events.startTest(name, kind), body);
    }

    /**
     * The spec's setupSpec methods (if any), then, for rewinding, a snapshot of every machine:
     * the "setupSpec" fixture, like a scenario's setup.
     */
    public void setupSpec(boolean hasSetupSpec, Body body) throws Throwable {
        setupSpec("setupSpec", hasSetupSpec, body);
    }

    /** {@link #setupSpec(boolean, Body)} with the fixture's name in the reports. */
    public void setupSpec(String fixtureName, boolean hasSetupSpec, Body body) throws Throwable {
        if (bed.machines().isEmpty() || (!rewind && !hasSetupSpec)) {
            body.run();
            return;
        }
        fixture(fixtureName, TestRun.Kind.SETUP, () -> {
            body.run();
            if (rewind && openFailure == null) {
                bed.checkpoint(Testbed.AFTER_SETUP);
                snapshotTaken = true;
            }
        });
    }

    /**
     * One feature iteration (with its setup and cleanup) as a test; every one but the first
     * starts by rewinding the machines to the snapshot taken after setupSpec. Spock reports a feature's
     * errors to its listeners rather than throwing them through interceptors, so they arrive
     * through {@link #failed}; a failure attaches each machine's console and a screenshot, an aborted iteration
     * (a failed assumption) is skipped.
     */
    public void test(String name, Body body) throws Throwable {
        boolean first = firstTest;
        firstTest = false;
        around(events.startTest(name, TestRun.Kind.TEST), () -> {
            if (!first && snapshotTaken) {
                bed.rewind(Testbed.AFTER_SETUP);
            }
            body.run();
        });
    }

    /**
     * {@link #test} in two halves, for a framework whose per-test methods the extension cannot wrap
     * in one call (JUnit 5: before each, after each): starts the test and rewinds the machines.
     */
    public void startTest(String name) {
        boolean first = firstTest;
        firstTest = false;
        open = events.startTest(name, TestRun.Kind.TEST);
        openFailure = null;
        if (!first && snapshotTaken) {
            try {
                bed.rewind(Testbed.AFTER_SETUP);
            } catch (RuntimeException e) {
                failed(e);
                throw e;
            }
        }
    }

    /** Ends the test {@link #startTest} started; {@code error} is its failure (null when it passed). */
    public void finishTest(Throwable error) {
        TestRun t = open;
        if (t == null) {
            return;
        }
        if (error != null) {
            failed(error);
        }
        end(t);
    }

    private void around(TestRun t, Body body) throws Throwable {
        open = t;
        openFailure = null;
        try {
            body.run();
        } catch (Throwable e) {
            failed(e);
            throw e;
        } finally {
            end(t);
        }
    }

    /** Ends the open test or fixture with its first failure: an aborted one (a failed assumption) is skipped. */
    private void end(TestRun t) {
        Throwable f = openFailure;
        open = null;
        openFailure = null;
        if (f instanceof TestAbortedException) {
            events.finishTest(t, Status.SKIPPED, f);
        } else {
            events.finishTest(t, f);
        }
    }

    /** An error Spock reports while a test or fixture of this spec runs; the first one counts. */
    public void failed(Throwable error) {
        TestRun t = open;
        if (t == null || openFailure != null) {
            return;
        }
        // expect: box.succeed(...) wraps jvt's failure in Spock's rendering; jvt's own message says more
        // (by name: a JUnit 5 class path has no Spock)
        if (error.getClass().getName().equals("org.spockframework.runtime.ConditionFailedWithExceptionError")
                && error.getCause() instanceof JvtException j) {
            error = j;
        }
        openFailure = error;
        if (t.kind() == TestRun.Kind.TEST && !(error instanceof TestAbortedException)) {
            attachEvidence();
        }
    }

    /**
     * Each machine's console transcript at the moment of the failure, and a screenshot of its
     * display, attached to the failing test.
     */
    private void attachEvidence() {
        int n = failures.incrementAndGet();
        for (Machine m : bed.machines().values()) {
            if (m.process() == null) {
                continue;
            }
            try {
                Path f = m.folder().failureConsole(n);
                Files.createDirectories(f.getParent());
                Files.writeString(f, m.getConsole());
                events.attach(m.getName() + ": console at the failure", f, "text/plain");
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot save the console of {} at the failure: {}", m.getName(), e.getMessage(), e);
            }
            if (m.isRunning()) {
                try {
                    m.screenshot(String.format("failure-%03d", n));
                } catch (RuntimeException e) {
                    LOG.warn("cannot take a screenshot of {} at the failure: {}", m.getName(), e.getMessage(), e);
                }
            }
        }
    }

    public boolean bootFailed() {
        return bootFailed;
    }

    /**
     * Stops the machines and networks (the testbed attaches their files), ends the scenario and
     * updates the run's reports. A part that cannot be closed is a broken "cleanup" fixture of the
     * spec, and its error is thrown once the reports are written. Idempotent.
     */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failed = null;
        try {
            bed.close();
        } catch (RuntimeException e) {
            failed = e;
            TestRun cleanup = events.startTest("cleanup", TestRun.Kind.TEARDOWN);
            events.finishTest(cleanup, Status.BROKEN, e);
        } finally {
            events.scenarioFinished();
            session.finished(run);
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** A piece of Spock's execution: proceeding with an interceptor's invocation. */
    @FunctionalInterface
    public interface Body {
        void run() throws Throwable;
    }
}
