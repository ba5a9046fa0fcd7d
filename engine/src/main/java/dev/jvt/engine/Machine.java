package dev.jvt.engine;

import dev.jvt.engine.events.Events;
import dev.jvt.engine.guest.BuiltinGuest;
import dev.jvt.engine.guest.GuestKit;
import dev.jvt.engine.host.KvmProbe;
import dev.jvt.engine.host.Prerequisites;
import dev.jvt.engine.net.MachineNetworking;
import dev.jvt.engine.qemu.QemuProcess;
import dev.jvt.engine.qemu.Qmp;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A running virtual machine and the handle tests use on it (SPEC §2): commands through the
 * built-in guest's command channel, the serial console, the QEMU monitor, power.
 *
 * <p>Every blocking call has a timeout with a named default ({@link Timeouts}); a failure says what
 * was awaited, on which machine, for how long, and shows the last console lines. Every call is a
 * step in the scenario's event stream, tagged with the machine's name.
 */
public final class Machine implements AutoCloseable {
    private static final int CONSOLE_TAIL = 15;
    private static final Pattern NETDEV_ID = Pattern.compile("(?:^|,)id=([^,]+)");

    private final MachineConfig config;
    private final MachineEnvironment env;
    private final Events events;
    private final Console console;
    private final CommandChannel channel;
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicInteger monitorOutputs = new AtomicInteger();
    private volatile QemuProcess process;
    private volatile Qmp qmp;
    private volatile java.nio.channels.WritableByteChannel serial;
    private volatile java.io.Closeable serialResource;
    private volatile OutputStream transcript;
    private volatile String accel;
    private volatile boolean booted;
    private final MachineNetworking networking;

    public Machine(MachineConfig config, MachineEnvironment env) {
        this.config = config;
        this.env = env;
        this.events = env.events();
        this.console = new Console(config.name());
        this.channel = new CommandChannel(config.name());
        console.onLine(line -> events.consoleLine(config.name(), line));
        console.onLine(this::checkFailOn);
        console.onBytes(bytes -> events.consoleOutput(config.name(), bytes, System.nanoTime()));
        this.networking = new MachineNetworking(config, events.scenario().name());
    }

    public String getName() {
        return config.name();
    }

    public MachineConfig config() {
        return config;
    }

    /** The serial console object (waits, listeners, raw bytes). */
    public Console serialConsole() {
        return console;
    }

    /** The accelerator in use: "kvm" or "tcg". */
    public String accelerator() {
        return accel;
    }

    /** The machine's folder in the run directory. */
    public Path directory() {
        return env.directory();
    }

    public boolean isRunning() {
        QemuProcess p = process;
        return p != null && p.isAlive();
    }

    public boolean isBooted() {
        return booted && isRunning();
    }

    public QemuProcess process() {
        return process;
    }

    // ---------------------------------------------------------------- lifecycle

    /** One QEMU process and its connections. */
    private record Session(QemuProcess process, Qmp qmp, java.nio.channels.WritableByteChannel serial, java.io.Closeable serialResource,
                           SocketChannel cmd, SerialPipe cmdFifo, Path sockets) {
    }

    /** Starts QEMU without waiting for the guest to boot. */
    public void launch() {
        if (isRunning()) {
            throw JvtException.testFailure(config.name() + ": already running");
        }
        config.validate();
        booted = false;
        install(startQemu(s -> List.of()), true);
    }

    /**
     * Starts a QEMU process for this machine with {@code extra} arguments (given its socket
     * folder) and connects to it. The caller installs the session as the current one.
     */
    private Session startQemu(java.util.function.Function<Path, List<String>> extra) {
        int gen = generation.incrementAndGet();
        try {
            Files.createDirectories(env.directory());
            Path sockets = work().resolve("s" + gen);
            Files.createDirectories(sockets);
            QemuCommandLine.Resolved r = resolve(sockets, extra.apply(sockets));
            List<String> cmd = QemuCommandLine.build(config, r);
            Files.writeString(env.directory().resolve("qemu-cmdline.txt"), shellQuote(cmd) + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            if (transcript == null) {
                transcript = Files.newOutputStream(env.directory().resolve("console.log"),
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                console.onBytes(this::writeTranscript);
            }
            ServerSocketChannel qmpServer = recording() ? null : listen(sockets.resolve("qmp.sock"));
            boolean pipe = mode() != QemuCommandLine.Mode.NORMAL;
            ServerSocketChannel serialServer = pipe ? null : listen(sockets.resolve("serial.sock"));
            SerialPipe serialPipe = pipe ? SerialPipe.create(sockets, "serial") : null;
            boolean cmdPipe = pipe && !recording() && config.builtinGuest();
            SerialPipe cmdFifo = cmdPipe ? SerialPipe.create(sockets, "cmd") : null;
            ServerSocketChannel cmdServer = config.builtinGuest() && !cmdPipe ? listen(sockets.resolve("cmd.sock")) : null;
            QemuProcess p = QemuProcess.start(cmd, env.directory().resolve("qemu.log"));
            events.machineStarted(config.name(), env.directory());
            try {
                SocketChannel qmpConn = recording() ? connect(sockets.resolve("qmp.sock"), p) : accept(qmpServer, p, "monitor");
                SocketChannel serialConn = pipe ? null : accept(serialServer, p, "serial console");
                SocketChannel cmdConn = cmdServer == null ? null : accept(cmdServer, p, "command port");
                startSerialReader(pipe ? serialPipe.output() : serialConn);
                Qmp q = new Qmp(config.name(), qmpConn, Timeouts.MONITOR);
                if (recording()) {
                    recorder().started(p, cmd, r, console.bytes().length, generation.get());
                }
                return pipe ? new Session(p, q, serialPipe.input(), serialPipe, cmdConn, cmdFifo, sockets)
                        : new Session(p, q, serialConn, serialConn, cmdConn, null, sockets);
            } catch (RuntimeException e) {
                p.kill();
                throw e;
            } finally {
                close(qmpServer);
                close(serialServer);
                close(cmdServer);
            }
        } catch (IOException e) {
            throw JvtException.infrastructure(config.name() + ": cannot start: " + e.getMessage(), e);
        }
    }

    /** Makes {@code s} the machine's current QEMU. */
    private void install(Session s, boolean expectHello) {
        console.clearAbort();
        process = s.process();
        qmp = s.qmp();
        close(serialResource);
        serial = s.serial();
        serialResource = s.serialResource();
        if (s.cmd() != null) {
            channel.paced(recording());
            channel.attach(s.cmd(), expectHello);
        } else if (s.cmdFifo() != null) {
            channel.paced(false);
            channel.attach(s.cmdFifo().output(), s.cmdFifo().input(), expectHello);
        }
        QemuProcess p = s.process();
        p.onExit().thenRun(() -> onQemuExit(p));
    }

    /** A private folder for this machine's sockets, vmstate and disk overlays (removed with the run's work folder). */
    private Path work() throws IOException {
        return Files.createDirectories(env.sockets().resolve(config.name()));
    }

    /**
     * The QEMU command line this machine would start with, its sockets in {@code sockets}
     * (for baselines that start the very same QEMU by hand).
     */
    public List<String> plannedCommandLine(Path sockets) {
        config.validate();
        return QemuCommandLine.build(config, resolve(sockets, List.of()));
    }

    private QemuCommandLine.Mode mode() {
        return env.options() == null ? QemuCommandLine.Mode.NORMAL : env.options().mode();
    }

    private boolean recording() {
        return mode() == QemuCommandLine.Mode.RECORD;
    }

    private QemuCommandLine.Resolved resolve(Path sockets, List<String> extra) {
        Path qemu = Prerequisites.qemu(config.arch());
        String a = config.accel();
        if (mode() != QemuCommandLine.Mode.NORMAL) {
            if (a.equals("kvm")) {
                throw JvtException.badInput(config.name() + ": accel 'kvm' cannot be used with --deterministic or --record (they need TCG)");
            }
            a = "tcg";
        } else if (a.equals("auto")) {
            Path probeKernel = config.builtinGuest() ? Prerequisites.guestKit().kernel() : config.kernel();
            a = KvmProbe.probe(qemu, probeKernel).works() ? "kvm" : "tcg";
        }
        accel = a;
        Path kernel = config.kernel();
        Path initrd = config.initrd();
        String append = config.append();
        MachineNetworking.Plan net = networking.plan(env.networks(), config.builtinGuest());
        if (config.builtinGuest()) {
            GuestKit kit = Prerequisites.guestKit();
            kernel = kit.kernel();
            initrd = BuiltinGuest.image(kit, config.guest());
            append = "console=ttyS0 panic=-1 jvt.hostname=" + config.name() + (recording() ? " jvt.cmd=ttyS1" : "") + " "
                    + (net.kernelParams().isEmpty() ? "" : net.kernelParams() + " ") + append;
        }
        List<String> args = new ArrayList<>(storage().args());
        if (recording()) {
            // QEMU 7.2's virtio-net (tx=bh) reschedules its transmit bottom half with a plain
            // qemu_bh_schedule when the guest queued more frames meanwhile: that runs at a moment of
            // the host's choosing, which the log does not hold, and the replay then takes the
            // transmit-done interrupt at another instruction and stalls (README, record/replay).
            // The timer variant re-arms on the virtual clock, which replays exactly. Network input
            // is recorded only through a replay filter on each netdev.
            List<String> n = net.qemuArgs();
            List<String> filters = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                String arg = n.get(i);
                args.add(arg.startsWith("virtio-net-pci,") ? "virtio-net-pci,tx=timer," + arg.substring("virtio-net-pci,".length()) : arg);
                java.util.regex.Matcher m = i + 1 < n.size() && arg.equals("-netdev") ? NETDEV_ID.matcher(n.get(i + 1)) : null;
                if (m != null && m.find()) {
                    filters.addAll(List.of("-object", "filter-replay,id=jvt-rr-" + m.group(1) + ",netdev=" + m.group(1)));
                }
            }
            args.addAll(filters);
        } else {
            args.addAll(net.qemuArgs());
        }
        args.addAll(extra);
        Path log = null;
        if (recording()) {
            if (config.cpus() != 1) {
                throw JvtException.badInput(config.name() + ": --record needs cpus 1 (QEMU record/replay is single-CPU)");
            }
            try {
                log = recorder().bundle().log(recorder().key(), generation.get());
            } catch (IOException e) {
                throw JvtException.infrastructure(config.name() + ": cannot create the replay log: " + e.getMessage(), e);
            }
        }
        return new QemuCommandLine.Resolved(qemu, a, kernel, initrd, append, sockets, args, mode(), log);
    }

    private volatile Recorder recorder;

    private Recorder recorder() {
        if (recorder == null) {
            synchronized (this) {
                if (recorder == null) {
                    Path bundle = env.options().bundle();
                    if (bundle == null) {
                        throw JvtException.badInput("--record needs a bundle folder");
                    }
                    Path runDir = bundle.getParent();
                    String key = runDir.toAbsolutePath().relativize(env.directory().toAbsolutePath()).toString();
                    recorder = new Recorder(dev.jvt.engine.replay.Bundle.at(bundle), key, events.scenario().name(), config.name());
                }
            }
        }
        return recorder;
    }

    private volatile Storage storage;

    /** The machine's disks, created once and kept across restarts (like real disks). */
    private Storage storage() {
        Storage s = storage;
        if (s == null) {
            synchronized (this) {
                if (storage == null) {
                    try {
                        storage = Storage.prepare(config, work(), recording());
                    } catch (IOException e) {
                        throw JvtException.infrastructure(config.name() + ": cannot prepare disks: " + e.getMessage(), e);
                    }
                }
                s = storage;
            }
        }
        return s;
    }

    private static ServerSocketChannel listen(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        s.configureBlocking(false);
        return s;
    }

    /** Connects to a socket QEMU listens on (the record-mode monitor), retrying until it exists. */
    private SocketChannel connect(Path path, QemuProcess p) throws IOException {
        long deadline = System.nanoTime() + Timeouts.MONITOR.toNanos();
        while (true) {
            try {
                return SocketChannel.open(UnixDomainSocketAddress.of(path));
            } catch (IOException e) {
                if (!p.isAlive()) {
                    throw JvtException.infrastructure(config.name() + ": QEMU exited with code " + p.exitCode()
                            + " before opening its monitor. QEMU said:\n" + p.logTail(20));
                }
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                sleep(5);
            }
        }
    }

    private SocketChannel accept(ServerSocketChannel server, QemuProcess p, String what) throws IOException {
        long deadline = System.nanoTime() + Timeouts.MONITOR.toNanos();
        while (System.nanoTime() < deadline) {
            SocketChannel c = server.accept();
            if (c != null) {
                c.configureBlocking(true);
                return c;
            }
            if (!p.isAlive()) {
                throw JvtException.infrastructure(config.name() + ": QEMU exited with code " + p.exitCode()
                        + " before connecting its " + what + ". QEMU said:\n" + p.logTail(20)
                        + "\ncommand line: " + env.directory().resolve("qemu-cmdline.txt"));
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JvtException.infrastructure(config.name() + ": interrupted while starting");
            }
        }
        p.kill();
        throw JvtException.infrastructure(config.name() + ": QEMU did not connect its " + what + " within "
                + Timeouts.human(Timeouts.MONITOR));
    }

    private static void close(java.io.Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    private void startSerialReader(java.nio.channels.ReadableByteChannel ch) {
        Thread t = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocate(16384);
            try {
                while (ch.read(buf) >= 0) {
                    buf.flip();
                    if (buf.hasRemaining()) {
                        console.feed(buf.array(), 0, buf.limit());
                    }
                    buf.clear();
                }
            } catch (IOException ignored) {
                // QEMU went away
            }
        }, "jvt-serial-" + config.name());
        t.setDaemon(true);
        t.start();
    }

    private void writeTranscript(byte[] b) {
        OutputStream o = transcript;
        if (o != null) {
            try {
                o.write(b);
                o.flush();
            } catch (IOException ignored) {
                // the transcript stays in memory
            }
        }
    }

    private void onQemuExit(QemuProcess p) {
        if (p != process || p.exitExpected()) {
            return;
        }
        // let the serial reader drain what QEMU wrote last
        sleep(100);
        died(p);
    }

    /** Records that QEMU died on its own: every wait and command fails from now on with this. */
    private synchronized JvtException died(QemuProcess p) {
        if (console.fatal() instanceof JvtException j) {
            return j;
        }
        JvtException e = JvtException.infrastructure(config.name() + ": QEMU exited unexpectedly with code " + p.exitCode()
                + (p.logTail(10).isBlank() ? "" : "\nQEMU log:\n" + p.logTail(10))
                + "\nlast console lines of " + config.name() + ":\n" + console.lastLines(CONSOLE_TAIL));
        console.abort(e);
        channel.abort(e);
        return e;
    }

    /**
     * A channel or monitor error may only be the first sign that QEMU died; when it did (or does so
     * within a second), the QEMU exit is what the user is told about.
     */
    private RuntimeException explain(RuntimeException e) {
        QemuProcess p = process;
        if (p != null && !p.exitExpected() && (!p.isAlive() || p.waitFor(Duration.ofSeconds(1)))) {
            return died(p);
        }
        return e;
    }

    private void checkFailOn(String line) {
        for (Pattern p : config.failOn()) {
            if (p.matcher(line).find()) {
                GuestFailureException e = new GuestFailureException(config.name(), p.pattern(), line, console.lastLines(CONSOLE_TAIL));
                console.abort(e);
                channel.abort(e);
                return;
            }
        }
    }

    /** Why this machine cannot be used any more (failOn matched, QEMU died), or null. */
    public Throwable failure() {
        return console.fatal();
    }

    /**
     * Waits until every expectConsole pattern has appeared in order and, for the built-in guest,
     * the command channel answers.
     */
    public void waitBooted(Duration timeout) {
        events.step(config.name(), "waiting for boot", () -> {
            long t0 = System.nanoTime();
            for (Pattern p : config.expectConsole()) {
                Duration left = remaining(t0, timeout);
                console.waitFor(p, left, "expectConsole /" + p.pattern() + "/ during boot (within " + Timeouts.human(timeout) + ")");
            }
            if (config.builtinGuest()) {
                try {
                    channel.awaitReady(remaining(t0, timeout));
                } catch (java.util.concurrent.TimeoutException e) {
                    throw JvtException.testFailure(config.name() + ": timed out after " + Timeouts.human(timeout)
                            + " waiting for the built-in guest's command channel to answer (boot did not finish)"
                            + "\nlast console lines of " + config.name() + ":\n" + console.lastLines(CONSOLE_TAIL));
                }
            }
            booted = true;
        });
    }

    public void waitBooted() {
        waitBooted(Timeouts.BOOT);
    }

    private static Duration remaining(long t0, Duration total) {
        long left = total.toNanos() - (System.nanoTime() - t0);
        return Duration.ofNanos(Math.max(1, left));
    }

    /** Boots the machine (again, after shutdown or crash) and waits until it is up. */
    public void start() {
        events.step(config.name(), "start", () -> {
            launch();
            waitBooted();
        });
    }

    /** Powers the guest off cleanly and waits for QEMU to exit. */
    public void shutdown() {
        shutdown(Timeouts.SHUTDOWN);
    }

    public void shutdown(Duration timeout) {
        events.step(config.name(), "shutdown", () -> {
            QemuProcess p = requireRunning("shutdown");
            p.expectExit();
            if (channel.isReady()) {
                channel.fireAndForget("poweroff");
            } else {
                qmp.execute("system_powerdown");
            }
            boolean off = p.waitFor(timeout);
            if (off && recorder != null) {
                recorder.finish(p, null, console::bytes, Duration.ZERO);
            }
            if (!off) {
                throw JvtException.testFailure(config.name() + ": did not power off within " + Timeouts.human(timeout)
                        + "\nlast console lines of " + config.name() + ":\n" + console.lastLines(CONSOLE_TAIL));
            }
            booted = false;
        });
    }

    /** Hard stop, like pulling the plug. */
    public void crash() {
        events.step(config.name(), "crash", () -> {
            QemuProcess p = requireRunning("crash");
            p.kill();
            booted = false;
        });
    }

    private QemuProcess requireRunning(String what) {
        QemuProcess p = process;
        Throwable f = console.fatal();
        if (f instanceof RuntimeException re && !(p != null && p.isAlive())) {
            throw re;
        }
        if (p == null || !p.isAlive()) {
            throw JvtException.testFailure(config.name() + ": cannot " + what + ": the machine is not running");
        }
        return p;
    }

    // ---------------------------------------------------------------- commands

    /** Runs {@code cmd} in the guest; returns [status, stdout] like the NixOS driver. */
    public List<Object> execute(String cmd) {
        return execute(cmd, Timeouts.COMMAND);
    }

    public List<Object> execute(String cmd, Number timeoutSeconds) {
        return execute(cmd, seconds(timeoutSeconds));
    }

    public List<Object> execute(String cmd, Duration timeout) {
        return events.step(config.name(), "execute: " + cmd, () -> {
            CommandChannel.Result r = run(cmd, timeout);
            return List.<Object>of(r.status(), r.stdout());
        });
    }

    /** Runs {@code cmd}; fails with its exit code and output when that is not 0. Returns stdout. */
    public String succeed(String cmd) {
        return succeed(cmd, Timeouts.COMMAND);
    }

    public String succeed(String cmd, Number timeoutSeconds) {
        return succeed(cmd, seconds(timeoutSeconds));
    }

    public String succeed(String cmd, Duration timeout) {
        return events.step(config.name(), "must succeed: " + cmd, () -> {
            CommandChannel.Result r = run(cmd, timeout);
            if (r.status() != 0) {
                throw JvtException.testFailure(config.name() + ": command failed with exit code " + r.status() + ": " + cmd
                        + describeOutput(r));
            }
            return r.stdout();
        });
    }

    /** Runs {@code cmd}; fails when it exits with 0. Returns stdout. */
    public String fail(String cmd) {
        return fail(cmd, Timeouts.COMMAND);
    }

    public String fail(String cmd, Number timeoutSeconds) {
        return fail(cmd, seconds(timeoutSeconds));
    }

    public String fail(String cmd, Duration timeout) {
        return events.step(config.name(), "must fail: " + cmd, () -> {
            CommandChannel.Result r = run(cmd, timeout);
            if (r.status() == 0) {
                throw JvtException.testFailure(config.name() + ": command succeeded but was expected to fail: " + cmd
                        + describeOutput(r));
            }
            return r.stdout();
        });
    }

    public String waitUntilSucceeds(String cmd) {
        return waitUntilSucceeds(cmd, Timeouts.WAIT_UNTIL);
    }

    public String waitUntilSucceeds(String cmd, Number timeoutSeconds) {
        return waitUntilSucceeds(cmd, seconds(timeoutSeconds));
    }

    /** Retries {@code cmd} until it exits with 0; returns its stdout. */
    public String waitUntilSucceeds(String cmd, Duration timeout) {
        return events.step(config.name(), "wait until succeeds: " + cmd, () -> retry(cmd, timeout, true));
    }

    public String waitUntilFails(String cmd) {
        return waitUntilFails(cmd, Timeouts.WAIT_UNTIL);
    }

    public String waitUntilFails(String cmd, Number timeoutSeconds) {
        return waitUntilFails(cmd, seconds(timeoutSeconds));
    }

    /** Retries {@code cmd} until it exits with non-zero; returns its stdout. */
    public String waitUntilFails(String cmd, Duration timeout) {
        return events.step(config.name(), "wait until fails: " + cmd, () -> retry(cmd, timeout, false));
    }

    private String retry(String cmd, Duration timeout, boolean wantSuccess) {
        long t0 = System.nanoTime();
        CommandChannel.Result last = null;
        int attempts = 0;
        while (true) {
            Duration left = remaining(t0, timeout);
            if (attempts > 0 && left.toMillis() <= 1) {
                break;
            }
            try {
                last = run(cmd, left);
                attempts++;
                if ((last.status() == 0) == wantSuccess) {
                    return last.stdout();
                }
            } catch (CommandChannel.CommandTimeout e) {
                attempts++;
                break;
            }
            long pause = Math.min(1000, remaining(t0, timeout).toMillis());
            if (pause <= 1) {
                break;
            }
            sleep(Math.min(pause, 500));
        }
        throw JvtException.testFailure(config.name() + ": timed out after " + Timeouts.human(timeout) + " waiting for `" + cmd
                + "` to " + (wantSuccess ? "succeed" : "fail") + " (" + attempts + " attempts"
                + (last == null ? ")" : ", last exit code " + last.status() + ")" + describeOutput(last)));
    }

    private CommandChannel.Result run(String cmd, Duration timeout) {
        if (!config.builtinGuest()) {
            throw JvtException.testFailure(config.name() + ": has no command channel (it boots its own kernel/disk); "
                    + "use sendConsole/waitForConsole or SSH");
        }
        if (process == null) {
            throw JvtException.testFailure(config.name() + ": is not started");
        }
        try {
            return channel.execute(cmd, timeout);
        } catch (CommandChannel.CommandTimeout e) {
            throw new CommandChannel.CommandTimeout(config.name(), cmd, timeout,
                    "\nlast console lines of " + config.name() + ":\n" + console.lastLines(CONSOLE_TAIL));
        } catch (GuestFailureException e) {
            throw e;
        } catch (JvtException e) {
            throw explain(e);
        }
    }

    private String describeOutput(CommandChannel.Result r) {
        StringBuilder sb = new StringBuilder();
        if (!r.stdout().isEmpty()) {
            sb.append("\nstdout:\n").append(indent(r.stdout()));
        }
        if (!r.stderr().isEmpty()) {
            sb.append("\nstderr:\n").append(indent(r.stderr()));
        }
        return sb.toString();
    }

    private static String indent(String s) {
        String t = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        if (t.length() > 4000) {
            t = "…" + t.substring(t.length() - 4000);
        }
        return "  " + t.replace("\n", "\n  ");
    }

    // ---------------------------------------------------------------- console

    /** The full serial transcript so far (carriage returns removed). */
    public String getConsole() {
        return console.text();
    }

    public String waitForConsole(Object pattern) {
        return waitForConsole(pattern, Timeouts.CONSOLE);
    }

    public String waitForConsole(Object pattern, Number timeoutSeconds) {
        return waitForConsole(pattern, seconds(timeoutSeconds));
    }

    /** Waits for a regex (Pattern) or literal text on the console after the previous match; returns the line. */
    public String waitForConsole(Object pattern, Duration timeout) {
        Pattern p = pattern instanceof Pattern pp ? pp : Pattern.compile(Pattern.quote(String.valueOf(pattern)));
        String shown = pattern instanceof Pattern ? "/" + p.pattern() + "/" : "'" + pattern + "'";
        return events.step(config.name(), "wait for console " + shown,
                () -> console.waitFor(p, timeout, "console output " + shown));
    }

    /** Types {@code text} on the serial console (no newline added). */
    public void sendConsole(String text) {
        events.step(config.name(), "send console: " + text.replace("\n", "\\n"), () -> {
            requireRunning("type on the console");
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            try {
                synchronized (this) {
                    if (recording()) {
                        typeByEcho(bytes);
                    } else {
                        CommandChannel.writePaced(serial, bytes, false);
                    }
                }
            } catch (IOException e) {
                throw JvtException.infrastructure(config.name() + ": cannot write to the serial console: " + e.getMessage(), e);
            }
        });
    }

    /**
     * Types on a UART that QEMU records: its 16-byte FIFO has no flow control then, and a guest that
     * is slow to take bytes (a loaded host) loses them. So a few bytes at a time, each time waiting
     * until the guest answered (a shell echoes what it reads), at most a second per chunk.
     */
    private void typeByEcho(byte[] bytes) throws IOException {
        for (int off = 0; off < bytes.length; off += 4) {
            int before = console.bytes().length;
            CommandChannel.writePaced(serial, java.util.Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + 4)), false);
            long deadline = System.nanoTime() + 1_000_000_000L;
            while (console.bytes().length == before && System.nanoTime() < deadline) {
                sleep(5);
            }
            sleep(20);
        }
    }

    // ---------------------------------------------------------------- monitor

    /** Any QEMU monitor (HMP) command; returns its text output, which is also kept in the run directory. */
    public String monitor(String command) {
        return monitor(command, Timeouts.MONITOR);
    }

    public String monitor(String command, Duration timeout) {
        return events.step(config.name(), "monitor: " + command, () -> {
            requireRunning("run monitor command '" + command + "'");
            String out;
            try {
                out = qmp.hmp(command, timeout);
            } catch (JvtException e) {
                throw explain(e);
            }
            Path f = env.directory().resolve(String.format("monitor-%03d.txt", monitorOutputs.incrementAndGet()));
            try {
                Files.writeString(f, "(qemu) " + command + "\n" + out);
                events.attach("monitor: " + command, f, "text/plain");
            } catch (IOException ignored) {
                // the output is still returned
            }
            return out;
        });
    }

    /**
     * The host port (on 127.0.0.1) that {@code forward host: H, guest: guestPort} forwards over TCP;
     * with {@code host: 0} the port jvt picked when the machine started.
     */
    public int hostPort(int guestPort) {
        return networking.hostPort(guestPort);
    }

    /** The QMP connection of the running QEMU (for engine features and advanced tests). */
    public Qmp qmp() {
        requireRunning("use QMP");
        return qmp;
    }

    // ---------------------------------------------------------------- registers, pause, screenshots

    private static final Pattern REGISTER = Pattern.compile("\\b([A-Z][A-Z0-9]*)\\s*=\\s*([0-9a-fA-F]+)\\b");

    /**
     * {@code info registers} parsed: {@code RIP}, {@code RSP}, {@code RFLAGS} (also {@code RFL}),
     * {@code CR0}… as numbers; segment registers give their selector, GDT/IDT their base.
     */
    public java.util.Map<String, java.math.BigInteger> registers() {
        String text = monitor("info registers");
        return parseRegisters(text);
    }

    static java.util.Map<String, java.math.BigInteger> parseRegisters(String text) {
        java.util.Map<String, java.math.BigInteger> regs = new java.util.LinkedHashMap<>();
        java.util.regex.Matcher m = REGISTER.matcher(text);
        while (m.find()) {
            regs.putIfAbsent(m.group(1), new java.math.BigInteger(m.group(2), 16));
        }
        if (regs.containsKey("RFL")) {
            regs.putIfAbsent("RFLAGS", regs.get("RFL"));
        }
        if (regs.containsKey("EFL")) {
            regs.putIfAbsent("EFLAGS", regs.get("EFL"));
        }
        return regs;
    }

    /** Stops the virtual CPUs (QMP {@code stop}); input sent meanwhile is delivered after resume. */
    public void pause() {
        events.step(config.name(), "pause", () -> {
            requireRunning("pause");
            qmp.execute("stop");
        });
    }

    /** Continues the virtual CPUs (QMP {@code cont}). */
    public void resume() {
        events.step(config.name(), "resume", () -> {
            requireRunning("resume");
            qmp.execute("cont");
        });
    }

    /** Whether the virtual CPUs are running (QMP {@code query-status}). */
    public boolean isPaused() {
        requireRunning("query status");
        return !qmp.execute("query-status").path("running").asBoolean(true);
    }

    /** The display as a PNG in the machine's folder, attached to the report; returns the file. */
    public Path screenshot(String name) {
        checkName(name, "screenshot");
        return events.step(config.name(), "screenshot '" + name + "'", () -> {
            requireRunning("take a screenshot");
            Path file = env.directory().resolve("screenshot-" + name + ".png");
            Files.createDirectories(file.getParent());
            qmp.execute("screendump", java.util.Map.of("filename", file.toAbsolutePath().toString(), "format", "png"), Timeouts.MONITOR);
            events.attach("screenshot " + name, file, "image/png");
            return file;
        });
    }

    // ---------------------------------------------------------------- removable media

    /** Inserts {@code file} into removable drive {@code device} ('cd0', …), as the monitor's change does. */
    public void change(String device, Object file) {
        Path p = file instanceof Path pp ? pp : Path.of(String.valueOf(file));
        events.step(config.name(), "change " + device + " " + p, () -> {
            requireRunning("change media");
            if (!Files.isReadable(p)) {
                throw JvtException.badInput(config.name() + ": change " + device + ": file not found: " + p.toAbsolutePath());
            }
            qmp.execute("blockdev-change-medium", java.util.Map.of("device", device, "filename", p.toAbsolutePath().toString(),
                    "format", "raw", "read-only-mode", "read-only"), Timeouts.MONITOR);
        });
    }

    /** Ejects the medium of removable drive {@code device}. */
    public void eject(String device) {
        events.step(config.name(), "eject " + device, () -> {
            requireRunning("eject media");
            qmp.execute("eject", java.util.Map.of("device", device, "force", true), Timeouts.MONITOR);
        });
    }

    // ---------------------------------------------------------------- snapshots and migration

    private void notWhileRecording(String what) {
        if (recording()) {
            throw JvtException.badInput(config.name() + ": " + what + " is not available with --record "
                    + "(a recording is one QEMU process from boot to the end)");
        }
    }

    private static final Pattern SNAPSHOT_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private static void checkName(String name, String what) {
        if (name == null || !SNAPSHOT_NAME.matcher(name).matches()) {
            throw JvtException.badInput(what + " name '" + name + "' must be 1-64 letters, digits, '_', '.' or '-'");
        }
    }

    /** Saves the whole machine (memory, devices, disks) under {@code name}. */
    public void snapshot(String name) {
        checkName(name, "snapshot");
        events.step(config.name(), "snapshot '" + name + "'", () -> {
            notWhileRecording("snapshot");
            requireRunning("take a snapshot");
            String out = qmp.hmp("savevm " + name, Timeouts.MONITOR);
            if (!out.isBlank()) {
                throw JvtException.testFailure(config.name() + ": snapshot '" + name + "' failed: " + out.strip()
                        + (out.contains("does not support snapshots") ? " (snapshots need qcow2 disks: keep overlay: true)" : ""));
            }
        });
    }

    /**
     * Goes back to snapshot {@code name}: the running QEMU loads it; a machine that is down (it
     * crashed, or was shut down) is started anew straight from the snapshot.
     */
    public void rewind(String name) {
        checkName(name, "rewind");
        events.step(config.name(), "rewind to '" + name + "'", () -> {
            notWhileRecording("rewind");
            if (!(console.fatal() instanceof GuestFailureException) && isRunning()) {
                String out = qmp.hmp("loadvm " + name, Timeouts.MONITOR);
                if (!out.isBlank()) {
                    throw JvtException.testFailure(config.name() + ": rewind to '" + name + "' failed: " + out.strip());
                }
            } else {
                QemuProcess old = process;
                if (old != null && old.isAlive()) {
                    old.kill();
                }
                install(startQemu(s -> List.of("-loadvm", name)), false);
            }
            booted = true;
            console.skipToEnd();
        });
    }

    /**
     * Live-migrates the running guest to a fresh QEMU process with the same configuration, as the
     * monitor's {@code migrate} does between hosts; the guest keeps running, the old process exits.
     */
    public void migrate() {
        migrate(Timeouts.MONITOR);
    }

    public void migrate(Duration timeout) {
        events.step(config.name(), "migrate to a new QEMU process", () -> {
            notWhileRecording("migrate");
            QemuProcess oldProcess = requireRunning("migrate");
            Qmp oldQmp = qmp;
            long t0 = System.nanoTime();
            Session target = startQemu(s -> List.of("-incoming", "unix:" + s.resolve("migrate.sock")));
            try {
                oldQmp.execute("migrate-set-parameters", java.util.Map.of("max-bandwidth", 8L << 30, "downtime-limit", 300), timeout);
                oldQmp.execute("migrate", java.util.Map.of("uri", "unix:" + target.sockets().resolve("migrate.sock")), timeout);
                while (true) {
                    String status = oldQmp.execute("query-migrate").path("status").asText();
                    if (status.equals("completed")) {
                        break;
                    }
                    if (status.equals("failed") || status.equals("cancelled")) {
                        throw JvtException.infrastructure(config.name() + ": migration " + status + ": "
                                + oldQmp.execute("query-migrate").path("error-desc").asText("") + "\nQEMU log:\n" + target.process().logTail(10));
                    }
                    if (System.nanoTime() - t0 > timeout.toNanos()) {
                        throw JvtException.testFailure(config.name() + ": migration did not complete within " + Timeouts.human(timeout)
                                + " (status " + status + ")");
                    }
                    sleep(20);
                }
                // the target starts the guest by itself once the state arrived; wait for that
                long deadline = System.nanoTime() + timeout.toNanos();
                while (!target.qmp().execute("query-status").path("running").asBoolean(false)) {
                    if (System.nanoTime() > deadline) {
                        target.qmp().execute("cont");
                        break;
                    }
                    sleep(10);
                }
            } catch (RuntimeException e) {
                target.process().kill();
                throw e;
            }
            oldProcess.expectExit();
            install(target, false);
            oldQmp.close();
            oldProcess.kill();
        });
    }

    // ---------------------------------------------------------------- helpers

    static Duration seconds(Number n) {
        if (n == null) {
            throw JvtException.badInput("timeout must be a number of seconds or a Duration");
        }
        return Duration.ofMillis(Math.round(n.doubleValue() * 1000));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String shellQuote(List<String> cmd) {
        StringBuilder sb = new StringBuilder();
        for (String s : cmd) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            if (s.matches("[A-Za-z0-9_./=:,+@%-]+")) {
                sb.append(s);
            } else {
                sb.append('\'').append(s.replace("'", "'\\''")).append('\'');
            }
        }
        return sb.toString();
    }

    /** Kills QEMU (if still running) and releases the transcript. Idempotent. */
    @Override
    public void close() {
        QemuProcess p = process;
        if (p != null && recorder != null) {
            recorder.finish(p, qmp, console::bytes, Duration.ofSeconds(20));
        }
        if (p != null) {
            p.expectExit();
            p.close();
        }
        Qmp q = qmp;
        if (q != null) {
            q.close();
        }
        close(serialResource);
        OutputStream t = transcript;
        transcript = null;
        close(t);
        booted = false;
    }

    @Override
    public String toString() {
        return "machine '" + config.name() + "'";
    }
}
