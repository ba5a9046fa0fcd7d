package dev.jvt.engine.qemu;

import dev.jvt.engine.JvtException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One running QEMU process: its command line, its log file (stdout and stderr), its exit. */
public final class QemuProcess implements AutoCloseable {
    private final List<String> command;
    private final Path log;
    private final Process process;
    private volatile boolean expectedExit;

    private QemuProcess(List<String> command, Path log, Process process) {
        this.command = List.copyOf(command);
        this.log = log;
        this.process = process;
    }

    /** Starts {@code command}, its output appended to {@code log}. */
    public static QemuProcess start(List<String> command, Path log) {
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            return new QemuProcess(command, log, ProcessLauncher.start(pb));
        } catch (IOException e) {
            throw JvtException.infrastructure("cannot start QEMU (" + command.get(0) + "): " + e.getMessage(), e);
        }
    }

    /** A QEMU started elsewhere (on a remote host, {@link dev.jvt.engine.remote.RemoteHost}), seen through {@code process}. */
    public static QemuProcess of(List<String> command, Path log, Process process) {
        return new QemuProcess(command, log, process);
    }

    public List<String> command() {
        return command;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public CompletableFuture<Process> onExit() {
        return process.onExit();
    }

    /** Exit code, or -1 while running. */
    public int exitCode() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** How QEMU ended, to follow "exited": "with code 1", "(killed by signal 9, SIGKILL)"; "" while it runs. */
    public String exitCause() {
        if (process.isAlive()) {
            return "";
        }
        if (killedBecause != null) {
            return "(killed by jvt: " + killedBecause + ")";
        }
        int code = process.exitValue();
        if (code > 128 && code < 128 + 65) {
            int sig = code - 128;
            String name = switch (sig) {
                case 1 -> "SIGHUP";
                case 2 -> "SIGINT";
                case 6 -> "SIGABRT";
                case 7 -> "SIGBUS";
                case 9 -> "SIGKILL";
                case 11 -> "SIGSEGV";
                case 15 -> "SIGTERM";
                case 31 -> "SIGSYS";
                default -> null;
            };
            return "(killed by signal " + sig + (name == null ? "" : ", " + name) + ")"
                    + (sig == 31 && command.contains("-sandbox") ? ": a system call its seccomp sandbox denies (JVT_SANDBOX=off runs it unconfined)" : "");
        }
        return "with code " + code;
    }

    /** Marks the coming exit as wanted (shutdown, crash, migration), so it is not reported as a failure. */
    public void expectExit() {
        expectedExit = true;
    }

    public boolean exitExpected() {
        return expectedExit;
    }

    public boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The last {@code n} lines QEMU printed. */
    public String logTail(int n) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(no QEMU log: " + e.getMessage() + ")";
        }
    }

    private volatile String killedBecause;

    /** Kills a QEMU that stopped answering; its exit is reported as a failure, with {@code why}. */
    public void killHung(String why) {
        killedBecause = why;
        process.destroyForcibly();
    }

    /** Hard stop, like pulling the plug. */
    public void kill() {
        expectedExit = true;
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
