package dev.jvt.engine;

import dev.jvt.engine.channel.CommandChannel;
import dev.jvt.engine.qemu.QemuProcess;
import dev.jvt.engine.qemu.QemuSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * A machine's QEMU session that is current (there is one per QEMU process: a boot, a restart from
 * a snapshot, a migration target), the console transcript file across sessions, and what happens
 * when QEMU dies on its own: every wait and command of the machine fails from then on with the
 * exit code, QEMU's last words and the last console lines.
 */
final class CurrentSession {
    private static final Logger LOG = LoggerFactory.getLogger(CurrentSession.class);
    static final int CONSOLE_TAIL = 15;

    private final String machine;
    private final MachineFolder folder;
    private final Console console;
    private final CommandChannel channel;
    private final MachineQemu qemu;
    private volatile QemuSession session;
    private volatile OutputStream transcript;
    private volatile boolean transcriptFailed;

    CurrentSession(String machine, MachineFolder folder, Console console, CommandChannel channel, MachineQemu qemu) {
        this.machine = machine;
        this.folder = folder;
        this.console = console;
        this.channel = channel;
        this.qemu = qemu;
    }

    /** The current session, or null before the first start. */
    QemuSession get() {
        return session;
    }

    QemuProcess process() {
        QemuSession s = session;
        return s == null ? null : s.process();
    }

    boolean isRunning() {
        QemuSession s = session;
        return s != null && s.isAlive();
    }

    /**
     * Starts a QEMU process with {@code extra} arguments (given its socket folder), the console
     * going to the machine's console and transcript; it is not current until {@link #install}.
     */
    synchronized QemuSession start(Function<Path, List<String>> extra) {
        if (transcript == null) {
            try {
                Files.createDirectories(folder.dir());
                transcript = Files.newOutputStream(folder.file(MachineFolder.CONSOLE), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw JvtException.infrastructure(machine + ": cannot write " + folder.file(MachineFolder.CONSOLE) + ": " + e.getMessage(), e);
            }
            console.onBytes(this::writeTranscript);
        }
        return qemu.start(extra, b -> console.feed(b, 0, b.length), console::byteCount);
    }

    /**
     * Makes {@code s} current: the previous session is closed, the command channel attached to the
     * new one ({@code fresh}: the guest boots, rather than continuing a saved state).
     */
    synchronized void install(QemuSession s, boolean fresh) {
        console.clearAbort();
        QemuSession old = session;
        session = s;
        if (old != null && old != s) {
            old.close();
        }
        channel.attach(s, fresh);
        s.onUnexpectedExit(() -> {
            // let the serial reader drain what QEMU wrote last
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // only while it is still the current one: a machine rewound meanwhile runs a new QEMU
            // whose console and channel must not hear of the old one's death
            synchronized (this) {
                if (session == s) {
                    died(s.process());
                }
            }
        });
    }

    /** Kills the current QEMU, if any (no clean shutdown). Idempotent. */
    void stop() {
        QemuSession s = session;
        if (s != null) {
            s.close();
        }
    }

    /** Stops QEMU and closes the transcript file. */
    void close() {
        stop();
        OutputStream t = transcript;
        transcript = null;
        QemuSession.closeQuietly(t);
    }

    private void writeTranscript(byte[] b) {
        OutputStream o = transcript;
        if (o != null && !transcriptFailed) {
            try {
                o.write(b);
                o.flush();
            } catch (IOException e) {
                // disk full (or gone): the test fails with the path, the transcript stays in memory
                if (transcriptFailed) {
                    return;
                }
                transcriptFailed = true;
                JvtException failure = JvtException.cannotWrite(machine + ": ", folder.file(MachineFolder.CONSOLE), e);
                console.abort(failure);
                channel.abort(failure);
            }
        }
    }

    /** Records that QEMU died on its own: every wait and command fails from now on with this. */
    private synchronized JvtException died(QemuProcess p) {
        if (console.fatal() instanceof JvtException j) {
            return j;
        }
        JvtException e = JvtException.infrastructure(machine + ": QEMU exited unexpectedly " + p.exitCause()
                + (p.logTail(10).isBlank() ? "" : "\nQEMU log:\n" + p.logTail(10))
                + "\nlast console lines of " + machine + ":\n" + console.lastLines(CONSOLE_TAIL));
        console.abort(e);
        channel.abort(e);
        return e;
    }

    /**
     * A channel or monitor error may only be the first sign that QEMU died; when it did (or does so
     * within a second), the QEMU exit is what the user is told about.
     */
    RuntimeException explain(RuntimeException e) {
        QemuProcess p = process();
        if (p != null && !p.exitExpected() && (!p.isAlive() || p.waitFor(Duration.ofSeconds(1)))) {
            return died(p);
        }
        return e;
    }
}
