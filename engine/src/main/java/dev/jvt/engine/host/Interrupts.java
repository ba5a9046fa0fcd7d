package dev.jvt.engine.host;

import dev.jvt.engine.qemu.ProcessLauncher;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * SIGINT and SIGTERM during {@code jvt run}: the run ends in order instead of the JVM's default
 * (run the shutdown hooks, write nothing).
 *
 * <p>The first signal refuses new QEMU processes, kills the running ones (every wait on a guest
 * then ends at once), interrupts the threads that asked to be ({@link #onInterrupt}), and lets the
 * runner finish: the running test is reported as interrupted, the rest as not run, the reports
 * are written, and jvt exits with 128 + the signal's number (130, 143). A second signal, or a run
 * that has not ended {@link #GRACE_MILLIS} later, ends the JVM at once with the same code.
 *
 * <p>Only {@code jvt run} installs this; the REPL keeps Ctrl-C for "interrupt the running call".
 */
public final class Interrupts {
    /** How long an interrupted run may take to write its reports before the JVM is halted. */
    public static final long GRACE_MILLIS = 20_000;
    private static final List<Runnable> ACTIONS = new CopyOnWriteArrayList<>();
    private static volatile String signal;
    private static volatile int number;
    private static volatile boolean installed;

    private Interrupts() {
    }

    /** Takes over SIGINT and SIGTERM for this JVM (idempotent). */
    public static synchronized void install(PrintStream err) {
        if (installed) {
            return;
        }
        installed = true;
        for (String name : List.of("INT", "TERM")) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> received(s.getName(), s.getNumber(), err));
        }
    }

    /** Runs {@code action} (on the signal's thread) when the run is interrupted. */
    public static void onInterrupt(Runnable action) {
        ACTIONS.add(action);
    }

    public static void removeAction(Runnable action) {
        ACTIONS.remove(action);
    }

    /** "interrupted by SIGINT", or null while nothing interrupted the run. */
    public static String reason() {
        String s = signal;
        return s == null ? null : "interrupted by SIG" + s;
    }

    /** 128 + the signal's number, or 0 while nothing interrupted the run. */
    public static int exitCode() {
        return signal == null ? 0 : 128 + number;
    }

    /** For tests in one JVM: as if the named signal had arrived, without killing other tests' QEMUs. */
    static void simulate(String name, int n) {
        signal = name;
        number = n;
    }

    /** Forgets an earlier interruption (tests only). */
    public static void resetForTests() {
        signal = null;
        number = 0;
        ACTIONS.clear();
        ProcessLauncher.refuseNew(null);
    }

    private static void received(String name, int n, PrintStream err) {
        if (signal != null) {
            err.println("jvt: SIG" + name + " again: stopping now");
            err.flush();
            ProcessLauncher.killAllNow();
            Runtime.getRuntime().halt(exitCode());
        }
        number = n;
        signal = name;
        err.println("jvt: " + reason() + ": stopping QEMU, writing the reports (again to stop at once)");
        err.flush();
        ProcessLauncher.refuseNew(reason());
        for (Runnable a : ACTIONS) {
            try {
                a.run();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Interrupts.class).debug("interrupt action failed", e);
            }
        }
        ProcessLauncher.killAllNow();
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(GRACE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            err.println("jvt: the run did not end within " + GRACE_MILLIS / 1000 + " s of the signal: stopping now");
            err.flush();
            ProcessLauncher.killAllNow();
            Runtime.getRuntime().halt(exitCode());
        }, "jvt-interrupt-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }
}
