package dev.jvt.engine.qemu;

import dev.jvt.engine.JvtException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Starts the child processes that must never outlive jvt (QEMU, mostly).
 *
 * <p>Two guards: a shutdown hook kills them on any orderly JVM exit (including SIGTERM and
 * SIGINT), and each child is started through {@code setpriv --pdeathsig KILL}, so the kernel
 * kills it when jvt dies without running hooks (SIGKILL, OOM). The kernel ties the death signal
 * to the <em>thread</em> that forked the child, so every child is forked from one dedicated
 * thread that lives as long as the JVM.
 *
 * <p>Each child also runs in a session of its own ({@code setsid}, which does not fork here: a
 * child of the JVM is no process-group leader), so a Ctrl-C typed in jvt's terminal reaches jvt
 * alone: {@code jvt repl} turns it into "interrupt the running call", and {@code jvt run} ends
 * the run in order ({@link dev.jvt.engine.host.Interrupts}: children killed, reports written).
 */
public final class ProcessLauncher {
    private static final Path SETPRIV = findSetpriv();
    private static final Path SETSID = find("setsid");
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static final ExecutorService FORKER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jvt-process-forker");
        t.setDaemon(true);
        return t;
    });

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ProcessLauncher::killAll, "jvt-kill-children"));
    }

    /** Why no child may start any more (an interrupted run), or null. */
    private static volatile String refusal;

    private ProcessLauncher() {
    }

    /** From now on {@link #start} fails with {@code reason}; null allows starts again. */
    public static void refuseNew(String reason) {
        refusal = reason;
    }

    private static Path findSetpriv() {
        return find("setpriv");
    }

    private static Path find(String tool) {
        for (String dir : List.of("/usr/bin/", "/bin/", "/usr/sbin/")) {
            if (Files.isExecutable(Path.of(dir + tool))) {
                return Path.of(dir + tool);
            }
        }
        return null;
    }

    /** Whether children die with jvt even on SIGKILL (setpriv present). */
    public static boolean hasDeathSignal() {
        return SETPRIV != null;
    }

    /** Starts {@code builder}'s command as a child that dies with this JVM. */
    public static Process start(ProcessBuilder builder) throws IOException {
        String refused = refusal;
        if (refused != null) {
            throw JvtException.infrastructure("not starting " + Path.of(builder.command().get(0)).getFileName() + ": jvt was " + refused);
        }
        List<String> command = new ArrayList<>();
        if (SETSID != null) {
            command.add(SETSID.toString());
        }
        if (SETPRIV != null) {
            command.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "KILL", "--"));
        }
        command.addAll(builder.command());
        ProcessBuilder wrapped = new ProcessBuilder(command)
                .directory(builder.directory())
                .redirectInput(builder.redirectInput())
                .redirectOutput(builder.redirectOutput())
                .redirectError(builder.redirectError())
                .redirectErrorStream(builder.redirectErrorStream());
        wrapped.environment().clear();
        wrapped.environment().putAll(builder.environment());
        Process p;
        try {
            p = FORKER.submit(wrapped::start).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting " + builder.command().get(0), e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw JvtException.infrastructure("cannot start " + builder.command().get(0) + ": " + e.getCause(), e.getCause());
        }
        LIVE.add(p);
        p.onExit().thenRun(() -> LIVE.remove(p));
        if (refusal != null) {
            // refused while it was being forked: the kill may have missed it
            p.destroyForcibly();
            throw JvtException.infrastructure("not starting " + Path.of(builder.command().get(0)).getFileName() + ": jvt was " + refusal);
        }
        return p;
    }

    /**
     * Counts {@code p} (a QEMU on a remote host, whose own watchdog kills it when jvt's connection
     * dies) among the children: {@link #killAllNow}, the shutdown hook and {@link #liveCount} include it.
     */
    public static void track(Process p) {
        String refused = refusal;
        if (refused != null) {
            p.destroyForcibly();
            throw JvtException.infrastructure("not starting QEMU: jvt was " + refused);
        }
        LIVE.add(p);
        p.onExit().thenRun(() -> LIVE.remove(p));
    }

    /** Children still running (for tests and diagnostics). */
    public static int liveCount() {
        LIVE.removeIf(p -> !p.isAlive());
        return LIVE.size();
    }

    /** Kills every child now (SIGKILL) and waits up to 2 s for each. */
    public static void killAllNow() {
        killAll();
    }

    static void killAll() {
        for (Process p : LIVE) {
            p.destroyForcibly();
        }
        for (Process p : LIVE) {
            try {
                p.waitFor(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
