package dev.jvt.engine.events;

/** Outcome of a test or a step, as Allure and JUnit know them. */
public enum Status {
    RUNNING,
    PASSED,
    /** The test's expectation did not hold. */
    FAILED,
    /** The machinery broke (QEMU died, a prerequisite vanished). */
    BROKEN,
    SKIPPED
}
