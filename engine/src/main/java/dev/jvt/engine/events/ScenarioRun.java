package dev.jvt.engine.events;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** One scenario of one file, as it runs: its tests and fixtures in order, and where its files go. */
public final class ScenarioRun {
    private final String name;
    private final Path file;
    private final Path directory;
    private final List<TestRun> tests = new CopyOnWriteArrayList<>();
    private final List<Attachment> attachments = new CopyOnWriteArrayList<>();
    private final StringBuffer output = new StringBuffer();
    private final long startMillis = System.currentTimeMillis();
    private volatile long stopMillis;

    public ScenarioRun(String name, Path file, Path directory) {
        this.name = name;
        this.file = file;
        this.directory = directory;
    }

    public String name() {
        return name;
    }

    /** The scenario script; null for scenarios built in code (Spock). */
    public Path file() {
        return file;
    }

    /** This scenario's folder inside the run directory. */
    public Path directory() {
        return directory;
    }

    public List<TestRun> tests() {
        return tests;
    }

    /** Files that belong to the whole scenario (per-machine transcripts, QEMU logs, pcaps). */
    public List<Attachment> attachments() {
        return attachments;
    }

    /** Every console line of every machine of the scenario, "machine # line", in arrival order. */
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

    void finish() {
        stopMillis = System.currentTimeMillis();
    }
}
