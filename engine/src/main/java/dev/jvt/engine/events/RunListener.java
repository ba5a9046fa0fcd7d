package dev.jvt.engine.events;

import java.nio.file.Path;

/**
 * Receives what happens during a run. Reports (console, JUnit XML, Allure, casts) implement it.
 * Calls for one scenario come in order; calls for different scenarios may interleave when
 * scenarios run in parallel, so implementations must be thread-safe.
 */
public interface RunListener {
    default void runStarted(Path runDirectory) {
    }

    /**
     * What this listener could not write ("disk full: cannot write PATH …"), one line each; a run
     * whose reports are incomplete exits 4 even when its tests passed.
     */
    default java.util.List<String> writeFailures() {
        return java.util.List.of();
    }

    default void scenarioStarted(ScenarioRun scenario) {
    }

    default void testStarted(TestRun test) {
    }

    default void stepStarted(TestRun test, Step step) {
    }

    default void stepFinished(TestRun test, Step step) {
    }

    /** Raw bytes from a machine's serial console, with the time they arrived (nanoTime). */
    default void consoleOutput(ScenarioRun scenario, String machine, byte[] data, long nanoTime) {
    }

    /** A complete console line, control characters removed. {@code test} may be null between tests. */
    default void consoleLine(ScenarioRun scenario, TestRun test, String machine, String line) {
    }

    /** A machine of the scenario started a QEMU process. */
    default void machineStarted(ScenarioRun scenario, String machine, Path directory) {
    }

    default void testFinished(TestRun test) {
    }

    default void scenarioFinished(ScenarioRun scenario) {
    }

    default void runFinished(RunSummary summary) {
    }
}
