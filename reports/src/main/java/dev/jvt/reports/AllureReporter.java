package dev.jvt.reports;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.events.Attachment;
import dev.jvt.engine.events.RunListener;
import dev.jvt.engine.events.ScenarioRun;
import dev.jvt.engine.events.Status;
import dev.jvt.engine.events.Step;
import dev.jvt.engine.events.TestRun;
import io.qameta.allure.FileSystemResultsWriter;
import io.qameta.allure.model.FixtureResult;
import io.qameta.allure.model.Label;
import io.qameta.allure.model.Parameter;
import io.qameta.allure.model.Stage;
import io.qameta.allure.model.StatusDetails;
import io.qameta.allure.model.StepResult;
import io.qameta.allure.model.TestResult;
import io.qameta.allure.model.TestResultContainer;
import io.qameta.allure.util.ResultsUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Writes Allure results ({@code allure-results/}) as a run goes: one result per test, every DSL
 * action a nested step with its machine and argument, the files of the run as attachments.
 *
 * <p>Each scenario is an Allure container: boot and setup are its "set up" fixtures; teardown and
 * a fixture holding the machines' files (serial transcript, asciinema cast, QEMU command line and
 * log, the pcaps found in the scenario folder) are its "tear down", so every test of the scenario
 * shows them. A test's own attachments (monitor outputs, screenshots) sit on the step that made
 * them; each test also gets the console lines seen while it ran. A failed test's message ends
 * with the last console lines.
 */
public final class AllureReporter implements RunListener {
    private static final Logger LOG = LoggerFactory.getLogger(AllureReporter.class);

    static final int CONSOLE_TAIL = 15;

    private final Path results;
    private final FileSystemResultsWriter writer;
    private final Map<ScenarioRun, ScenarioState> scenarios = new ConcurrentHashMap<>();
    /** The last console lines of each scenario's machines, for the message of a failed test. */
    private final Map<ScenarioRun, ArrayDeque<String>> recentConsole = new ConcurrentHashMap<>();

    /** The children, set-ups and tear-downs of one scenario's container. */
    private static final class ScenarioState {
        final String uuid = UUID.randomUUID().toString();
        final List<String> children = new ArrayList<>();
        final List<FixtureResult> befores = new ArrayList<>();
        final List<FixtureResult> afters = new ArrayList<>();
    }

    public AllureReporter(Path resultsDirectory) {
        this.results = resultsDirectory;
        this.writer = new FileSystemResultsWriter(resultsDirectory);
    }

    public Path directory() {
        return results;
    }

    @Override
    public void runStarted(Path runDirectory) {
        try {
            Files.createDirectories(results);
            Files.writeString(results.resolve("environment.properties"),
                    "host=" + JUnitXmlReporter.hostname() + "\n"
                            + "os=" + System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch") + "\n"
                            + "java=" + System.getProperty("java.version") + "\n"
                            + "run.directory=" + runDirectory.toAbsolutePath() + "\n");
            // Allure's two default categories, named as jvt names the two kinds of failure
            Files.writeString(results.resolve("categories.json"), """
                    [
                      {"name": "Failed expectations", "matchedStatuses": ["failed"]},
                      {"name": "Broken machinery (QEMU, host, test code)", "matchedStatuses": ["broken"]}
                    ]
                    """);
        } catch (IOException e) {
            warn("cannot write " + results + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void scenarioStarted(ScenarioRun scenario) {
        scenarios.put(scenario, new ScenarioState());
    }

    @Override
    public void consoleLine(ScenarioRun scenario, TestRun test, String machine, String line) {
        ArrayDeque<String> recent = recentConsole.computeIfAbsent(scenario, s -> new ArrayDeque<>());
        synchronized (recent) {
            recent.addLast(machine + " # " + line);
            while (recent.size() > CONSOLE_TAIL) {
                recent.removeFirst();
            }
        }
    }

    @Override
    public void testFinished(TestRun t) {
        ScenarioState state = scenarios.computeIfAbsent(t.scenario(), s -> new ScenarioState());
        try {
            if (t.isFixture()) {
                FixtureResult f = new FixtureResult()
                        .setName(t.name())
                        .setStatus(status(t.status()))
                        .setStatusDetails(details(t, lastConsoleLines(t.scenario())))
                        .setStage(Stage.FINISHED)
                        .setStart(t.startMillis())
                        .setStop(t.stopMillis())
                        .setSteps(steps(t.steps()))
                        .setAttachments(attachments(t.attachments()));
                consoleAttachment(t, f.getAttachments());
                synchronized (state) {
                    (t.kind() == TestRun.Kind.TEARDOWN ? state.afters : state.befores).add(f);
                }
                return;
            }
            String uuid = UUID.randomUUID().toString();
            String classname = JUnitXmlReporter.classname(t.scenario());
            String fullName = classname + "." + t.name();
            TestResult r = new TestResult()
                    .setUuid(uuid)
                    .setName(t.name())
                    .setFullName(fullName)
                    .setHistoryId(md5(fullName))
                    .setTestCaseId(md5(fullName))
                    .setTitlePath(List.of(source(t.scenario()), t.scenario().name()))
                    .setLabels(labels(t, classname))
                    .setStatus(status(t.status()))
                    .setStatusDetails(details(t, lastConsoleLines(t.scenario())))
                    .setStage(Stage.FINISHED)
                    .setStart(t.startMillis())
                    .setStop(t.stopMillis())
                    .setSteps(steps(t.steps()))
                    .setAttachments(attachments(t.attachments()));
            consoleAttachment(t, r.getAttachments());
            writer.write(r);
            synchronized (state) {
                state.children.add(uuid);
            }
        } catch (RuntimeException e) {
            warn("cannot write the Allure result of '" + t.fullName() + "': " + e.getMessage(), e);
        }
    }

    @Override
    public void scenarioFinished(ScenarioRun scenario) {
        ScenarioState state = scenarios.remove(scenario);
        recentConsole.remove(scenario);
        if (state == null) {
            return;
        }
        try {
            List<Attachment> files = new ArrayList<>(scenario.attachments());
            Set<Path> known = new LinkedHashSet<>();
            files.forEach(a -> known.add(a.file().toAbsolutePath().normalize()));
            for (Path pcap : pcaps(scenario.directory())) {
                if (known.add(pcap.toAbsolutePath().normalize())) {
                    files.add(new Attachment("pcap: " + pcap.getFileName(), pcap, "application/vnd.tcpdump.pcap"));
                }
            }
            synchronized (state) {
                if (!files.isEmpty()) {
                    long now = System.currentTimeMillis();
                    state.afters.add(new FixtureResult()
                            .setName("machine files")
                            .setStatus(io.qameta.allure.model.Status.PASSED)
                            .setStage(Stage.FINISHED)
                            .setStart(now)
                            .setStop(now)
                            .setAttachments(attachments(files)));
                }
                writer.write(new TestResultContainer()
                        .setUuid(state.uuid)
                        .setName(scenario.name())
                        .setStart(scenario.startMillis())
                        .setStop(scenario.stopMillis())
                        .setChildren(state.children)
                        .setBefores(state.befores)
                        .setAfters(state.afters));
            }
        } catch (RuntimeException e) {
            warn("cannot write the Allure container of '" + scenario.name() + "': " + e.getMessage(), e);
        }
    }

    private static List<Path> pcaps(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir, 2)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".pcap") && Files.isRegularFile(p))
                    .sorted(Comparator.naturalOrder()).toList();
        } catch (IOException e) {
            LOG.debug("cannot look for pcaps in {}", dir, e);
            return List.of();
        }
    }

    // ------------------------------------------------------------------ model

    private List<Label> labels(TestRun t, String classname) {
        List<Label> l = new ArrayList<>();
        l.add(ResultsUtils.createParentSuiteLabel(source(t.scenario())));
        l.add(ResultsUtils.createSuiteLabel(t.scenario().name()));
        l.add(ResultsUtils.createPackageLabel(classname));
        l.add(ResultsUtils.createTestClassLabel(classname));
        l.add(ResultsUtils.createTestMethodLabel(t.name()));
        l.add(ResultsUtils.createFrameworkLabel("jvt"));
        l.add(ResultsUtils.createLanguageLabel("groovy"));
        l.add(new Label().setName(ResultsUtils.HOST_LABEL_NAME).setValue(JUnitXmlReporter.hostname()));
        return l;
    }

    private static String source(ScenarioRun s) {
        return s.file() == null ? "jvt" : s.file().getFileName().toString();
    }

    private List<StepResult> steps(List<Step> steps) {
        List<StepResult> out = new ArrayList<>();
        for (Step s : steps) {
            long duration = Math.max(0, s.durationMillis());
            StepResult r = new StepResult()
                    .setName(s.label())
                    .setStatus(s.status() == Status.RUNNING ? io.qameta.allure.model.Status.BROKEN : status(s.status()))
                    .setStage(s.status() == Status.RUNNING ? Stage.INTERRUPTED : Stage.FINISHED)
                    .setStart(s.startMillis())
                    .setStop(s.startMillis() + duration)
                    .setParameters(parameters(s))
                    .setAttachments(attachments(s.attachments()))
                    .setSteps(steps(s.children()));
            if (s.error() != null) {
                r.setStatusDetails(new StatusDetails().setMessage(ConsoleReporter.describe(s.error())).setTrace(trace(s.error())));
            }
            out.add(r);
        }
        return out;
    }

    /** The machine the step acted on, then the step's attributes (command, monitor command, pattern, text, ...) in order. */
    static List<Parameter> parameters(Step s) {
        List<Parameter> p = new ArrayList<>();
        if (s.machine() != null) {
            p.add(ResultsUtils.createParameter("machine", s.machine()));
        }
        s.attributes().forEach((name, value) -> p.add(ResultsUtils.createParameter(name, value)));
        return p;
    }

    private List<io.qameta.allure.model.Attachment> attachments(List<Attachment> list) {
        List<io.qameta.allure.model.Attachment> out = new ArrayList<>();
        for (Attachment a : list) {
            if (a.file() == null || !Files.isRegularFile(a.file())) {
                continue;
            }
            String source = UUID.randomUUID() + "-attachment" + extension(a.file());
            try (InputStream in = Files.newInputStream(a.file())) {
                writer.write(source, in);
            } catch (IOException | RuntimeException e) {
                warn("cannot attach " + a.file() + ": " + e.getMessage(), e);
                continue;
            }
            out.add(new io.qameta.allure.model.Attachment().setName(a.name()).setSource(source).setType(a.mimeType()));
        }
        return out;
    }

    /** The console lines of every machine while this test or fixture ran. */
    private void consoleAttachment(TestRun t, List<io.qameta.allure.model.Attachment> into) {
        String output = t.output();
        if (output.isEmpty()) {
            return;
        }
        String source = UUID.randomUUID() + "-attachment.txt";
        writer.write(source, new ByteArrayInputStream(output.getBytes(StandardCharsets.UTF_8)));
        into.add(new io.qameta.allure.model.Attachment().setName("console during '" + t.name() + "'")
                .setSource(source).setType("text/plain"));
    }

    private static String extension(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot <= 0 ? "" : n.substring(dot);
    }

    static io.qameta.allure.model.Status status(Status s) {
        return switch (s) {
            case PASSED -> io.qameta.allure.model.Status.PASSED;
            case FAILED -> io.qameta.allure.model.Status.FAILED;
            case SKIPPED -> io.qameta.allure.model.Status.SKIPPED;
            case BROKEN, RUNNING -> io.qameta.allure.model.Status.BROKEN;
        };
    }

    private String lastConsoleLines(ScenarioRun scenario) {
        ArrayDeque<String> recent = recentConsole.get(scenario);
        if (recent == null) {
            return "";
        }
        synchronized (recent) {
            return recent.isEmpty() ? "" : String.join("\n", recent) + "\n";
        }
    }

    /** Message (with the last console lines when it lacks them) and stack trace of a test that did not pass. */
    static StatusDetails details(TestRun t, String lastConsoleLines) {
        Throwable f = t.failure();
        if (t.status() == Status.PASSED || f == null) {
            return null;
        }
        if (t.status() == Status.SKIPPED) {
            return new StatusDetails().setMessage(f.getMessage());
        }
        String message = ConsoleReporter.describe(f);
        if (!message.contains("last console lines") && !lastConsoleLines.isEmpty()) {
            message += "\nlast console lines:\n" + lastConsoleLines;
        }
        return new StatusDetails().setMessage(message).setTrace(trace(f));
    }

    private static String trace(Throwable t) {
        if (t instanceof JvtException && t.getCause() == null) {
            return null;
        }
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        return sw.toString();
    }

    private static String md5(String s) {
        return ResultsUtils.md5(s);
    }

    private final java.util.List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public java.util.List<String> writeFailures() {
        return failures;
    }

    private void warn(String message, Throwable cause) {
        failures.add("Allure results: " + message + (dev.jvt.engine.JvtException.isDiskFull(cause) ? " (disk full: No space left on device under " + results + ")" : ""));
        LOG.debug("Allure results: {}", message, cause);
    }
}
