package dev.jvt.engine;

import dev.jvt.engine.events.Events;
import dev.jvt.engine.net.Faults;
import dev.jvt.engine.net.Network;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The networks and machines of one scenario, brought up and torn down together: the single owner
 * of a scenario's parts, used by {@code jvt run}, the REPL and the Spock entry point alike.
 *
 * <ul>
 *   <li>A network's switch listens when {@link #network} returns, before any QEMU that connects
 *       to it starts (a QEMU stream client started before its server never retries).</li>
 *   <li>{@link #checkpoint} and {@link #rewind} take every machine <em>and</em> every network's
 *       faults (partitions, links, loss, delay) together.</li>
 *   <li>{@link #close} closes every machine, then every network, then the private work folder,
 *       each in its own guard: one that fails does not keep the others running. The machines'
 *       files and the captures are attached to the scenario; the first error is thrown with the
 *       others suppressed.</li>
 * </ul>
 */
public final class Testbed implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Testbed.class);
    /** The checkpoint every test starts from under isolation 'snapshot'. */
    public static final String AFTER_SETUP = "jvt-setup";

    private final Path dir;
    private final Events events;
    private final RunOptions options;
    private final Map<String, Machine> machines = new LinkedHashMap<>();
    /** Shared with every machine's environment: a machine finds its networks here when it starts. */
    private final Map<String, Network> networks = new LinkedHashMap<>();
    private final Map<String, Map<String, Faults>> checkpoints = new LinkedHashMap<>();
    private final AtomicInteger threads = new AtomicInteger();
    private ExecutorService pool;
    private Path work;
    private boolean closed;
    /** The scenario's remote host, if a machine runs on one (connected on first use). */
    private final dev.jvt.engine.remote.RemoteHosts remotes = new dev.jvt.engine.remote.RemoteHosts();

    /**
     * A testbed whose files go to {@code dir} (the scenario's folder of the run directory).
     *
     * @param options the run's modes (deterministic, record), as given on the command line
     */
    public Testbed(Path dir, Events events, RunOptions options) {
        this.dir = dir;
        this.events = events;
        this.options = options == null ? RunOptions.DEFAULT : options;
        if (this.options.record()) {
            events.listeners().add(new RecordingMarks());
        }
    }

    /**
     * Under {@code --record}: each test's start and end, each top-level step's start and end and
     * each failure become marks in every machine's recording, with that machine's instruction
     * count, so {@code jvt replay --at failure|step:N} can stop there. Steps are numbered across
     * the scenario, the same on every machine.
     */
    private final class RecordingMarks implements dev.jvt.engine.events.RunListener {
        private int steps;
        private final Map<dev.jvt.engine.events.Step, Integer> numbers = new java.util.IdentityHashMap<>();
        private final java.util.Set<dev.jvt.engine.events.TestRun> failed = java.util.concurrent.ConcurrentHashMap.newKeySet();

        private void mark(String kind, int step, String test, String title) {
            List<Machine> all;
            synchronized (Testbed.this) {
                all = List.copyOf(machines.values());
            }
            all.forEach(m -> m.mark(kind, step, test, title));
        }

        @Override
        public void testStarted(dev.jvt.engine.events.TestRun test) {
            mark("test", 0, test.name(), null);
        }

        @Override
        public synchronized void stepStarted(dev.jvt.engine.events.TestRun test, dev.jvt.engine.events.Step step) {
            if (step.parent() == null) {
                numbers.put(step, ++steps);
                mark("step", steps, test == null ? null : test.name(), step.label());
            }
        }

        @Override
        public synchronized void stepFinished(dev.jvt.engine.events.TestRun test, dev.jvt.engine.events.Step step) {
            boolean broke = step.status() != dev.jvt.engine.events.Status.PASSED;
            if (broke && test != null && failed.add(test)) {
                mark("failure", steps, test.name(), step.label());
            }
            Integer n = numbers.remove(step);
            if (n != null) {
                mark("step-end", n, test == null ? null : test.name(), step.label());
            }
        }

        @Override
        public void testFinished(dev.jvt.engine.events.TestRun test) {
            if (test.status() != dev.jvt.engine.events.Status.PASSED && test.status() != dev.jvt.engine.events.Status.SKIPPED && failed.add(test)) {
                mark("failure", steps, test.name(), null);
            }
            mark("test-end", 0, test.name(), null);
        }
    }

    public Path directory() {
        return dir;
    }

    public Events events() {
        return events;
    }

    public RunOptions options() {
        return options;
    }

    /** Starts the switch of network {@code name} ({@code subnet} in CIDR form); it listens when this returns. */
    public synchronized Network network(String name, String subnet) {
        open();
        if (networks.containsKey(name)) {
            throw JvtException.badInput("network '" + name + "' is declared twice");
        }
        Network n = Network.start(name, subnet, dir.resolve(name + ".pcap"), work(), events);
        networks.put(name, n);
        return n;
    }

    /** A machine of this testbed (not started): its folder is {@code <dir>/<name>}, it finds its networks here. */
    public synchronized Machine machine(MachineConfig config) {
        open();
        if (machines.containsKey(config.name())) {
            throw JvtException.badInput("machine '" + config.name() + "' is declared twice");
        }
        Machine m = new Machine(config, new MachineEnvironment(events, dir.resolve(config.name()), work(), options, networks, remotes));
        machines.put(config.name(), m);
        return m;
    }

    public Map<String, Machine> machines() {
        return Collections.unmodifiableMap(machines);
    }

    public Map<String, Network> networks() {
        return Collections.unmodifiableMap(networks);
    }

    /** Launches every machine at once and waits until all booted. */
    public void boot() {
        forEach(Machine::bootOrRestore);
    }

    /**
     * Runs {@code action} on every machine at once, each on a thread of its own; throws the first
     * failure (in declaration order) with the others suppressed.
     */
    public void forEach(Consumer<Machine> action) {
        List<Future<?>> all = new ArrayList<>();
        for (Machine m : machines.values()) {
            all.add(pool().submit(() -> action.accept(m)));
        }
        List<Throwable> errors = new ArrayList<>();
        for (Future<?> f : all) {
            try {
                f.get();
            } catch (ExecutionException e) {
                errors.add(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                all.forEach(x -> x.cancel(true));
                throw JvtException.testFailure("interrupted while waiting for the machines of '" + events.scenario().name() + "'");
            }
        }
        Cleanup.throwFirst(errors);
    }

    /**
     * What a test's outcome must say about the testbed's health: a network whose switch died
     * during the test fails it (with the test's own failure, if any, as the cause), and is
     * restarted for the next one. Returns {@code failure} when all is well.
     */
    public Throwable afterTest(Throwable failure) {
        Throwable out = failure;
        for (Network n : networks.values()) {
            JvtException dead = n.checkSwitch();
            if (dead != null) {
                JvtException e = out == null ? dead
                        : JvtException.infrastructure(dead.getMessage() + "\nthe test failed with: " + out.getMessage(), out);
                if (out != null) {
                    e.addSuppressed(dead);
                }
                out = e;
            }
        }
        return out;
    }

    /** Saves every machine under {@code tag} ({@code savevm}) and every network's faults with it. */
    public void checkpoint(String tag) {
        forEach(m -> m.snapshot(tag));
        Map<String, Faults> faults = new LinkedHashMap<>();
        networks.forEach((name, n) -> faults.put(name, n.faults()));
        synchronized (this) {
            checkpoints.put(tag, faults);
        }
    }

    /**
     * Brings every machine back to checkpoint {@code tag} (a machine that is down starts again from
     * it) and every network back to the faults it had then.
     */
    public void rewind(String tag) {
        forEach(m -> m.rewind(tag));
        Map<String, Faults> faults;
        synchronized (this) {
            faults = checkpoints.get(tag);
        }
        if (faults != null) {
            faults.forEach((name, f) -> networks.get(name).restore(f));
        }
    }

    /** Whether {@link #checkpoint} saved {@code tag}. */
    public synchronized boolean hasCheckpoint(String tag) {
        return checkpoints.containsKey(tag);
    }

    /** Boots every machine afresh (isolation 'reboot'): a running one is crashed first. */
    public void reboot() {
        forEach(m -> {
            if (m.isRunning()) {
                m.crash();
            }
            m.bootOrRestore();
        });
    }

    /** Pauses every running machine (the state the REPL's prompt opens in). */
    public void pauseAll() {
        forEach(m -> {
            if (m.isRunning() && !m.isPaused()) {
                m.pause();
            }
        });
    }

    /**
     * Closes every machine (attaching its files), then every network (attaching its capture), then
     * deletes the work folder, each in its own guard; throws the first error with the rest
     * suppressed. Idempotent.
     */
    @Override
    public void close() {
        List<Throwable> errors = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (Machine m : machines.values()) {
            Cleanup.guard(errors, m::close);
            Cleanup.guard(errors, () -> m.folder().attachTo(events));
        }
        for (Network n : networks.values()) {
            Cleanup.guard(errors, n::close);
            Cleanup.guard(errors, () -> events.attachToScenario(n.getName() + ": packet capture", n.getPcap(), "application/vnd.tcpdump.pcap"));
        }
        Cleanup.guard(errors, remotes::close);
        Cleanup.guard(errors, () -> WorkFolder.delete(work));
        if (pool != null) {
            pool.shutdownNow();
        }
        errors.forEach(e -> LOG.debug("closing the testbed of '{}'", events.scenario().name(), e));
        Cleanup.throwFirst(errors);
    }

    private void open() {
        if (closed) {
            throw JvtException.infrastructure("the testbed of '" + events.scenario().name() + "' is closed");
        }
    }

    /** The private (0700) folder for sockets, FIFOs, vmstate and overlays, made on first use. */
    private synchronized Path work() {
        if (work == null) {
            try {
                Files.createDirectories(dir);
                work = WorkFolder.create("jvt-");
            } catch (IOException e) {
                throw JvtException.infrastructure("cannot create a folder for the machines' sockets: " + e.getMessage(), e);
            }
        }
        return work;
    }

    /** One named thread per machine action, so a thread dump says which machine waits for what. */
    private synchronized ExecutorService pool() {
        if (pool == null) {
            String scenario = events.scenario().name();
            pool = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "jvt-testbed-" + scenario + "-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }
}
