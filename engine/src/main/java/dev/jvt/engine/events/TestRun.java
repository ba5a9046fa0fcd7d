package dev.jvt.engine.events;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One test of a scenario, or one of its fixtures (boot, setup, teardown), with its steps,
 * attachments and outcome.
 */
public final class TestRun {
    /** What part of a scenario this is. */
    public enum Kind { BOOT, SETUP, TEST, TEARDOWN }

    private final ScenarioRun scenario;
    private final String name;
    private final Kind kind;
    private final List<Step> steps = new CopyOnWriteArrayList<>();
    private final List<Attachment> attachments = new CopyOnWriteArrayList<>();
    private final StringBuffer output = new StringBuffer();
    private volatile long startMillis;
    private volatile long stopMillis;
    private volatile Status status = Status.RUNNING;
    private volatile Throwable failure;

    public TestRun(ScenarioRun scenario, String name, Kind kind) {
        this.scenario = scenario;
        this.name = name;
        this.kind = kind;
    }

    public ScenarioRun scenario() {
        return scenario;
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public boolean isFixture() {
        return kind != Kind.TEST;
    }

    public List<Step> steps() {
        return steps;
    }

    public List<Attachment> attachments() {
        return attachments;
    }

    /** Console lines of every machine seen while this ran, "machine # line". */
    public String output() {
        return output.toString();
    }

    void appendOutput(String line) {
        output.append(line).append('\n');
    }

    public long startMillis() {
        return startMillis;
    }

    public long stopMillis() {
        return stopMillis;
    }

    public long durationMillis() {
        return Math.max(0, stopMillis - startMillis);
    }

    public Status status() {
        return status;
    }

    public Throwable failure() {
        return failure;
    }

    void start() {
        startMillis = System.currentTimeMillis();
    }

    void finish(Status status, Throwable failure) {
        this.stopMillis = System.currentTimeMillis();
        this.status = status;
        this.failure = failure;
    }

    /** The full name used by reports: "scenario › test". */
    public String fullName() {
        return scenario.name() + " › " + name;
    }
}
