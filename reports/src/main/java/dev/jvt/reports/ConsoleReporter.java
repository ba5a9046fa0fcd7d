package dev.jvt.reports;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.events.RunListener;
import dev.jvt.engine.events.RunSummary;
import dev.jvt.engine.events.ScenarioRun;
import dev.jvt.engine.events.Status;
import dev.jvt.engine.events.Step;
import dev.jvt.engine.events.TestRun;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The run as people read it in a terminal, like the NixOS test driver: each action a timed step
 * tagged with its machine, nested by depth; each test a ✔/✘ line; a summary at the end. With
 * {@code verbose}, console lines appear as {@code machine # line}. When scenarios run in
 * parallel, each scenario's lines are held back and printed together when it finishes.
 */
public final class ConsoleReporter implements RunListener {
    private final PrintWriter out;
    private final boolean verbose;
    private final boolean buffered;
    private final Map<ScenarioRun, StringBuilder> buffers = new ConcurrentHashMap<>();

    public ConsoleReporter(PrintWriter out, boolean verbose, boolean parallel) {
        this.out = out;
        this.verbose = verbose;
        this.buffered = parallel;
    }

    private void print(ScenarioRun s, String line) {
        if (buffered && s != null) {
            buffers.computeIfAbsent(s, k -> new StringBuilder()).append(line).append('\n');
        } else {
            synchronized (out) {
                out.println(line);
                out.flush();
            }
        }
    }

    @Override
    public void runStarted(Path runDirectory) {
        print(null, "jvt: run directory " + runDirectory);
    }

    @Override
    public void scenarioStarted(ScenarioRun s) {
        print(s, "▶ scenario '" + s.name() + "'" + (s.file() == null ? "" : " (" + s.file().getFileName() + ")"));
    }

    @Override
    public void testStarted(TestRun t) {
        print(t.scenario(), "  " + (t.isFixture() ? t.name() : "test '" + t.name() + "'"));
    }

    @Override
    public void stepFinished(TestRun t, Step step) {
        ScenarioRun s = t == null ? null : t.scenario();
        String indent = "    " + "  ".repeat(step.depth());
        String mark = step.status() == Status.PASSED ? "" : " ✘";
        print(s, indent + step.label() + " (" + seconds(step.durationMillis()) + ")" + mark);
    }

    @Override
    public void consoleLine(ScenarioRun s, TestRun t, String machine, String line) {
        if (verbose) {
            print(s, "      " + machine + " # " + line);
        }
    }

    @Override
    public void testFinished(TestRun t) {
        if (t.isFixture() && t.status() == Status.PASSED) {
            return;
        }
        String mark = switch (t.status()) {
            case PASSED -> "✔";
            case SKIPPED -> "○";
            case BROKEN -> "✘ (broken)";
            default -> "✘";
        };
        StringBuilder sb = new StringBuilder("  " + mark + " " + t.name() + " (" + seconds(t.durationMillis()) + ")");
        if (t.failure() != null && t.status() != Status.PASSED) {
            String msg = t.status() == Status.SKIPPED ? t.failure().getMessage() : describe(t.failure());
            for (String l : msg.split("\n")) {
                sb.append("\n      ").append(l);
            }
        }
        print(t.scenario(), sb.toString());
    }

    static String describe(Throwable f) {
        String m = f.getMessage();
        if (m == null || m.isBlank()) {
            m = f.getClass().getName();
        }
        if (!(f instanceof JvtException) && !(f instanceof AssertionError)) {
            m = f.getClass().getSimpleName() + ": " + m;
        }
        return m;
    }

    @Override
    public void scenarioFinished(ScenarioRun s) {
        if (buffered) {
            StringBuilder b = buffers.remove(s);
            if (b != null) {
                synchronized (out) {
                    out.print(b);
                    out.flush();
                }
            }
        }
    }

    @Override
    public void runFinished(RunSummary r) {
        long passed = r.count(Status.PASSED);
        long failed = r.count(Status.FAILED) + r.count(Status.BROKEN);
        long skipped = r.count(Status.SKIPPED);
        long fixtures = r.scenarios().stream().flatMap(s -> s.tests().stream())
                .filter(t -> t.isFixture() && t.status() != Status.PASSED).count();
        StringBuilder sb = new StringBuilder("\n");
        for (ScenarioRun s : r.scenarios()) {
            for (TestRun t : s.tests()) {
                if (t.status() == Status.FAILED || t.status() == Status.BROKEN) {
                    sb.append("FAILED: ").append(s.name()).append(" › ").append(t.name()).append('\n');
                }
            }
        }
        sb.append(String.format(Locale.ROOT, "jvt: %d passed, %d failed%s%s in %s — exit code %d%n",
                passed, failed, skipped > 0 ? ", " + skipped + " skipped" : "",
                fixtures > 0 ? " (" + fixtures + " boot/setup/teardown failures)" : "",
                seconds(r.durationMillis()), r.exitCode()));
        sb.append("jvt: run directory ").append(r.runDirectory());
        print(null, sb.toString());
    }

    static String seconds(long ms) {
        if (ms < 0) {
            return "?";
        }
        return String.format(Locale.ROOT, "%.2f s", ms / 1000.0);
    }
}
