package dev.jvt.dsl.bench;

import dev.jvt.dsl.ScenarioDefinition;
import dev.jvt.dsl.ScenarioLoader;
import dev.jvt.dsl.runtime.RunSettings;
import dev.jvt.dsl.runtime.ScenarioRunner;
import dev.jvt.engine.Machine;
import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.events.RunSummary;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code jvt bench rewind}: (a) going back to a snapshot of a booted machine vs booting it, both up
 * to the first command's answer; (b) a scenario of 20 small tests run with rewind-per-test vs
 * reboot-per-test.
 */
public final class RewindBenchmark implements Benchmark {
    static final int SUITE_TESTS = 20;
    private final int rounds;

    public RewindBenchmark(int rounds) {
        this.rounds = rounds;
    }

    @Override
    public String name() {
        return "rewind";
    }

    @Override
    public List<Figure> run(PrintWriter log) throws Exception {
        List<Double> boots = new ArrayList<>();
        List<Double> rewinds = new ArrayList<>();
        try (BenchEnvironment env = new BenchEnvironment("rewind")) {
            for (int i = 0; i < rounds; i++) {
                try (Machine m = env.machine(new MachineConfig("bench"), "m" + i)) {
                    long t0 = System.nanoTime();
                    m.launch();
                    m.succeed("true");
                    double boot = (System.nanoTime() - t0) / 1e9;
                    m.succeed("echo ready > /root/state");
                    m.snapshot("bench");
                    double best = Double.MAX_VALUE;
                    for (int k = 0; k < 3; k++) {
                        m.succeed("echo dirty > /root/state");
                        long t1 = System.nanoTime();
                        m.rewind("bench");
                        m.succeed("true");
                        best = Math.min(best, (System.nanoTime() - t1) / 1e9);
                    }
                    if (!m.succeed("cat /root/state").equals("ready\n")) {
                        throw new IllegalStateException("rewind did not restore the guest state");
                    }
                    boots.add(boot);
                    rewinds.add(best);
                    log.printf("  round %d: boot %.2f s, rewind %.3f s%n", i + 1, boot, best);
                    log.flush();
                }
            }
        }
        double boot = Stats.median(boots);
        double rewind = Stats.median(rewinds);

        Path dir = Files.createDirectories(Path.of("build", "jvt", "bench", "rewind-suite-" + System.currentTimeMillis()));
        double snapshotSuite = suite(dir, "snapshot", log);
        double rebootSuite = suite(dir, "reboot", log);
        return List.of(
                new Figure("rewind", "boot time / rewind time (to first command answer)", rewind, boot, "s", boot / rewind, "higher"),
                new Figure("rewind-suite", SUITE_TESTS + "-test scenario: reboot-per-test / rewind-per-test", snapshotSuite, rebootSuite, "s",
                        rebootSuite / snapshotSuite, "higher"));
    }

    /** Runs the 20-test scenario with {@code isolation}; returns its wall time in seconds. */
    private static double suite(Path dir, String isolation, PrintWriter log) throws Exception {
        StringBuilder text = new StringBuilder("scenario('bench " + isolation + "') {\n  isolation '" + isolation + "'\n  machine('box') {}\n"
                + "  setup { box.succeed 'echo base > /root/base' }\n");
        for (int i = 1; i <= SUITE_TESTS; i++) {
            text.append("  test('t").append(i).append("') {\n    assert box.succeed('cat /root/base') == 'base\\n'\n")
                    .append("    box.succeed 'echo ").append(i).append(" > /root/mine'\n  }\n");
        }
        text.append("}\n");
        Path script = dir.resolve("suite-" + isolation + ".groovy");
        Files.writeString(script, text);
        List<ScenarioDefinition> defs = new ScenarioLoader().load(script, script.toString());
        long t0 = System.nanoTime();
        // reuse off: isolation reboot boots for every test, which is what snapshots are measured against
        RunSummary r = new ScenarioRunner(new RunSettings(dir.resolve(isolation), 1, null, RunOptions.DEFAULT.withReuse(false)), List.of()).run(defs);
        double s = (System.nanoTime() - t0) / 1e9;
        if (r.exitCode() != 0) {
            throw new IllegalStateException("the " + isolation + " suite failed (exit " + r.exitCode() + "); see " + dir.resolve(isolation));
        }
        log.printf("  %d tests with isolation '%s': %.1f s%n", SUITE_TESTS, isolation, s);
        log.flush();
        return s;
    }
}
