package dev.jvt.engine;

/**
 * Modes of a run that change how QEMU is started.
 *
 * @param deterministic instruction-counted virtual time and a fixed clock
 * @param record        record every machine under QEMU record/replay
 * @param verbose       print every console line while running
 */
public record RunOptions(boolean deterministic, boolean record, boolean verbose) {
    public static final RunOptions DEFAULT = new RunOptions(false, false, false);
}
