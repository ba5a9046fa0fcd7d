package dev.jvt.engine.qemu;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.Retry;
import dev.jvt.engine.SerialPipe;
import dev.jvt.engine.Timeouts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One QEMU process and its connections: the sockets and FIFOs jvt opens before QEMU starts (so no
 * byte of early output is lost), the monitor, the thread that reads the serial console for the
 * process's whole life (a guest whose console is not read blocks), the command port, and the
 * process's exit. A machine starts one per QEMU process it runs; {@code jvt replay} and the
 * boot benchmark start theirs with a command line of their own.
 *
 * <p>The wiring must match the command line: see {@link Wiring}.
 */
public final class QemuSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QemuSession.class);

    /** How the command port reaches the guest. */
    public enum Port {
        /** No command port. */
        NONE,
        /** {@code cmd.sock}: QEMU connects to a socket jvt listens on (the virtio-serial port). */
        SOCKET,
        /** {@code cmd.in}/{@code cmd.out}: FIFOs (QEMU's pipe chardev), under --deterministic and --record. */
        PIPE
    }

    /**
     * How QEMU's chardevs are wired, in the session's socket folder.
     *
     * @param monitorServer QEMU listens on {@code qmp.sock} ({@code -qmp unix:…,server=on}, recorded runs) and jvt
     *                      connects; otherwise jvt listens and QEMU connects
     * @param serialPipe    the serial console is the FIFO pair {@code serial.in}/{@code serial.out}; otherwise {@code serial.sock}
     * @param command       the command port
     * @param guestAgent    {@code qga.sock} for qemu-guest-agent's port org.qemu.guest_agent.0 (QEMU connects to it)
     */
    public record Wiring(boolean monitorServer, boolean serialPipe, Port command, boolean guestAgent) {
        public Wiring(boolean monitorServer, boolean serialPipe, Port command) {
            this(monitorServer, serialPipe, command, false);
        }
    }

    /** The command port's two directions (one socket, or two FIFOs). */
    public record CommandPort(ReadableByteChannel in, WritableByteChannel out) {
    }

    private final String owner;
    private final Path sockets;
    private final QemuProcess process;
    private final Qmp qmp;
    private final WritableByteChannel serialInput;
    private final CommandPort commandPort;
    private final CommandPort guestAgentPort;
    private final List<AutoCloseable> resources;
    private volatile boolean closed;

    private QemuSession(String owner, Path sockets, QemuProcess process, Qmp qmp, WritableByteChannel serialInput,
                        CommandPort commandPort, CommandPort guestAgentPort, List<AutoCloseable> resources) {
        this.owner = owner;
        this.sockets = sockets;
        this.process = process;
        this.qmp = qmp;
        this.serialInput = serialInput;
        this.commandPort = commandPort;
        this.guestAgentPort = guestAgentPort;
        this.resources = resources;
    }

    /**
     * Opens the sockets and FIFOs that {@code wiring} names in {@code sockets}, starts {@code command}
     * (its output appended to {@code log}), accepts QEMU's connections and starts reading the serial
     * console into {@code serial}. {@code started} hears of the process before the first byte is read.
     * A QEMU that exits before it connected fails with what it said.
     *
     * @param owner        who the session is for, in messages and thread names (the machine's name)
     * @param commandLineFile where the command line was written, named when QEMU refuses it (may be null)
     */
    public static QemuSession start(String owner, List<String> command, Path sockets, Path log, Path commandLineFile,
                                    Wiring wiring, Consumer<byte[]> serial, Consumer<QemuProcess> started) {
        return start(owner, command, sockets, log, commandLineFile, wiring, serial, started, QemuProcess::start);
    }

    /**
     * As above, QEMU started by {@code launcher} (given the command and the log): a remote host's,
     * whose bridges connect QEMU's sockets there to the ones this session listens on here.
     */
    public static QemuSession start(String owner, List<String> command, Path sockets, Path log, Path commandLineFile,
                                    Wiring wiring, Consumer<byte[]> serial, Consumer<QemuProcess> started,
                                    java.util.function.BiFunction<List<String>, Path, QemuProcess> launcher) {
        List<AutoCloseable> resources = new ArrayList<>();
        List<ServerSocketChannel> servers = new ArrayList<>();
        QemuProcess p = null;
        try {
            Files.createDirectories(sockets);
            ServerSocketChannel qmpServer = wiring.monitorServer() ? null : listen(sockets.resolve("qmp.sock"), servers);
            ServerSocketChannel serialServer = wiring.serialPipe() ? null : listen(sockets.resolve("serial.sock"), servers);
            SerialPipe serialPipe = wiring.serialPipe() ? track(SerialPipe.create(sockets, "serial"), resources) : null;
            SerialPipe cmdPipe = wiring.command() == Port.PIPE ? track(SerialPipe.create(sockets, "cmd"), resources) : null;
            ServerSocketChannel cmdServer = wiring.command() == Port.SOCKET ? listen(sockets.resolve("cmd.sock"), servers) : null;
            ServerSocketChannel qgaServer = wiring.guestAgent() ? listen(sockets.resolve("qga.sock"), servers) : null;
            dev.jvt.engine.host.StartTrace.mark(owner + ": starting QEMU");
            p = launcher.apply(command, log);
            started.accept(p);
            Hint hint = new Hint(owner, p, commandLineFile);
            SocketChannel qmpConn = track(wiring.monitorServer() ? connect(sockets.resolve("qmp.sock"), hint) : accept(qmpServer, hint, "monitor"), resources);
            SocketChannel serialConn = serialServer == null ? null : track(accept(serialServer, hint, "serial console"), resources);
            SocketChannel cmdConn = cmdServer == null ? null : track(accept(cmdServer, hint, "command port"), resources);
            SocketChannel qgaConn = qgaServer == null ? null : track(accept(qgaServer, hint, "guest agent port"), resources);
            readSerial(owner, serialPipe != null ? serialPipe.output() : serialConn, serial);
            Qmp q = track(new Qmp(owner, qmpConn, Timeouts.MONITOR), resources);
            QemuProcess started0 = p;
            q.onNoReply(started0::killHung);
            CommandPort port = cmdConn != null ? new CommandPort(cmdConn, cmdConn)
                    : cmdPipe != null ? new CommandPort(cmdPipe.output(), cmdPipe.input()) : null;
            return new QemuSession(owner, sockets, p, q, serialPipe != null ? serialPipe.input() : serialConn, port,
                    qgaConn == null ? null : new CommandPort(qgaConn, qgaConn), resources);
        } catch (IOException | RuntimeException e) {
            if (p != null && !(e instanceof JvtException j && j.getMessage().contains(": QEMU exited "))
                    && p.waitFor(Duration.ofSeconds(1))) {
                // QEMU refused what it was given after it connected (a kernel that is no kernel, a
                // bad option value): its own words say why, not the broken connection
                JvtException why = new Hint(owner, p, commandLineFile).exited("it was up");
                why.addSuppressed(e);
                resources.forEach(QemuSession::closeQuietly);
                throw why;
            }
            if (p != null) {
                p.kill();
            }
            resources.forEach(QemuSession::closeQuietly);
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw JvtException.infrastructure(owner + ": cannot start QEMU: " + e.getMessage(), e);
        } finally {
            servers.forEach(QemuSession::closeQuietly);
        }
    }

    public QemuProcess process() {
        return process;
    }

    public Qmp qmp() {
        return qmp;
    }

    /** The folder of this session's sockets and FIFOs. */
    public Path sockets() {
        return sockets;
    }

    /** What is typed on the serial console. */
    public WritableByteChannel serialInput() {
        return serialInput;
    }

    /** The command port, or null when the wiring has none. */
    public CommandPort commandPort() {
        return commandPort;
    }

    /** qemu-guest-agent's port, or null when the wiring has none. */
    public CommandPort guestAgentPort() {
        return guestAgentPort;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Runs {@code action} when QEMU exits without the exit having been asked for (a crash, a kill from outside). */
    public void onUnexpectedExit(Runnable action) {
        process.onExit().thenRun(() -> {
            if (!process.exitExpected() && !closed) {
                action.run();
            }
        });
    }

    /** Kills QEMU if it still runs and closes every connection. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            process.expectExit();
            process.close();
        } finally {
            resources.forEach(QemuSession::closeQuietly);
        }
    }

    // ------------------------------------------------------------------ plumbing shared with replay and bench

    /** Who to blame, and where to look, when QEMU does not connect. */
    private record Hint(String owner, QemuProcess process, Path commandLineFile) {
        JvtException exited(String what) {
            String said = process.logTail(20);
            return JvtException.infrastructure(owner + ": QEMU exited " + process.exitCause() + " before " + what
                    + (said.isBlank() ? " and printed nothing" : ". QEMU said:\n" + said)
                    + (commandLineFile == null ? "" : "\ncommand line: " + commandLineFile));
        }
    }

    /** A UNIX socket listening at {@code path} (replacing a stale one), non-blocking for {@link #accept}. */
    public static ServerSocketChannel listen(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        s.configureBlocking(false);
        return s;
    }

    private static ServerSocketChannel listen(Path path, List<ServerSocketChannel> into) throws IOException {
        ServerSocketChannel s = listen(path);
        into.add(s);
        return s;
    }

    /** Waits for QEMU to connect to {@code server}; fails at once, with QEMU's words, when QEMU exits first. */
    private static SocketChannel accept(ServerSocketChannel server, Hint hint, String what) {
        return accept(server, hint.owner(), hint.process()::isAlive, () -> hint.exited("connecting its " + what), what, Timeouts.MONITOR);
    }

    /** Connects to a socket QEMU listens on (the record-mode monitor), retrying until it exists. */
    private static SocketChannel connect(Path path, Hint hint) {
        return Retry.until("connecting to QEMU's monitor", Timeouts.MONITOR, Duration.ofMillis(5), last -> {
            try {
                return SocketChannel.open(UnixDomainSocketAddress.of(path));
            } catch (IOException e) {
                if (!hint.process().isAlive()) {
                    throw hint.exited("opening its monitor");
                }
                if (last) {
                    throw JvtException.infrastructure(hint.owner() + ": cannot connect to QEMU's monitor " + path + ": " + e.getMessage(), e);
                }
                return null;
            }
        }, gave -> JvtException.infrastructure(hint.owner() + ": QEMU did not open its monitor within " + Timeouts.human(gave.timeout())));
    }

    /**
     * Waits up to {@code timeout} for QEMU to connect to {@code server}, failing at once with what
     * {@code exited} says when the process is no longer {@code alive}.
     *
     * @param owner who waits, in the message when QEMU never connects
     */
    public static SocketChannel accept(ServerSocketChannel server, String owner, BooleanSupplier alive,
                                       Supplier<RuntimeException> exited, String what, Duration timeout) {
        return Retry.until("waiting for QEMU's " + what, timeout, Duration.ofMillis(2), last -> {
            SocketChannel c = server.accept();
            if (c != null) {
                c.configureBlocking(true);
                return c;
            }
            if (!alive.getAsBoolean()) {
                throw exited.get();
            }
            return null;
        }, gave -> JvtException.infrastructure(owner + ": QEMU did not connect its " + what + " within " + Timeouts.human(gave.timeout())));
    }

    /** Reads {@code ch} until QEMU closes it, handing each chunk to {@code sink}, on a daemon thread. */
    public static void readSerial(String owner, ReadableByteChannel ch, Consumer<byte[]> sink) {
        Thread t = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocate(16384);
            try {
                while (ch.read(buf) >= 0) {
                    buf.flip();
                    if (buf.hasRemaining()) {
                        sink.accept(java.util.Arrays.copyOf(buf.array(), buf.limit()));
                    }
                    buf.clear();
                }
            } catch (IOException e) {
                LOG.debug("{}: serial console closed", owner, e);
            }
        }, "jvt-serial-" + owner);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Reads and discards whatever QEMU writes to {@code c} (a console nobody looks at), on a daemon
     * thread, so QEMU never blocks on it; ends when QEMU closes it.
     */
    public static void drain(ReadableByteChannel c, String threadName) {
        readSerial(threadName, c, bytes -> {
        });
    }

    private static <T extends AutoCloseable> T track(T c, List<AutoCloseable> into) {
        if (c != null) {
            into.add(c);
        }
        return c;
    }

    /** Closes {@code c} (null is fine); a failure is logged at debug, never thrown. */
    public static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("closing {}", c, e);
        }
    }

    @Override
    public String toString() {
        return "QEMU session of " + owner + " (pid " + process.pid() + ")";
    }
}
