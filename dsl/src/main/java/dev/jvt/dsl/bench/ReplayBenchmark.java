package dev.jvt.dsl.bench;

import dev.jvt.dsl.ScenarioDefinition;
import dev.jvt.dsl.ScenarioLoader;
import dev.jvt.dsl.runtime.RunSettings;
import dev.jvt.dsl.runtime.ScenarioRunner;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.events.RunSummary;
import dev.jvt.engine.replay.Replayer;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code jvt bench replay}: the same scenario run plainly and under --record (record overhead),
 * then the recording replayed (replay time relative to the recording), and the log size per second
 * of recorded guest run.
 */
public final class ReplayBenchmark implements Benchmark {
    static final String SCENARIO = """
            scenario('bench replay') {
                isolation 'sequential'
                machine('box') {}
                test('work') {
                    box.succeed 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; echo $i'
                    box.succeed 'uname -a; cat /proc/uptime; head -c 1024 /dev/urandom | md5sum'
                    box.sendConsole 'echo typed\\n'
                    box.waitForConsole ~/^typed/
                }
            }
            """;

    public ReplayBenchmark(int rounds) {
        // one round: a recording and its replay take minutes
    }

    @Override
    public String name() {
        return "replay";
    }

    @Override
    public List<Figure> run(PrintWriter log) throws Exception {
        Path dir = Files.createDirectories(Path.of("build", "jvt", "bench", "replay-" + System.currentTimeMillis()));
        Path script = dir.resolve("bench-replay.groovy");
        Files.writeString(script, SCENARIO);
        List<ScenarioDefinition> defs = new ScenarioLoader().load(script, script.toString());

        double plain = timeRun(defs, dir.resolve("plain"), RunOptions.DEFAULT);
        log.printf("  plain run: %.1f s%n", plain);
        log.flush();
        Path recorded = dir.resolve("recorded");
        double record = timeRun(defs, recorded, new RunOptions(false, true, false, recorded.toAbsolutePath().resolve("replay")));
        log.printf("  recorded run: %.1f s%n", record);
        log.flush();
        long t0 = System.nanoTime();
        List<Replayer.Outcome> outcomes = new Replayer(log).replay(recorded.resolve("replay").toAbsolutePath());
        double replay = (System.nanoTime() - t0) / 1e9;
        if (!outcomes.stream().allMatch(Replayer.Outcome::reproduced)) {
            throw new IllegalStateException("the benchmark's recording did not reproduce; see " + recorded);
        }
        long logBytes;
        try (Stream<Path> s = Files.walk(recorded.resolve("replay/machines"))) {
            logBytes = s.filter(p -> p.getFileName().toString().endsWith(".bin")).mapToLong(p -> p.toFile().length()).sum();
        }
        double mbPerSecond = logBytes / 1e6 / record;
        log.printf("  replay: %.1f s; replay log %.1f MB = %.2f MB per second of recorded run%n", replay, logBytes / 1e6, mbPerSecond);
        log.flush();
        return List.of(
                new Figure("replay", "recorded run / plain run (record overhead)", record, plain, "s", record / plain, "lower"),
                new Figure("replay-speed", "replay / recording", replay, record, "s", replay / record, "lower"));
    }

    private static double timeRun(List<ScenarioDefinition> defs, Path dir, RunOptions options) {
        long t0 = System.nanoTime();
        RunSummary r = new ScenarioRunner(new RunSettings(dir, 1, null, options), List.of()).run(defs);
        double s = (System.nanoTime() - t0) / 1e9;
        if (r.exitCode() != 0) {
            throw new IllegalStateException("the benchmark scenario failed (exit " + r.exitCode() + "); see " + dir);
        }
        return s;
    }
}
