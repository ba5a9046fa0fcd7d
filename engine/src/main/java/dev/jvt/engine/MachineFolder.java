package dev.jvt.engine;

import dev.jvt.engine.events.Events;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The files of a machine's folder in the run directory, named once here: the engine writes them,
 * reporters and runners read and attach them.
 */
public final class MachineFolder {
    /** The serial console, every byte, across restarts. */
    public static final String CONSOLE = "console.log";
    /** QEMU's own output (stdout and stderr). */
    public static final String QEMU_LOG = "qemu.log";
    /** Every QEMU command line the machine started with, one per line, shell-quoted. */
    public static final String COMMAND_LINE = "qemu-cmdline.txt";
    /** The console as an asciinema cast (written by the cast reporter). */
    public static final String CAST = "console.cast";

    private static final String[][] ATTACHED = {
            {CONSOLE, "serial console", "text/plain"},
            {CAST, "console cast (asciinema)", "application/x-asciicast"},
            {COMMAND_LINE, "QEMU command line", "text/plain"},
            {QEMU_LOG, "QEMU log", "text/plain"},
    };

    private final String machine;
    private final Path dir;

    public MachineFolder(String machine, Path dir) {
        this.machine = machine;
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    /** The output of the n-th monitor command. */
    public Path monitorOutput(int n) {
        return dir.resolve(String.format("monitor-%03d.txt", n));
    }

    /** A screenshot called {@code name}. */
    public Path screenshot(String name) {
        return dir.resolve("screenshot-" + name + ".png");
    }

    /** The console transcript saved at the n-th failure of a Spock spec. */
    public Path failureConsole(int n) {
        return dir.resolve(String.format("failure-%03d-console.txt", n));
    }

    /** Attaches the transcript, cast, command line and QEMU log (those that exist) to the scenario. */
    public void attachTo(Events events) {
        for (String[] f : ATTACHED) {
            Path p = dir.resolve(f[0]);
            if (Files.isRegularFile(p)) {
                events.attachToScenario(machine + ": " + f[1], p, f[2]);
            }
        }
    }
}
