package dev.jvt.dsl.runtime;

import dev.jvt.engine.Machine;
import dev.jvt.engine.events.Events;
import dev.jvt.reports.CastRecorder;

import java.nio.file.Files;
import java.nio.file.Path;

/** The files a machine leaves in its folder of the run directory, attached to its scenario's report. */
public final class MachineFiles {
    private static final String[][] FILES = {
            {"console.log", "serial console", "text/plain"},
            {CastRecorder.FILE_NAME, "console cast (asciinema)", "application/x-asciicast"},
            {"qemu-cmdline.txt", "QEMU command line", "text/plain"},
            {"qemu.log", "QEMU log", "text/plain"},
    };

    private MachineFiles() {
    }

    /** Attaches the transcript, cast, command line and QEMU log of a machine (once it is closed). */
    public static void attach(Events events, Machine m) {
        Path d = m.directory();
        for (String[] f : FILES) {
            Path p = d.resolve(f[0]);
            if (Files.isRegularFile(p)) {
                events.attachToScenario(m.getName() + ": " + f[1], p, f[2]);
            }
        }
    }
}
