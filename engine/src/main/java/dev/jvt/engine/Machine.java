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

    private final MachineConfig config;
    private final MachineEnvironment env;
    private final Events events;
    private final Console console;
    private final CommandChannel channel;
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicInteger monitorOutputs = new AtomicInteger();
    private volatile QemuProcess process;
    private volatile Qmp qmp;
    private volatile SocketChannel serial;
    private volatile OutputStream transcript;
    private volatile String accel;
    private volatile boolean booted;
    private final List<Runnable> closeActions = new ArrayList<>();
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

    /** Starts QEMU without waiting for the guest to boot. */
    public void launch() {
        if (isRunning()) {
            throw JvtException.testFailure(config.name() + ": already running");
        }
        config.validate();
        int gen = generation.incrementAndGet();
        console.clearAbort();
        booted = false;
        try {
            Files.createDirectories(env.directory());
            Path sockets = env.sockets().resolve(config.name() + "-" + gen);
            Files.createDirectories(sockets);
            QemuCommandLine.Resolved r = resolve(sockets);
            List<String> cmd = QemuCommandLine.build(config, r);
            Files.writeString(env.directory().resolve("qemu-cmdline.txt"), shellQuote(cmd) + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            if (transcript == null) {
                transcript = Files.newOutputStream(env.directory().resolve("console.log"),
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                console.onBytes(this::writeTranscript);
            }
            ServerSocketChannel qmpServer = listen(sockets.resolve("qmp.sock"));
            ServerSocketChannel serialServer = listen(sockets.resolve("serial.sock"));
            ServerSocketChannel cmdServer = config.builtinGuest() ? listen(sockets.resolve("cmd.sock")) : null;
            QemuProcess p = QemuProcess.start(cmd, env.directory().resolve("qemu.log"));
            process = p;
            events.machineStarted(config.name(), env.directory());
            try {
                SocketChannel qmpConn = accept(qmpServer, p, "monitor");
                serial = accept(serialServer, p, "serial console");
                SocketChannel cmdConn = cmdServer == null ? null : accept(cmdServer, p, "command port");
                startSerialReader(serial);
                if (cmdConn != null) {
                    channel.attach(cmdConn, true);
                }
                qmp = new Qmp(config.name(), qmpConn, Timeouts.MONITOR);
            } finally {
                close(qmpServer);
                close(serialServer);
                close(cmdServer);
            }
            p.onExit().thenRun(() -> onQemuExit(p));
        } catch (IOException e) {
            throw JvtException.infrastructure(config.name() + ": cannot start: " + e.getMessage(), e);
        }
    }

    /**
     * The QEMU command line this machine would start with, its sockets in {@code sockets}
     * (for baselines that start the very same QEMU by hand).
     */
    public List<String> plannedCommandLine(Path sockets) {
        config.validate();
        return QemuCommandLine.build(config, resolve(sockets));
    }

    private QemuCommandLine.Resolved resolve(Path sockets) {
        Path qemu = Prerequisites.qemu(config.arch());
        String a = config.accel();
        if (a.equals("auto")) {
            a = KvmProbe.probe(qemu).works() ? "kvm" : "tcg";
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
            append = "console=ttyS0 panic=-1 jvt.hostname=" + config.name() + " "
                    + (net.kernelParams().isEmpty() ? "" : net.kernelParams() + " ") + append;
        }
        return new QemuCommandLine.Resolved(qemu, a, kernel, initrd, append, sockets, net.qemuArgs());
    }

    private static ServerSocketChannel listen(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        s.configureBlocking(false);
        return s;
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

    private void startSerialReader(SocketChannel ch) {
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
            if (!p.waitFor(timeout)) {
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
            ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            try {
                synchronized (this) {
                    while (buf.hasRemaining()) {
                        serial.write(buf);
                    }
                }
            } catch (IOException e) {
                throw JvtException.infrastructure(config.name() + ": cannot write to the serial console: " + e.getMessage(), e);
            }
        });
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
        if (p != null) {
            p.expectExit();
            p.close();
        }
        Qmp q = qmp;
        if (q != null) {
            q.close();
        }
        close(serial);
        OutputStream t = transcript;
        transcript = null;
        close(t);
        closeActions.forEach(Runnable::run);
        closeActions.clear();
        booted = false;
    }

    @Override
    public String toString() {
        return "machine '" + config.name() + "'";
    }
}
