package dev.jvt.dsl.runtime;

import dev.jvt.dsl.ScenarioDefinition;
import dev.jvt.dsl.TestContext;
import dev.jvt.engine.GuestFailureException;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;
import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.MachineEnvironment;
import dev.jvt.engine.events.Events;
import dev.jvt.engine.events.RunListener;
import dev.jvt.engine.events.RunSummary;
import dev.jvt.engine.events.ScenarioRun;
import dev.jvt.engine.events.Status;
import dev.jvt.engine.events.TestRun;
import dev.jvt.engine.net.Network;
import groovy.lang.Closure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Runs scenarios: boots each scenario's machines in parallel, runs setup, then every test
 * (by default from the snapshot taken after setup), then teardown; reports everything to the
 * listeners. Scenarios run {@code parallel} at a time; one scenario's failure never stops another.
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
                String dir = slug(def.name());
                int n = seen.merge(dir, 1, Integer::sum);
                String folder = n == 1 ? dir : dir + "-" + n;
                futures.add(pool.submit(() -> runScenario(def, settings.runDirectory().resolve(folder))));
            }
            for (Future<ScenarioRun> f : futures) {
                try {
                    runs.add(f.get());
                } catch (Exception e) {
                    throw new IllegalStateException("scenario runner failed", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        RunSummary summary = new RunSummary(settings.runDirectory(), runs, System.currentTimeMillis() - t0, exitCode(runs));
        listeners.forEach(l -> l.runFinished(summary));
        return summary;
    }

    /** 0 all passed; 1 a test failed; 2 bad input; 3 missing prerequisite; 4 infrastructure failure. */
    public static int exitCode(List<ScenarioRun> runs) {
        int code = 0;
        for (ScenarioRun r : runs) {
            for (TestRun t : r.tests()) {
                if (t.status() == Status.PASSED || t.status() == Status.SKIPPED) {
                    continue;
                }
                int c = JvtException.kindOf(t.failure()).exitCode;
                code = Math.max(rank(code), rank(c)) == rank(code) ? code : c;
            }
        }
        return code;
    }

    private static int rank(int exitCode) {
        return switch (exitCode) {
            case 1 -> 1;
            case 4 -> 2;
            case 2 -> 3;
            case 3 -> 4;
            default -> 0;
        };
    }

    public static String slug(String name) {
        String s = name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        return s.isEmpty() ? "scenario" : s.length() > 60 ? s.substring(0, 60) : s;
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
        events.scenarioStarted();
        Path sockets = null;
        Map<String, Machine> machines = new LinkedHashMap<>();
        Map<String, Network> nets = new LinkedHashMap<>();
        Map<Network, Object> netStates = new LinkedHashMap<>();
        try {
            Files.createDirectories(dir);
            sockets = dev.jvt.engine.WorkFolder.create("jvt-");
            for (ScenarioDefinition.NetworkDefinition nd : def.networks().values()) {
                // switches listen before any QEMU starts: a stream client never retries
                nets.put(nd.name(), Network.start(nd.name(), nd.subnet(), dir.resolve(nd.name() + ".pcap"), sockets, events));
            }
            for (MachineConfig mc : def.machines().values()) {
                machines.put(mc.name(), new Machine(mc, new MachineEnvironment(events, dir.resolve(mc.name()), sockets, settings.options(), nets)));
            }
            Map<String, Object> networks = new LinkedHashMap<>(nets);
            TestContext ctx = new TestContext(machines, networks);
            String stopped = null;

            TestRun boot = events.startTest("boot", TestRun.Kind.BOOT);
            Throwable bootFailure = bootAll(machines.values());
            events.finishTest(boot, bootFailure);
            if (bootFailure != null) {
                stopped = "boot failed";
            }
            boolean snapshots = isolation(def) == ScenarioDefinition.Isolation.SNAPSHOT && selected.size() > 1;
            if (stopped == null && (!def.setups().isEmpty() || snapshots)) {
                TestRun setup = events.startTest("setup", TestRun.Kind.SETUP);
                Throwable f = runBlocks(def.setups(), ctx, def);
                if (f == null && snapshots) {
                    f = eachMachine(machines.values(), m -> m.snapshot(SETUP_SNAPSHOT));
                    // the switches' faults (partitions, links, loss, delay) belong to the snapshot too
                    nets.values().forEach(n -> netStates.put(n, n.saveState()));
                }
                events.finishTest(setup, f);
                if (f != null) {
                    stopped = "setup failed";
                }
            }
            boolean first = true;
            for (ScenarioDefinition.TestDefinition t : selected) {
                TestRun tr = events.startTest(t.name(), TestRun.Kind.TEST);
                if (stopped != null) {
                    events.finishTest(tr, Status.SKIPPED, JvtException.testFailure("not run: " + stopped));
                    continue;
                }
                Throwable f = null;
                if (!first) {
                    f = prepareTest(def, machines, ctx);
                    if (f == null && isolation(def) == ScenarioDefinition.Isolation.SNAPSHOT) {
                        netStates.forEach(Network::restoreState);
                    }
                }
                first = false;
                if (f == null) {
                    f = runBlocks(List.of(t.body()), ctx, def);
                }
                events.finishTest(tr, f);
                stopped = stopReason(f, machines.values(), isolation(def));
            }
            if (!def.teardowns().isEmpty() && bootFailure == null) {
                TestRun td = events.startTest("teardown", TestRun.Kind.TEARDOWN);
                Throwable f = stopped != null && stopped.startsWith("failOn") ? null : runBlocks(def.teardowns(), ctx, def);
                events.finishTest(td, f);
            }
        } catch (IOException | RuntimeException e) {
            TestRun broken = events.startTest("run", TestRun.Kind.BOOT);
            events.finishTest(broken, e instanceof JvtException ? e : JvtException.infrastructure(String.valueOf(e.getMessage()), e));
        } finally {
            for (Machine m : machines.values()) {
                m.close();
                attachMachineFiles(events, m);
            }
            for (Network n : nets.values()) {
                n.close();
                events.attachToScenario(n.getName() + ": packet capture", n.getPcap(), "application/vnd.tcpdump.pcap");
            }
            dev.jvt.engine.WorkFolder.delete(sockets);
            events.scenarioFinished();
        }
        return run;
    }

    private static void attachMachineFiles(Events events, Machine m) {
        MachineFiles.attach(events, m);
    }

    /** The scenario's isolation; a recorded run is one QEMU process per machine, so tests run in sequence. */
    private ScenarioDefinition.Isolation isolation(ScenarioDefinition def) {
        return settings.options() != null && settings.options().record() ? ScenarioDefinition.Isolation.SEQUENTIAL : def.isolation();
    }

    /** The snapshot every test starts from under isolation 'snapshot'. */
    public static final String SETUP_SNAPSHOT = "jvt-setup";

    /** Brings the machines back to the state after setup, as the scenario's isolation says. */
    private Throwable prepareTest(ScenarioDefinition def, Map<String, Machine> machines, TestContext ctx) {
        switch (isolation(def)) {
            case SNAPSHOT:
                return eachMachine(machines.values(), m -> m.rewind(SETUP_SNAPSHOT));
            case REBOOT: {
                Throwable f = eachMachine(machines.values(), m -> {
                    if (m.isRunning()) {
                        m.crash();
                    }
                    m.launch();
                    m.waitBooted();
                });
                return f != null ? f : runBlocks(def.setups(), ctx, def);
            }
            default:
                return null;
        }
    }

    /** Runs {@code action} on every machine at once; returns the first failure, or null. */
    public static Throwable eachMachine(Iterable<Machine> machines, java.util.function.Consumer<Machine> action) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Machine m : machines) {
            all.add(CompletableFuture.runAsync(() -> action.accept(m)));
        }
        Throwable first = null;
        for (CompletableFuture<Void> f : all) {
            try {
                f.join();
            } catch (CompletionException e) {
                if (first == null) {
                    first = e.getCause();
                }
            }
        }
        return first;
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

    /** Launches every machine at once and waits until all booted; returns the first failure, or null. */
    public static Throwable bootAll(Iterable<Machine> machines) {
        return eachMachine(machines, m -> {
            m.launch();
            m.waitBooted();
        });
    }

    /** Runs closures with {@code ctx} as delegate; returns the failure (with its scenario line), or null. */
    public static Throwable runBlocks(List<Closure<?>> blocks, TestContext ctx, ScenarioDefinition def) {
        try {
            for (Closure<?> body : blocks) {
                Closure<?> c = body.rehydrate(ctx, body.getOwner(), body.getThisObject());
                c.setResolveStrategy(Closure.DELEGATE_FIRST);
                c.call();
            }
            return null;
        } catch (JvtException e) {
            return e;
        } catch (AssertionError e) {
            return located(e, def, e.getMessage());
        } catch (RuntimeException e) {
            String msg = e instanceof groovy.lang.MissingMethodException mm
                    ? "no method " + mm.getMethod() + " on " + (mm.getType() == null ? "?" : mm.getType().getSimpleName())
                    + " for arguments " + java.util.Arrays.toString(mm.getArguments())
                    : e.getClass().getSimpleName() + ": " + e.getMessage();
            return located(e, def, msg);
        }
    }

    private static JvtException located(Throwable e, ScenarioDefinition def, String message) {
        int line = dev.jvt.dsl.Locations.lineIn(e, def.file());
        String where = def.file() == null ? "" : def.source() + (line > 0 ? ":" + line : "") + ": ";
        return new JvtException(JvtException.Kind.TEST_FAILURE, where + message, e);
    }
}
