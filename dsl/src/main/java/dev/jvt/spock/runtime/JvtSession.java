package dev.jvt.spock.runtime;

import dev.jvt.dsl.runtime.RunDirectory;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.events.RunListener;
import dev.jvt.engine.events.RunSummary;
import dev.jvt.engine.events.ScenarioRun;
import dev.jvt.engine.host.Prerequisites;
import dev.jvt.reports.AllureReporter;
import dev.jvt.reports.CastRecorder;
import dev.jvt.reports.ConsoleReporter;
import dev.jvt.reports.JUnitXmlReporter;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One run directory per test JVM (and base folder {@code jvt.runs}), shared by every {@code @Jvt} spec it runs, with the listeners
 * of {@code jvt run}: console log, JUnit XML, asciinema casts, Allure results. After each spec the
 * JUnit XML is rewritten with every spec so far and the console shows the totals.
 */
final class JvtSession {
    private static JvtSession instance;

    private final Path base;
    private final Path runDirectory;
    private final List<RunListener> listeners = new ArrayList<>();
    private final List<ScenarioRun> finished = new ArrayList<>();
    private final Map<String, Integer> folders = new HashMap<>();
    private final long startMillis = System.currentTimeMillis();
    private boolean prerequisitesChecked;

    private JvtSession(Path base, Path runDirectory) {
        this.base = base;
        this.runDirectory = runDirectory;
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        listeners.add(new ConsoleReporter(out, Boolean.getBoolean("jvt.verbose"), false));
        listeners.add(new JUnitXmlReporter(runDirectory.resolve("junit.xml")));
        listeners.add(new CastRecorder());
        listeners.add(new AllureReporter(runDirectory.resolve("allure-results")));
        listeners.forEach(l -> l.runStarted(runDirectory));
    }

    /**
     * The session of this JVM; a new one (a new run directory) when the system property
     * {@code jvt.runs} names another base folder than the current session's.
     */
    static synchronized JvtSession get() {
        Path base = Path.of(System.getProperty("jvt.runs", "target/jvt-runs")).toAbsolutePath();
        if (instance == null || !instance.base.equals(base)) {
            try {
                instance = new JvtSession(base, RunDirectory.create(base).toAbsolutePath());
            } catch (IOException e) {
                throw JvtException.infrastructure("cannot create a run directory in " + base.toAbsolutePath() + ": " + e.getMessage(), e);
            }
        }
        return instance;
    }

    Path runDirectory() {
        return runDirectory;
    }

    List<RunListener> listeners() {
        return listeners;
    }

    /** The spec's folder in the run directory (its name as a slug, made unique). */
    synchronized Path folderFor(String name) {
        String slug = RunDirectory.folderName(name);
        int n = folders.merge(slug, 1, Integer::sum);
        return runDirectory.resolve(n == 1 ? slug : slug + "-" + n);
    }

    /** QEMU, the guest kit: checked once, installed as root like {@code jvt run} does. */
    synchronized void ensurePrerequisites() {
        if (!prerequisitesChecked) {
            Prerequisites.ensure(true);
            prerequisitesChecked = true;
        }
    }

    synchronized void finished(ScenarioRun run) {
        finished.add(run);
        List<ScenarioRun> all = List.copyOf(finished);
        RunSummary summary = RunSummary.of(runDirectory, all, System.currentTimeMillis() - startMillis);
        listeners.forEach(l -> l.runFinished(summary));
    }
}
