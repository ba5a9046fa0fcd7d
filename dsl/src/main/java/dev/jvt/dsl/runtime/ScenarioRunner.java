package dev.jvt.dsl.runtime;

import dev.jvt.dsl.ScenarioDefinition;
import dev.jvt.dsl.TestContext;
import dev.jvt.engine.GuestFailureException;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;
import dev.jvt.engine.Testbed;
import dev.jvt.engine.events.Events;
import dev.jvt.engine.events.RunListener;
import dev.jvt.engine.events.RunSummary;
import dev.jvt.engine.events.ScenarioRun;
import dev.jvt.engine.events.Status;
import dev.jvt.engine.events.TestRun;
import dev.jvt.engine.host.Interrupts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs scenarios: for each, its {@link Testbed} boots the machines in parallel, then setup, then
 * every test (by default from the checkpoint taken after setup), then teardown; everything is
 * reported to the listeners. Scenarios run {@code parallel} at a time; one scenario's failure,
 * even one while closing its machines, never stops another.
 */
public final class ScenarioRunner {
    private final RunSettings settings;
    private final List<RunListener> listeners;

    public ScenarioRunner(RunSettings settings, List<RunListener> listeners) {
        this.settings = settings;
        this.listeners = listeners;
    }

    public RunSummary run(List<ScenarioDefinition> scenarios) {
        long t0 = System.currentTimeMillis();
        listeners.forEach(l -> l.runStarted(settings.runDirectory()));
        List<ScenarioRun> runs = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, settings.parallel()), r -> {
            Thread t = new Thread(r, "jvt-scenario");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<ScenarioRun>> futures = new ArrayList<>();
            Map<String, Integer> seen = new LinkedHashMap<>();
            for (ScenarioDefinition def : scenarios) {
                String dir = RunDirectory.folderName(def.name());
                int n = seen.merge(dir, 1, Integer::sum);
                String folder = n == 1 ? dir : dir + "-" + n;
                futures.add(pool.submit(() -> runScenario(def, settings.runDirectory().resolve(folder))));
            }
            for (Future<ScenarioRun> f : futures) {
                try {
                    runs.add(f.get());
                } catch (ExecutionException e) {
                    // runScenario reports its own failures; this is a bug in the runner itself
                    throw new IllegalStateException("scenario runner failed", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        } finally {
            pool.shutdownNow();
        }
        long took = System.currentTimeMillis() - t0;
        RunSummary summary = Interrupts.exitCode() != 0
                ? new RunSummary(settings.runDirectory(), runs, took, Interrupts.exitCode())
                : RunSummary.of(settings.runDirectory(), runs, took);
        listeners.forEach(l -> l.runFinished(summary));
        return summary;
    }

    ScenarioRun runScenario(ScenarioDefinition def, Path dir) {
        ScenarioRun run = new ScenarioRun(def.name(), def.file(), dir);
        Events events = new Events(run, listeners);
        List<ScenarioDefinition.TestDefinition> selected = def.tests().stream()
                .filter(t -> settings.filter() == null || settings.filter().matcher(def.name() + " › " + t.name()).find()
                        || settings.filter().matcher(t.name()).find())
                .toList();
        if (selected.isEmpty() && settings.filter() != null) {
            return run;
        }
        if (Interrupts.reason() != null) {
            // the run was interrupted before this scenario's turn: its tests are listed as not run
            events.scenarioStarted();
            for (ScenarioDefinition.TestDefinition t : selected) {
                events.finishTest(events.startTest(t.name(), TestRun.Kind.TEST), Status.SKIPPED, JvtException.testFailure("not run: " + Interrupts.reason()));
            }
            events.scenarioFinished();
            return run;
        }
        dev.jvt.engine.host.StartTrace.mark(def.name() + ": scenario starts");
        events.scenarioStarted();
        Testbed bed = null;
        try {
            Files.createDirectories(dir);
            bed = def.openTestbed(dir, events, settings.options());
            runTests(def, bed, selected, events);
        } catch (IOException | RuntimeException e) {
            TestRun broken = events.startTest("run", TestRun.Kind.BOOT);
            events.finishTest(broken, interrupted(asJvt(e)));
        } finally {
            if (bed != null) {
                try {
                    bed.close();
                } catch (RuntimeException e) {
                    // a machine that could not be closed (its recording could not be finished, ...): the
                    // others were closed all the same; the scenario reports it, the run goes on
                    TestRun cleanup = events.startTest("cleanup", TestRun.Kind.TEARDOWN);
                    events.finishTest(cleanup, Status.BROKEN, asJvt(e));
                }
            }
            events.scenarioFinished();
        }
        return run;
    }

    /**
     * {@code failure} as the run's interruption when the run was interrupted (SIGINT, SIGTERM): its
     * QEMUs were killed, so what failed failed because of that; otherwise {@code failure} itself.
     */
    private static Throwable interrupted(Throwable failure) {
        String reason = Interrupts.reason();
        if (failure == null || reason == null) {
            return failure;
        }
        return JvtException.infrastructure(reason + " (" + firstLine(failure.getMessage()) + ")", failure);
    }

    private static JvtException asJvt(Throwable e) {
        return e instanceof JvtException j ? j : JvtException.infrastructure(String.valueOf(e.getMessage()), e);
    }

    private void runTests(ScenarioDefinition def, Testbed bed, List<ScenarioDefinition.TestDefinition> selected, Events events) {
        TestContext ctx = new TestContext(bed.machines(), new LinkedHashMap<>(bed.networks()));
        String stopped = null;
        TestRun boot = events.startTest("boot", TestRun.Kind.BOOT);
        Throwable bootFailure = interrupted(attempt(bed::boot));
        events.finishTest(boot, bootFailure);
        if (bootFailure != null) {
            stopped = Interrupts.reason() != null ? Interrupts.reason() : "boot failed";
        }
        boolean snapshots = isolation(def) == ScenarioDefinition.Isolation.SNAPSHOT && selected.size() > 1;
        if (stopped == null && (!def.setups().isEmpty() || snapshots)) {
            TestRun setup = events.startTest("setup", TestRun.Kind.SETUP);
            Throwable f = BlockRunner.run(def.setups(), ctx, def);
            if (f == null && snapshots) {
                f = attempt(() -> bed.checkpoint(Testbed.AFTER_SETUP));
            }
            f = interrupted(bed.afterTest(f));
            events.finishTest(setup, f);
            if (f != null) {
                stopped = Interrupts.reason() != null ? Interrupts.reason() : "setup failed";
            }
        }
        boolean first = true;
        for (ScenarioDefinition.TestDefinition t : selected) {
            TestRun tr = events.startTest(t.name(), TestRun.Kind.TEST);
            if (stopped == null && Interrupts.reason() != null) {
                stopped = Interrupts.reason();
            }
            if (stopped != null) {
                events.finishTest(tr, Status.SKIPPED, JvtException.testFailure("not run: " + stopped));
                continue;
            }
            Throwable f = first ? null : prepareTest(def, bed, ctx);
            first = false;
            if (f == null) {
                f = BlockRunner.run(List.of(t.body()), ctx, def);
            }
            f = interrupted(bed.afterTest(f));
            if (f != null && Interrupts.reason() == null) {
                attachJournals(bed);
            }
            events.finishTest(tr, f);
            stopped = Interrupts.reason() != null ? Interrupts.reason() : stopReason(f, bed.machines().values(), isolation(def));
        }
        if (!def.teardowns().isEmpty() && bootFailure == null && Interrupts.reason() == null) {
            TestRun td = events.startTest("teardown", TestRun.Kind.TEARDOWN);
            Throwable f = stopped != null && stopped.startsWith("failOn") ? null : BlockRunner.run(def.teardowns(), ctx, def);
            events.finishTest(td, f);
        }
    }

    /** A failed test gets the journal of every running systemd guest (an image jvt built), as NixOS tests show it. */
    private static void attachJournals(Testbed bed) {
        for (Machine m : bed.machines().values()) {
            if (m.config().image() != null && m.isRunning() && m.failure() == null) {
                try {
                    java.nio.file.Path f = m.directory().resolve("journal-" + System.currentTimeMillis() + ".txt");
                    java.nio.file.Files.writeString(f, m.journal());
                    bed.events().attach(m.getName() + ": journal", f, "text/plain");
                } catch (java.io.IOException | RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(ScenarioRunner.class).debug("no journal of {}", m.getName(), e);
                }
            }
        }
    }

    /** Runs {@code action}; returns what it threw, or null. */
    private static Throwable attempt(Runnable action) {
        try {
            action.run();
            return null;
        } catch (RuntimeException | Error e) {
            return e;
        }
    }

    /** The scenario's isolation; a recorded run is one QEMU process per machine, so tests run in sequence. */
    private ScenarioDefinition.Isolation isolation(ScenarioDefinition def) {
        return settings.options() != null && settings.options().record() ? ScenarioDefinition.Isolation.SEQUENTIAL : def.isolation();
    }

    /** Brings the machines (and networks) back to the state after setup, as the scenario's isolation says. */
    private Throwable prepareTest(ScenarioDefinition def, Testbed bed, TestContext ctx) {
        return switch (isolation(def)) {
            case SNAPSHOT -> attempt(() -> bed.rewind(Testbed.AFTER_SETUP));
            case REBOOT -> {
                Throwable f = attempt(bed::reboot);
                yield f != null ? f : BlockRunner.run(def.setups(), ctx, def);
            }
            default -> null;
        };
    }

    /** Why the rest of the scenario cannot run after {@code failure}, or null if it can. */
    private static String stopReason(Throwable failure, Iterable<Machine> machines, ScenarioDefinition.Isolation isolation) {
        if (failure instanceof GuestFailureException g) {
            return "failOn matched on " + g.machine();
        }
        for (Machine m : machines) {
            Throwable f = m.failure();
            if (f instanceof GuestFailureException g) {
                return "failOn matched on " + g.machine();
            }
            if (f != null && !m.isRunning() && isolation == ScenarioDefinition.Isolation.SEQUENTIAL) {
                return "machine " + m.getName() + " is down (" + firstLine(f.getMessage()) + ")";
            }
        }
        return null;
    }

    private static String firstLine(String s) {
        int i = s == null ? -1 : s.indexOf('\n');
        return i < 0 ? String.valueOf(s) : s.substring(0, i);
    }
}
