package dev.jvt.engine;

import dev.jvt.engine.channel.AgentChannel;
import dev.jvt.engine.channel.CommandChannel;
import dev.jvt.engine.channel.ConsoleChannel;
import dev.jvt.engine.channel.NoChannel;
import dev.jvt.engine.channel.QgaChannel;
import dev.jvt.engine.channel.SshChannel;
import dev.jvt.engine.channel.UartAgentChannel;
import dev.jvt.engine.events.Action;
import dev.jvt.engine.events.Events;
import dev.jvt.engine.qemu.QemuProcess;
import dev.jvt.engine.qemu.QemuSession;
import dev.jvt.engine.qemu.Qmp;
import dev.jvt.engine.ssh.SshSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A virtual machine and the handle tests use on it (SPEC §2): commands through its
 * {@link CommandChannel}, the serial console, the QEMU monitor, power, snapshots.
 *
 * <p>The QEMU side lives elsewhere: {@link MachineQemu} makes the command line and starts a
 * {@link QemuSession} per QEMU process (a boot, a restart from a snapshot, a migration target);
 * this class keeps the session that is current, the console across sessions, and the verbs.
 *
 * <p>Every blocking call has a timeout with a named default ({@link Timeouts}); a failure says what
 * was awaited, on which machine, for how long, and shows the last console lines. Every call is a
 * step in the scenario's event stream, tagged with the machine's name, its verb and its arguments.
 */
public final class Machine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Machine.class);
    private static final int CONSOLE_TAIL = CurrentSession.CONSOLE_TAIL;

    private final MachineConfig config;
    private final Events events;
    private final Console console;
    private final CommandChannel channel;
    private final MachineFolder folder;
    private final MachineQemu qemu;
    private final GuestCommands commands;
    private final SystemVerbs system;
    private final SshAccess ssh;
    private final AtomicInteger monitorOutputs = new AtomicInteger();
    private final CurrentSession current;
    private volatile boolean booted;

    public Machine(MachineConfig config, MachineEnvironment env) {
        this.config = config;
        this.events = env.events();
        this.folder = new MachineFolder(config.name(), env.directory());
        this.console = new Console(config.name());
        this.qemu = new MachineQemu(config, env, folder);
        this.ssh = new SshAccess(config, events, () -> qemu.image().sshHostKey(), () -> hostPort(22), this::consoleTail);
        this.channel = switch (config.channel()) {
            case "agent" -> qemu.recording() ? new UartAgentChannel(config.name()) : new AgentChannel(config.name());
            case "qga" -> new QgaChannel(config.name());
            case "console" -> new ConsoleChannel(config.name(), console, config.loginUser(), config.loginPassword());
            case "ssh" -> new SshChannel(config.name(), timeout -> SshSession.open(config.name(), hostPort(22), ssh.login(Map.of()), events, timeout));
            default -> new NoChannel(config.name());
        };
        this.current = new CurrentSession(config.name(), folder, console, channel, qemu);
        this.commands = new GuestCommands(config.name(), events, channel, () -> current.get() != null, this::consoleTail, current::explain);
        this.system = new SystemVerbs(config.name(), events, commands, this::consoleTail);
        console.onLine(line -> events.consoleLine(config.name(), line));
        console.onLine(this::checkFailOn);
        console.onBytes(bytes -> events.consoleOutput(config.name(), bytes, System.nanoTime()));
        console.onFlood(e -> channel.abort(e));  // a command in flight fails with the flood too
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

    /** How commands reach this machine's guest. */
    public CommandChannel channel() {
        return channel;
    }

    /** The accelerator in use: "kvm" or "tcg". */
    public String accelerator() {
        return qemu.accelerator();
    }

    /** The machine's folder in the run directory. */
    public Path directory() {
        return folder.dir();
    }

    /** The files of the machine's folder. */
    public MachineFolder folder() {
        return folder;
    }

    public boolean isRunning() {
        return current.isRunning();
    }

    public boolean isBooted() {
        return booted && isRunning();
    }

    /** The current QEMU process (null before the first start). */
    public QemuProcess process() {
        return current.process();
    }

    // ---------------------------------------------------------------- lifecycle

    /** Starts QEMU without waiting for the guest to boot; does nothing when it already runs. */
    public void launch() {
        launch(s -> List.of());
    }

    /** Launches with {@code extra} arguments for QEMU (given the session's socket folder). */
    private void launch(java.util.function.Function<Path, List<String>> extra) {
        if (isRunning()) {
            return;
        }
        config.validate();
        booted = false;
        current.install(current.start(extra), true);
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

    /** Waits until every expectConsole pattern has appeared in order and the command channel answers. */
    public void waitBooted(Duration timeout) {
        events.step(config.name(), "waiting for boot", () -> {
            long t0 = System.nanoTime();
            for (Pattern p : config.expectConsole()) {
                console.waitFor(p, Retry.remaining(t0, timeout), "expectConsole /" + p.pattern() + "/ during boot (within " + Timeouts.human(timeout) + ")");
            }
            try {
                channel.awaitReady(Retry.remaining(t0, timeout));
            } catch (GuestFailureException e) {
                throw e;
            } catch (JvtException e) {
                // a refused login, an agent that answered nonsense: what the console showed tells why
                throw e.getMessage().contains("\nlast console lines of ") ? e : new JvtException(e.kind(), e.getMessage() + consoleTail(), e);
            } catch (java.util.concurrent.TimeoutException e) {
                throw JvtException.testFailure(config.name() + ": timed out after " + Timeouts.human(timeout)
                        + " waiting for " + channel.describe() + " to answer (boot did not finish)" + consoleTail());
            }
            if (config.image() != null) {
                // the agent starts early; a systemd guest has booted when systemd says so ("running", or
                // "degraded" when a unit failed: then the test's waitForUnit says which)
                CommandChannel.Result r = channel.run("systemctl is-system-running --wait", Retry.remaining(t0, timeout));
                String state = r.stdout().strip();
                if (!state.equals("running") && !state.equals("degraded")) {
                    throw JvtException.testFailure(config.name() + ": systemd did not finish booting: " + state + r.stderr().strip()
                            + consoleTail());
                }
            }
            booted = true;
        });
    }

    /**
     * Launches the machine and waits for its boot, or, when boot reuse is on and the boot cache
     * holds this very boot (see {@link BootCache}), starts it from there instead; a fresh boot is
     * then stored for the next run. A cache entry that fails its check, or does not come up, is
     * deleted and the machine boots.
     */
    public void bootOrRestore() {
        String key = qemu.bootCacheKey();
        String corrupt = null;
        if (key != null) {
            java.util.Optional<BootCache.Entry> e = BootCache.lookup(key);
            if (e.isPresent()) {
                String[] bad = new String[1];
                if (restore(e.get(), bad)) {
                    return;
                }
                if (bad[0] != null) {
                    LOG.warn("{}: boot cache entry {} is not used and deleted: {}", config.name(), e.get().dir(), bad[0]);
                    corrupt = "boot cache entry " + key + " is corrupt (" + bad[0] + "): deleted, booting";
                }
                BootCache.remove(e.get().dir());
            }
        }
        long t0 = System.nanoTime();
        Path ram = null;
        try {
            if (key != null && !isRunning()) {
                // the memory is a file while this boot runs, so that it can be stored
                Path r = BootCache.newRamFile(config.name(), config.memoryMiB(), qemu.workFolder());
                ram = r;
                launch(sk -> BootCache.bootRamArgs(r, config.memoryMiB()));
            } else {
                launch();
            }
            if (corrupt != null) {
                // once QEMU runs: the transcript file is opened by the first start
                note(corrupt);
            }
            int from = console.byteCount();
            waitBooted();
            if (ram != null) {
                double seconds = (System.nanoTime() - t0) / 1e9;
                Path r = ram;
                try {
                    events.step(config.name(), "store the boot in the boot cache", () -> {
                        try {
                            byte[] all = console.bytes();
                            BootCache.store(key, current.get().qmp(), current.get().sockets(), r, qemu.bootWrittenDisks(), java.util.Arrays.copyOfRange(all, Math.min(from, all.length), all.length), seconds);
                        } catch (IOException x) {
                            throw JvtException.infrastructure(config.name() + ": cannot store the boot: " + x.getMessage(), x);
                        }
                    });
                } catch (RuntimeException x) {
                    // the machine runs on: a boot that could not be stored is only a slower next run
                    LOG.warn("{}: the boot was not stored in the boot cache: {}", config.name(), x.getMessage());
                }
            }
        } finally {
            if (ram != null) {
                // QEMU keeps its mapping; the memory goes when QEMU does
                try {
                    Files.deleteIfExists(ram);
                } catch (IOException x) {
                    LOG.debug("cannot delete {}", ram, x);
                }
            }
        }
    }

    /**
     * Starts the machine from boot cache entry {@code e}; false (the machine stopped again) when it
     * does not come up, or when the check of the entry's files (run while QEMU loads them, and
     * before the guest may run) fails: then {@code bad[0]} says what differs.
     */
    private boolean restore(BootCache.Entry e, String[] bad) {
        java.util.concurrent.CompletableFuture<String> check = new java.util.concurrent.CompletableFuture<>();
        Thread checker = new Thread(() -> {
            try {
                check.complete(BootCache.verify(e));
            } catch (Throwable t) {
                check.complete("it cannot be checked: " + t);
            }
        }, "jvt-" + config.name() + "-verify");
        checker.setDaemon(true);
        checker.start();
        try {
            events.step(Action.of(config.name(), "restore").titled("restored from boot cache"), () -> {
                booted = false;
                byte[] bootConsole;
                try {
                    qemu.placeBootDisks(e.dir().resolve("disks"), e.disks().keySet());
                    bootConsole = e.console();
                } catch (IOException x) {
                    throw JvtException.infrastructure(config.name() + ": cannot read the boot cache entry " + e.dir() + ": " + x.getMessage(), x);
                }
                QemuSession s = current.start(sk -> BootCache.restoreArgs(e, config.memoryMiB()));
                try {
                    BootCache.loadState(s.qmp(), e, s.sockets());
                    Retry.until("restoring " + config.name() + " from the boot cache", Duration.ofSeconds(60), Duration.ofMillis(5), last -> {
                        if (!s.isAlive()) {
                            throw JvtException.infrastructure(config.name() + ": QEMU did not take the boot cache entry " + e.dir() + ":\n"
                                    + s.process().logTail(5));
                        }
                        // the boot was stored paused, so the guest stays paused once its state is in: then it goes on
                        String st = s.qmp().execute("query-status").path("status").asText();
                        return st.equals("inmigrate") ? null : st;
                    }, gave -> JvtException.infrastructure(config.name() + ": restoring from the boot cache did not finish within 60 s"));
                    BootCache.stateLoaded(s.qmp());
                    String problem = join(check);
                    if (problem != null) {
                        bad[0] = problem;
                        throw JvtException.infrastructure(config.name() + ": boot cache entry " + e.dir() + " is corrupt: " + problem);
                    }
                    if (!s.qmp().execute("query-status").path("running").asBoolean(false)) {
                        s.qmp().execute("cont");
                    }
                } catch (RuntimeException x) {
                    s.close();
                    throw x;
                }
                current.install(s, false);
                // the transcript: the boot as it was, then where this run took over
                console.feed(bootConsole, 0, bootConsole.length);
                note(String.format(java.util.Locale.ROOT, "restored from boot cache entry %s (a boot of %.1f s, stored %s)", e.key(), e.bootSeconds(), e.created()));
                for (Pattern p : config.expectConsole()) {
                    console.waitFor(p, Duration.ofSeconds(1), "expectConsole /" + p.pattern() + "/ in the stored boot");
                }
                if (channel instanceof NoChannel) {
                    booted = true;
                    return;
                }
                // the guest's clock is the stored boot's: the first command sets it to now (as after a
                // rewind: no round trip of its own, and the time is right when that command runs)
                commands.setClockBeforeNextCommand(config.builtinGuest());
                booted = true;
            });
            BootCache.touch(e);
            return true;
        } catch (RuntimeException x) {
            stop();
            qemu.resetBootDisks(e.disks().keySet());
            if (bad[0] == null) {
                LOG.warn("{}: boot cache entry {} did not come up ({}): deleted, booting", config.name(), e.dir(), x.getMessage());
                note("boot cache entry " + e.key() + " did not come up: booting");
            }
            return false;
        }
    }

    private static String join(java.util.concurrent.CompletableFuture<String> check) {
        try {
            return check.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException x) {
            return "it could not be checked: " + x;
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            throw JvtException.infrastructure("interrupted");
        }
    }

    /** A line of jvt's own in the console transcript, marked as such. */
    private void note(String text) {
        byte[] before = console.bytes();
        boolean midLine = before.length > 0 && before[before.length - 1] != '\n';
        byte[] b = ((midLine ? "\r\n" : "") + "[jvt: " + text + "]\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        console.feed(b, 0, b.length);
    }

    /** Waits for the boot with the machine's {@code bootTimeout} (default {@link Timeouts#BOOT}). */
    public void waitBooted() {
        waitBooted(config.bootTimeout());
    }

    /** Boots the machine (again, after shutdown or crash) and waits until it is up; nothing when it is up. */
    public void start() {
        if (isBooted()) {
            return;
        }
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
                channel.send("poweroff");
            } else {
                current.get().qmp().execute("system_powerdown");
            }
            boolean off = p.waitFor(timeout);
            if (off) {
                qemu.finishRecording(p, null, console::bytes, Duration.ZERO);
            }
            if (!off) {
                throw JvtException.testFailure(config.name() + ": did not power off within " + Timeouts.human(timeout) + consoleTail());
            }
            booted = false;
        });
    }

    /** Hard stop, like pulling the plug. */
    public void crash() {
        events.step(config.name(), "crash", () -> {
            requireRunning("crash").kill();
            booted = false;
        });
    }

    /** Stops QEMU if it runs (no clean shutdown), keeping the machine usable for a later start. Idempotent. */
    public void stop() {
        current.stop();
        booted = false;
    }

    private QemuProcess requireRunning(String what) {
        QemuProcess p = process();
        Throwable f = console.fatal();
        if (f instanceof RuntimeException re && !(p != null && p.isAlive())) {
            throw re;
        }
        if (p == null || !p.isAlive()) {
            throw JvtException.testFailure(config.name() + ": cannot " + what + ": the machine is not running");
        }
        return p;
    }

    private String consoleTail() {
        return "\nlast console lines of " + config.name() + ":\n" + console.lastLines(CONSOLE_TAIL);
    }

    // ---------------------------------------------------------------- commands

    /** Runs {@code cmd} in the guest; returns [status, stdout] like the NixOS driver. */
    public List<Object> execute(String cmd) {
        return execute(cmd, Timeouts.COMMAND);
    }

    public List<Object> execute(String cmd, Duration timeout) {
        return commands.execute(cmd, timeout);
    }

    /** Runs {@code cmd}; fails with its exit code and output when that is not 0. Returns stdout. */
    public String succeed(String cmd) {
        return succeed(cmd, Timeouts.COMMAND);
    }

    public String succeed(String cmd, Duration timeout) {
        return commands.expect("must succeed", cmd, timeout, true);
    }

    /** Runs {@code cmd}; fails when it exits with 0. Returns stdout. */
    public String fail(String cmd) {
        return fail(cmd, Timeouts.COMMAND);
    }

    public String fail(String cmd, Duration timeout) {
        return commands.expect("must fail", cmd, timeout, false);
    }

    public String waitUntilSucceeds(String cmd) {
        return waitUntilSucceeds(cmd, Timeouts.WAIT_UNTIL);
    }

    /** Retries {@code cmd} until it exits with 0; returns its stdout. */
    public String waitUntilSucceeds(String cmd, Duration timeout) {
        return commands.waitUntil("wait until succeeds", cmd, timeout, true);
    }

    public String waitUntilFails(String cmd) {
        return waitUntilFails(cmd, Timeouts.WAIT_UNTIL);
    }

    /** Retries {@code cmd} until it exits with non-zero; returns its stdout. */
    public String waitUntilFails(String cmd, Duration timeout) {
        return commands.waitUntil("wait until fails", cmd, timeout, false);
    }

    // ---------------------------------------------------------------- real systems (SPEC §6)

    public void waitForUnit(String unit) {
        waitForUnit(unit, Timeouts.WAIT_UNTIL);
    }

    /** Waits until systemd unit {@code unit} is active; fails at once when it failed or nothing will start it. */
    public void waitForUnit(String unit, Duration timeout) {
        system.waitForUnit(unit, timeout);
    }

    /** {@code systemctl ARGS} in the guest: its output, whatever its exit status. */
    public String systemctl(String args) {
        return system.systemctl(args, Timeouts.COMMAND);
    }

    /** The journal of {@code unit} since boot, as text. */
    public String journal(String unit) {
        return system.journal(unit, Timeouts.COMMAND);
    }

    /** The whole journal since boot, as text. */
    public String journal() {
        return system.journal(null, Timeouts.COMMAND);
    }

    public void waitForOpenPort(int port) {
        waitForOpenPort(port, Timeouts.WAIT_UNTIL);
    }

    /** Waits until something listens on TCP {@code port}, checked inside the guest. */
    public void waitForOpenPort(int port, Duration timeout) {
        system.waitForPort(port, true, timeout);
    }

    public void waitForClosedPort(int port) {
        waitForClosedPort(port, Timeouts.WAIT_UNTIL);
    }

    /** Waits until nothing listens on TCP {@code port}, checked inside the guest. */
    public void waitForClosedPort(int port, Duration timeout) {
        system.waitForPort(port, false, timeout);
    }

    /** Copies a host file into the guest over the command channel, checked by SHA-256. */
    public void copyToGuest(Object hostPath, String guestPath) {
        system.copyToGuest(hostPath instanceof Path p ? p : Path.of(String.valueOf(hostPath)), guestPath, Timeouts.COMMAND);
    }

    /** Copies a guest file to the host over the command channel, checked by SHA-256. */
    public void copyFromGuest(String guestPath, Object hostPath) {
        system.copyFromGuest(guestPath, hostPath instanceof Path p ? p : Path.of(String.valueOf(hostPath)), Timeouts.COMMAND);
    }

    /**
     * An SSH session (JSch) through the forward of guest port 22: {@code user} (root), and
     * {@code password} or {@code key} (a private key file). Images jvt builds let root in with jvt's
     * key (or the password root) and their host key is pinned. A rewind drops the connection; the
     * session logs in again on its next use.
     */
    public SshSession ssh(Map<String, ?> options) {
        return ssh.open(options);
    }

    public SshSession ssh() {
        return ssh(Map.of());
    }

    // ---------------------------------------------------------------- console

    /** The full serial transcript so far (carriage returns removed). */
    public String getConsole() {
        return console.text();
    }

    public String waitForConsole(Object pattern) {
        return waitForConsole(pattern, Timeouts.CONSOLE);
    }

    /** Waits for a regex (Pattern) or literal text on the console after the previous match; returns the line. */
    public String waitForConsole(Object pattern, Duration timeout) {
        Pattern p = pattern instanceof Pattern pp ? pp : Pattern.compile(Pattern.quote(String.valueOf(pattern)));
        String shown = pattern instanceof Pattern ? "/" + p.pattern() + "/" : "'" + pattern + "'";
        return events.step(Action.of(config.name(), "wait for console").with("pattern", shown).titled("wait for console " + shown),
                () -> console.waitFor(p, timeout, "console output " + shown));
    }

    /** Types {@code text} on the serial console (no newline added). */
    public void sendConsole(String text) {
        String shown = text.replace("\n", "\\n");
        events.step(Action.of(config.name(), "send console").with("text", shown), () -> {
            requireRunning("type on the console");
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            try {
                synchronized (this) {
                    if (qemu.recording()) {
                        typeByEcho(bytes);
                    } else {
                        AgentChannel.writeFully(current.get().serialInput(), bytes);
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
            AgentChannel.writeFully(current.get().serialInput(), java.util.Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + 4)));
            // no echo within a second: go on, as a person typing would
            Retry.poll("typing on the console", Duration.ofSeconds(1), Duration.ofMillis(5),
                    last -> console.bytes().length != before ? Boolean.TRUE : null);
            sleep(20);
        }
    }

    // ---------------------------------------------------------------- monitor, display, media

    /** Any QEMU monitor (HMP) command; returns its text output, which is also kept in the run directory. */
    public String monitor(String command) {
        return monitor(command, Timeouts.MONITOR);
    }

    public String monitor(String command, Duration timeout) {
        return events.step(Action.of(config.name(), "monitor").with("monitor command", command), () -> {
            requireRunning("run monitor command '" + command + "'");
            String out;
            try {
                out = current.get().qmp().hmp(command, timeout);
            } catch (JvtException e) {
                throw current.explain(e);
            }
            Path f = folder.monitorOutput(monitorOutputs.incrementAndGet());
            try {
                Files.writeString(f, "(qemu) " + command + "\n" + out);
                events.attach("monitor: " + command, f, "text/plain");
            } catch (IOException e) {
                LOG.debug("{}: cannot keep the monitor output in {}; it is still returned", config.name(), f, e);
            }
            return out;
        });
    }

    /**
     * The host port (on 127.0.0.1) that {@code forward host: H, guest: guestPort} forwards over TCP;
     * with {@code host: 0} the port jvt picked when the machine started.
     */
    public int hostPort(int guestPort) {
        return qemu.networking().hostPort(guestPort);
    }

    /** The QMP connection of the running QEMU (for engine features and advanced tests). */
    public Qmp qmp() {
        requireRunning("use QMP");
        return current.get().qmp();
    }

    /**
     * {@code info registers} parsed: {@code RIP}, {@code RSP}, {@code RFLAGS} (also {@code RFL}),
     * {@code CR0}… as numbers; segment registers give their selector, GDT/IDT their base.
     */
    public Map<String, java.math.BigInteger> registers() {
        return Registers.parse(monitor("info registers"));
    }

    /** Stops the virtual CPUs (QMP {@code stop}); input sent meanwhile is delivered after resume. */
    public void pause() {
        events.step(config.name(), "pause", () -> {
            requireRunning("pause");
            current.get().qmp().execute("stop");
        });
    }

    /** Continues the virtual CPUs (QMP {@code cont}). */
    public void resume() {
        events.step(config.name(), "resume", () -> {
            requireRunning("resume");
            current.get().qmp().execute("cont");
        });
    }

    /** Whether the virtual CPUs are running (QMP {@code query-status}). */
    public boolean isPaused() {
        requireRunning("query status");
        return !current.get().qmp().execute("query-status").path("running").asBoolean(true);
    }

    /** The display as a PNG in the machine's folder, attached to the report; returns the file. */
    public Path screenshot(String name) {
        Snapshots.checkName(name, "screenshot");
        return events.step(Action.of(config.name(), "screenshot").with("name", name).titled("screenshot '" + name + "'"), () -> {
            requireRunning("take a screenshot");
            if (qemu.remoteAddress() != null) {
                throw JvtException.badInput(config.name() + ": screenshot is not supported on a remote host yet (QEMU would write the file there)");
            }
            Qmp q = current.get().qmp();
            Path file = folder.screenshot(name);
            Files.createDirectories(file.getParent());
            q.execute("screendump", Map.of("filename", file.toAbsolutePath().toString(), "format", "png"), Timeouts.MONITOR);
            events.attach("screenshot " + name, file, "image/png");
            return file;
        });
    }

    /** Inserts {@code file} into removable drive {@code device} ('cd0', …), as the monitor's change does. */
    public void change(String device, Object file) {
        Path p = file instanceof Path pp ? pp : Path.of(String.valueOf(file));
        events.step(Action.of(config.name(), "change").with("device", device).with("file", p).titled("change " + device + " " + p), () -> {
            requireRunning("change media");
            if (!Files.isReadable(p)) {
                throw JvtException.badInput(config.name() + ": change " + device + ": file not found: " + p.toAbsolutePath());
            }
            current.get().qmp().execute("blockdev-change-medium", Map.of("device", device, "filename", p.toAbsolutePath().toString(),
                    "format", "raw", "read-only-mode", "read-only"), Timeouts.MONITOR);
        });
    }

    /** Ejects the medium of removable drive {@code device}. */
    public void eject(String device) {
        events.step(Action.of(config.name(), "eject").with("device", device).titled("eject " + device), () -> {
            requireRunning("eject media");
            current.get().qmp().execute("eject", Map.of("device", device, "force", true), Timeouts.MONITOR);
        });
    }

    // ---------------------------------------------------------------- snapshots and migration

    /** Saves the whole machine (memory, devices, disks) under {@code name}. */
    public void snapshot(String name) {
        Snapshots.checkName(name, "snapshot");
        events.step(Action.of(config.name(), "snapshot").with("name", name).titled("snapshot '" + name + "'"), () -> {
            Snapshots.notWhileRecording(config.name(), qemu.recording(), "snapshot");
            requireRunning("take a snapshot");
            Snapshots.save(config.name(), current.get().qmp(), name);
        });
    }

    /**
     * Goes back to snapshot {@code name}: the running QEMU loads it; a machine that is down (it
     * crashed, or was shut down) is started anew straight from the snapshot. The command channel
     * is re-synced: what was in flight belongs to a past that is gone.
     */
    public void rewind(String name) {
        Snapshots.checkName(name, "rewind");
        events.step(Action.of(config.name(), "rewind").with("name", name).titled("rewind to '" + name + "'"), () -> {
            Snapshots.notWhileRecording(config.name(), qemu.recording(), "rewind");
            console.endLine();  // the rewind cuts the guest's output wherever it is
            ssh.disconnectAll();  // the guest's side of their TCP connections is gone
            if (!(console.fatal() instanceof GuestFailureException) && !console.flooded() && isRunning()) {
                Snapshots.load(config.name(), current.get().qmp(), name);
                channel.resync();
            } else {
                stop();
                current.install(current.start(s -> List.of("-loadvm", name)), false);
            }
            booted = true;
            console.skipToEnd();
            if (config.image() != null) {
                // the guest's clock went back to the snapshot's moment: the next command sets it to the
                // host's time first (systemd guests log and time out by it); the built-in guest is left
                // alone, its tests time nothing
                commands.setClockBeforeNextCommand(false);
            }
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
            Snapshots.notWhileRecording(config.name(), qemu.recording(), "migrate");
            QemuProcess oldProcess = requireRunning("migrate");
            QemuSession old = current.get();
            QemuSession target = current.start(s -> List.of("-incoming", "unix:" + s.resolve("migrate.sock")));
            try {
                Snapshots.migrate(config.name(), old.qmp(), target, timeout);
            } catch (RuntimeException e) {
                target.close();
                throw e;
            }
            oldProcess.expectExit();
            current.install(target, false);
        });
    }

    // ---------------------------------------------------------------- helpers

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The command line this machine would start with, its sockets in {@code sockets} (for baselines that start the same QEMU by hand). */
    public List<String> plannedCommandLine(Path sockets) {
        return qemu.plannedCommandLine(sockets);
    }

    /** Under {@code --record}: notes a point of the run (see {@link Testbed}'s recording marks) in the recording. */
    void mark(String kind, int step, String test, String title) {
        qemu.mark(kind, step, test, title);
    }

    /** Ends the recording (under --record), kills QEMU if it still runs and releases the transcript. Idempotent. */
    @Override
    public void close() {
        QemuSession s = current.get();
        try {
            if (s != null) {
                qemu.finishRecording(s.process(), s, console::bytes, Duration.ofSeconds(20));
            }
        } finally {
            ssh.closeAll();
            current.close();
            booted = false;
        }
    }

    @Override
    public String toString() {
        return "machine '" + config.name() + "'";
    }
}
