package dev.jvt.dsl.cli;

import dev.jvt.dsl.ScenarioDefinition;
import dev.jvt.dsl.ScenarioLoader;
import dev.jvt.dsl.runtime.RunDirectory;
import dev.jvt.dsl.runtime.RunSettings;
import dev.jvt.dsl.runtime.ScenarioRunner;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.events.RunListener;
import dev.jvt.engine.events.RunSummary;
import dev.jvt.engine.host.Prerequisites;
import dev.jvt.engine.host.StartTrace;
import dev.jvt.reports.AllureReporter;
import dev.jvt.reports.CastRecorder;
import dev.jvt.reports.ConsoleReporter;
import dev.jvt.reports.JUnitXmlReporter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/** {@code jvt run}: run scenario files; exit 0 when every test passed. */
@Command(name = "run", description = "Run scenario files (globs allowed); exit 0 when every test passed.")
public final class RunCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "SCENARIO", description = "Scenario files or globs, e.g. scenarios/*.groovy")
    List<String> scenarios;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: build/jvt/runs/<time>).")
    Path out;

    @Option(names = "--junit", paramLabel = "FILE", description = "Also write JUnit XML here.")
    Path junit;

    @Option(names = "-j", paramLabel = "N", defaultValue = "1", description = "Scenarios run in parallel (default 1).")
    int parallel;

    @Option(names = "--filter", paramLabel = "REGEX", description = "Only tests whose 'scenario › test' name matches.")
    String filter;

    @Option(names = "--shard", paramLabel = "I/N|env", description = "Only the I-th of N shares of the scenario files (1-based), "
            + "balanced by recorded durations; 'env' reads CI_NODE_INDEX/CI_NODE_TOTAL (GitLab), TEST_SHARD_INDEX/TEST_TOTAL_SHARDS "
            + "or JOB_COMPLETION_INDEX (Kubernetes, with --shard-total).")
    String shard;

    @Option(names = "--shard-total", paramLabel = "N", description = "How many shards, with --shard env and JOB_COMPLETION_INDEX.")
    Integer shardTotal;

    @Option(names = "--durations", paramLabel = "FILE", description = "Scenario durations that balance --shard, updated by every run "
            + "(default: $JVT_DURATIONS or build/jvt/jvt-durations.json).")
    Path durations;

    @Option(names = "--list", description = "Print the shard plan (files, weights, shards) and exit; boots nothing.")
    boolean list;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "1", description = "Run everything N times.")
    int repeat;

    @Option(names = "--deterministic", description = "Instruction-counted virtual time and a fixed guest clock.")
    boolean deterministic;

    @Option(names = "--record", description = "Record every machine with QEMU record/replay.")
    boolean record;

    @Option(names = {"-v", "--verbose"}, description = "Print every console line.")
    boolean verbose;

    @Option(names = "--host", paramLabel = "ssh://USER@HOST", description = "Run every machine's QEMU on this host over SSH (unless the machine names its own host).")
    String host;

    @Option(names = "--no-reuse", description = "Boot every machine, even when the boot cache holds its boot (see jvt cache).")
    boolean noReuse;

    @Option(names = "--dry-run", description = "Load and check the scenarios and list them; boot nothing, run nothing.")
    boolean dryRun;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        StartTrace.mark("command line parsed");
        if (parallel < 1) {
            throw usage("-j must be at least 1");
        }
        if (repeat < 1) {
            throw usage("--repeat must be at least 1");
        }
        Pattern filterPattern = null;
        if (filter != null) {
            try {
                filterPattern = Pattern.compile(filter);
            } catch (PatternSyntaxException e) {
                throw usage("--filter is not a valid regex: " + e.getDescription());
            }
        }
        if (out != null && Files.exists(out) && !Files.isDirectory(out)) {
            throw usage("--out " + out + " is not a directory");
        }
        if (junit != null && Files.isDirectory(junit)) {
            throw usage("--junit " + junit + " is a directory; give the XML file to write");
        }
        Path durationsFile = durations != null ? durations : dev.jvt.dsl.runtime.Durations.defaultFile();
        if (durations != null && Files.isDirectory(durations)) {
            throw usage("--durations " + durations + " is a directory; give the JSON file (e.g. " + durations.resolve(dev.jvt.dsl.runtime.Durations.FILE_NAME) + ")");
        }
        int[] which = shardIndex();
        List<Path> files = expand(scenarios);
        dev.jvt.dsl.runtime.ShardPlan plan = null;
        if (which != null || list) {
            dev.jvt.dsl.runtime.Durations known;
            try {
                known = dev.jvt.dsl.runtime.Durations.read(durationsFile);
            } catch (JvtException e) {
                spec.commandLine().getErr().println("jvt: ignoring " + e.getMessage() + "; files weigh the same");
                spec.commandLine().getErr().flush();
                known = new dev.jvt.dsl.runtime.Durations();
            }
            plan = dev.jvt.dsl.runtime.ShardPlan.balanced(
                    dev.jvt.dsl.runtime.ShardPlan.weigh(files.stream().map(dev.jvt.dsl.runtime.Durations::key).toList(), known),
                    which == null ? 1 : which[1]);
        }
        if (list) {
            PrintWriter o = spec.commandLine().getOut();
            o.print(plan.describe(Files.exists(durationsFile) ? durationsFile.toString() : durationsFile + " (none yet)", which == null ? 0 : which[0]));
            o.flush();
            return 0;
        }
        if (which != null) {
            // the files of this shard, in the order they were given
            java.util.Set<String> mine = new java.util.HashSet<>();
            plan.shard(which[0]).entries().forEach(e -> mine.add(e.key()));
            files = files.stream().filter(f -> mine.remove(dev.jvt.dsl.runtime.Durations.key(f))).toList();
        }
        List<ScenarioDefinition> defs = new ArrayList<>();
        ScenarioLoader loader = new ScenarioLoader();
        for (Path f : files) {
            defs.addAll(loader.load(f, display(f)));
        }
        StartTrace.mark("scenarios loaded");
        if (dryRun) {
            PrintWriter o = spec.commandLine().getOut();
            for (ScenarioDefinition d : defs) {
                o.println(d.source() + ": scenario '" + d.name() + "': " + d.machines().size() + " machine(s), "
                        + d.networks().size() + " network(s), " + d.tests().size() + " test(s)");
            }
            o.println("jvt: " + defs.size() + " scenario(s) checked; nothing was run (--dry-run)");
            o.flush();
            return 0;
        }
        Prerequisites.ensure(true);
        StartTrace.mark("host checked");
        if (Main.standalone) {
            // SIGINT/SIGTERM end the run in order: QEMU stopped, reports written, exit 130/143
            dev.jvt.engine.host.Interrupts.install(System.err);
        }

        Path runDir = out != null ? out : which == null ? defaultRunDirectory()
                : RunDirectory.create(Path.of("build", "jvt", "runs"), "-shard-" + which[0] + "-of-" + which[1]);
        Files.createDirectories(runDir);
        List<RunListener> listeners = new ArrayList<>();
        listeners.add(new ConsoleReporter(spec.commandLine().getOut(), verbose, parallel > 1));
        listeners.add(new JUnitXmlReporter(runDir.resolve("junit.xml")));
        listeners.add(new CastRecorder());
        listeners.add(new AllureReporter(runDir.resolve("allure-results")));
        if (which != null) {
            // a name that does not collide when the shards' results are gathered in one folder
            listeners.add(new JUnitXmlReporter(runDir.resolve("junit-" + which[0] + "-of-" + which[1] + ".xml")));
        }
        if (junit != null) {
            listeners.add(new JUnitXmlReporter(junit));
        }
        StartTrace.mark("reporters ready");
        List<ScenarioDefinition> all = new ArrayList<>();
        for (int i = 0; i < repeat; i++) {
            all.addAll(defs);
        }
        Path bundle = record ? runDir.toAbsolutePath().resolve("replay") : null;
        RunSettings settings = new RunSettings(runDir, parallel, filterPattern,
                new RunOptions(deterministic, record, verbose, bundle, !noReuse, host));
        RunSummary summary = new ScenarioRunner(settings, listeners).run(all);
        StartTrace.mark("run finished");
        if (filterPattern == null && dev.jvt.engine.host.Interrupts.exitCode() == 0) {
            recordDurations(summary, runDir, durationsFile);
        }
        PrintWriter o = spec.commandLine().getOut();
        int code = summary.exitCode();
        List<String> unwritten = listeners.stream().flatMap(l -> l.writeFailures().stream()).distinct().toList();
        if (!unwritten.isEmpty()) {
            PrintWriter e = spec.commandLine().getErr();
            e.println("jvt: the reports are incomplete: " + unwritten.size() + " file(s) could not be written:");
            unwritten.stream().limit(5).forEach(u -> e.println("  " + u));
            if (unwritten.size() > 5) {
                e.println("  ... and " + (unwritten.size() - 5) + " more");
            }
            e.flush();
            code = code == 0 || code == 1 ? 4 : code;
        }
        if (dev.jvt.engine.host.Interrupts.exitCode() != 0) {
            spec.commandLine().getErr().println("jvt: " + dev.jvt.engine.host.Interrupts.reason() + "; what ran is reported in " + runDir);
            spec.commandLine().getErr().flush();
        }
        if (record) {
            o.println("jvt: recorded; replay with: jvt replay " + runDir);
            if (code == 1) {
                // without --scenario, jvt replay --at failure opens the scenario that failed
                o.println("jvt: stand inside the failure with: jvt replay " + dev.jvt.engine.Shell.quote(runDir.toString()) + " --repl --at failure");
            }
        }
        if (deterministic && repeat > 1) {
            List<String> differences = TranscriptComparison.compare(summary.scenarios());
            if (differences.isEmpty()) {
                o.println("jvt: deterministic: the console transcripts of all " + repeat + " runs are identical");
            } else {
                o.println("jvt: NOT deterministic: the console transcripts differ between runs:");
                differences.forEach(d -> o.println("  " + d));
                code = Math.max(code, 1);
            }
        }
        o.flush();
        return code;
    }

    /**
     * {index, total} (1-based) of {@code --shard}, or null without it. {@code env} reads GitLab's
     * CI_NODE_INDEX/CI_NODE_TOTAL (1-based), Bazel's TEST_SHARD_INDEX/TEST_TOTAL_SHARDS (0-based)
     * or Kubernetes' JOB_COMPLETION_INDEX (0-based) with --shard-total or JVT_SHARD_TOTAL.
     */
    private int[] shardIndex() {
        if (shard == null) {
            if (shardTotal != null) {
                throw usage("--shard-total goes with --shard env");
            }
            return null;
        }
        if (shard.equals("env")) {
            return fromEnvironment(System.getenv(), shardTotal);
        }
        var m = Pattern.compile("(\\d{1,9})/(\\d{1,9})").matcher(shard);
        if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(1)) > Integer.parseInt(m.group(2))) {
            throw usage("--shard takes I/N with 1 <= I <= N, e.g. 2/4, or env (CI_NODE_INDEX/CI_NODE_TOTAL, TEST_SHARD_INDEX/TEST_TOTAL_SHARDS, JOB_COMPLETION_INDEX)");
        }
        if (shardTotal != null) {
            throw usage("--shard-total goes with --shard env; --shard " + shard + " already says how many");
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    static int[] fromEnvironment(Map<String, String> env, Integer total) {
        String gi = env.get("CI_NODE_INDEX");
        String gt = env.get("CI_NODE_TOTAL");
        if (gi != null || gt != null) {
            return checked("CI_NODE_INDEX", gi, 1, "CI_NODE_TOTAL", gt);
        }
        String bi = env.get("TEST_SHARD_INDEX");
        String bt = env.get("TEST_TOTAL_SHARDS");
        if (bi != null || bt != null) {
            return checked("TEST_SHARD_INDEX", bi, 0, "TEST_TOTAL_SHARDS", bt);
        }
        String ki = env.get("JOB_COMPLETION_INDEX");
        if (ki != null) {
            String kt = total != null ? total.toString() : env.get("JVT_SHARD_TOTAL");
            if (kt == null) {
                throw JvtException.badInput("jvt run: --shard env: JOB_COMPLETION_INDEX=" + ki
                        + " is set but not how many shards: add --shard-total N (the Job's completions) or set JVT_SHARD_TOTAL");
            }
            return checked("JOB_COMPLETION_INDEX", ki, 0, total != null ? "--shard-total" : "JVT_SHARD_TOTAL", kt);
        }
        throw JvtException.badInput("jvt run: --shard env: none of CI_NODE_INDEX/CI_NODE_TOTAL (GitLab parallel), "
                + "TEST_SHARD_INDEX/TEST_TOTAL_SHARDS or JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set");
    }

    private static int[] checked(String indexName, String index, int base, String totalName, String total) {
        if (index == null || total == null) {
            throw JvtException.badInput("jvt run: --shard env: " + (index == null ? indexName : totalName) + " is not set, "
                    + (index == null ? totalName : indexName) + " is");
        }
        int i;
        int n;
        try {
            i = Integer.parseInt(index.trim()) - base + 1;
            n = Integer.parseInt(total.trim());
        } catch (NumberFormatException e) {
            throw JvtException.badInput("jvt run: --shard env: " + indexName + "=" + index + " and " + totalName + "=" + total + " must be whole numbers");
        }
        if (n < 1 || i < 1 || i > n) {
            throw JvtException.badInput("jvt run: --shard env: " + indexName + "=" + index + " is outside 1.." + n + " shards ("
                    + totalName + "=" + total + (base == 0 ? "; " + indexName + " counts from 0" : "; " + indexName + " counts from 1") + ")");
        }
        return new int[] {i, n};
    }

    /**
     * Adds this run's time per scenario file (all its scenarios, divided by --repeat) to the
     * durations file, and writes the updated file into the run directory too (for CI artifacts).
     */
    private void recordDurations(RunSummary summary, Path runDir, Path file) {
        Map<String, Double> seconds = new java.util.TreeMap<>();
        for (dev.jvt.engine.events.ScenarioRun s : summary.scenarios()) {
            if (s.file() == null || s.stopMillis() <= s.startMillis()) {
                continue;
            }
            seconds.merge(dev.jvt.dsl.runtime.Durations.key(s.file()), (s.stopMillis() - s.startMillis()) / 1000.0 / repeat, Double::sum);
        }
        if (seconds.isEmpty()) {
            return;
        }
        dev.jvt.dsl.runtime.Durations fresh = new dev.jvt.dsl.runtime.Durations();
        java.time.Instant now = java.time.Instant.now();
        seconds.forEach((k, v) -> fresh.add(k, new dev.jvt.dsl.runtime.Durations.Sample(v, now)));
        try {
            dev.jvt.dsl.runtime.Durations all = dev.jvt.dsl.runtime.Durations.update(file, fresh);
            all.write(runDir.resolve(dev.jvt.dsl.runtime.Durations.FILE_NAME));
        } catch (IOException | RuntimeException e) {
            // weights for the next split only: the run's result stands
            spec.commandLine().getErr().println("jvt: could not record the scenario durations in " + file + ": " + e.getMessage());
            spec.commandLine().getErr().flush();
        }
    }

    private static Path defaultRunDirectory() throws IOException {
        return RunDirectory.create(Path.of("build", "jvt", "runs"));
    }

    private JvtException usage(String message) {
        return JvtException.badInput("jvt run: " + message);
    }

    private static String display(Path p) {
        return p.isAbsolute() ? p.toString() : p.normalize().toString();
    }

    /** Files as given; arguments with * ? [ that the shell did not expand are expanded here. */
    static List<Path> expand(List<String> args) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String a : args) {
            if (!a.matches(".*[*?\\[].*") || Files.exists(Path.of(a))) {
                Path p = Path.of(a);
                if (Files.isDirectory(p)) {
                    int before = out.size();
                    try (Stream<Path> s = Files.list(p)) {
                        s.filter(x -> x.toString().endsWith(".groovy")).sorted().forEach(out::add);
                    }
                    if (out.size() == before) {
                        throw JvtException.badInput("jvt run: the folder " + a + " holds no scenario file (*.groovy)");
                    }
                } else {
                    out.add(p);
                }
                continue;
            }
            int cut = a.substring(0, firstGlob(a)).lastIndexOf('/');
            Path base = cut < 0 ? Path.of(".") : Path.of(a.substring(0, cut + 1));
            PathMatcher pm = FileSystems.getDefault().getPathMatcher("glob:" + a);
            List<Path> matched = new ArrayList<>();
            if (Files.isDirectory(base)) {
                try (Stream<Path> s = Files.walk(base)) {
                    s.filter(Files::isRegularFile).map(p -> cut < 0 ? base.relativize(p) : p).filter(pm::matches).sorted().forEach(matched::add);
                }
            }
            if (matched.isEmpty()) {
                throw JvtException.badInput("no scenario file matches " + a);
            }
            out.addAll(matched);
        }
        return out;
    }

    private static int firstGlob(String s) {
        for (int i = 0; i < s.length(); i++) {
            if ("*?[".indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }
}
