package dev.jvt.engine;

import java.nio.file.Path;

/**
 * Modes of a run that change how QEMU is started.
 *
 * @param deterministic instruction-counted virtual time and a fixed clock
 * @param record        record every machine under QEMU record/replay
 * @param verbose       print every console line while running
 * @param bundle        with {@code record}: the folder that receives what a replay needs
 *                      (manifest, images, logs, transcripts); null otherwise
 * @param reuse         boot reuse: a machine whose boot the boot cache holds starts from there
 *                      (never under {@code record} or {@code deterministic}); see {@link BootCache}
 * @param host          {@code ssh://user@host}: every machine without a {@code host} of its own runs its QEMU there; null: here
 */
public record RunOptions(boolean deterministic, boolean record, boolean verbose, Path bundle, boolean reuse, String host) {
    public static final RunOptions DEFAULT = new RunOptions(false, false, false, null);

    public RunOptions(boolean deterministic, boolean record, boolean verbose, Path bundle, boolean reuse) {
        this(deterministic, record, verbose, bundle, reuse, null);
    }

    public RunOptions(boolean deterministic, boolean record, boolean verbose) {
        this(deterministic, record, verbose, null);
    }

    public RunOptions(boolean deterministic, boolean record, boolean verbose, Path bundle) {
        this(deterministic, record, verbose, bundle, true);
    }

    /** These options with boot reuse on or off. */
    public RunOptions withReuse(boolean on) {
        return new RunOptions(deterministic, record, verbose, bundle, on, host);
    }

    /** These options with machines on {@code host} (null: here). */
    public RunOptions withHost(String host) {
        return new RunOptions(deterministic, record, verbose, bundle, reuse, host);
    }

    /** The QEMU time mode these options ask for. */
    public QemuCommandLine.Mode mode() {
        return record ? QemuCommandLine.Mode.RECORD : deterministic ? QemuCommandLine.Mode.DETERMINISTIC : QemuCommandLine.Mode.NORMAL;
    }
}
