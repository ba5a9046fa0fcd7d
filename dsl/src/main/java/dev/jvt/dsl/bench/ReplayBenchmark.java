package dev.jvt.dsl.bench;

import dev.jvt.dsl.ScenarioDefinition;
import dev.jvt.dsl.ScenarioLoader;
import dev.jvt.dsl.runtime.RunSettings;
import dev.jvt.dsl.runtime.ScenarioRunner;
import dev.jvt.engine.RunOptions;
import dev.jvt.engine.events.RunSummary;
import dev.jvt.engine.replay.Replayer;
import dev.jvt.engine.replay.TimeTravel;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code jvt bench replay}: the same scenario run plainly and under --record (record overhead),
 * then the recording replayed (replay time relative to the recording), and the log size per second
 * of recorded guest run; then time travel's seek (a replay to a failure against a step back from it).
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

    /** A recording with a failure, for the seek figure. */
    static final String FAILING = """
            scenario('bench seek') {
                machine('box') {}
                test('works, then fails') {
                    box.succeed 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; echo $i > /dev/ttyS0'
                    box.succeed 'uname -a > /dev/ttyS0; cat /proc/uptime > /dev/ttyS0'
                    box.succeed 'echo failing now > /dev/ttyS0; exit 1'
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

        // both boot: the recording cannot restore from the boot cache, so neither does the plain run
        double plain = timeRun(defs, dir.resolve("plain"), RunOptions.DEFAULT.withReuse(false));
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
        double[] seek = seek(dir, log);
        return List.of(
                new Figure("replay", "recorded run / plain run (record overhead)", record, plain, "s", record / plain, "lower"),
                new Figure("replay-speed", "replay / recording", replay, record, "s", replay / record, "lower"),
                new Figure("seek", "replay to the failure / 'back 1s' at the failure", seek[0], seek[1], "s", seek[0] / seek[1], "higher"));
    }

    /**
     * Time travel: a failing scenario is recorded; the baseline is a plain replay to its failure
     * (no snapshots on the way), the figure the median of three {@code back 1s} in a row from the
     * failure (1, 2 and 3 s before it) after a replay to the failure that took its snapshots.
     * Returns {full replay, median back}.
     */
    private static double[] seek(Path dir, PrintWriter log) throws Exception {
        Path script = dir.resolve("bench-seek.groovy");
        Files.writeString(script, FAILING);
        Path recorded = dir.resolve("recorded-failure");
        RunSummary r = new ScenarioRunner(new RunSettings(recorded, 1, null,
                new RunOptions(false, true, false, recorded.toAbsolutePath().resolve("replay"))), List.of())
                .run(new ScenarioLoader().load(script, script.toString()));
        if (r.exitCode() != 1) {
            throw new IllegalStateException("the seek benchmark's scenario should fail once (exit 1), it exited " + r.exitCode() + "; see " + recorded);
        }
        Path bundle = recorded.resolve("replay").toAbsolutePath();
        double full;
        try (TimeTravel t = TimeTravel.open(bundle, null, null, false)) {
            t.machines().values().forEach(m -> m.snapshotsOnTheWay(false));
            long t0 = System.nanoTime();
            checked(t.go(t.resolve("failure")));
            full = (System.nanoTime() - t0) / 1e9;
        }
        log.printf("  plain replay to the failure: %.1f s%n", full);
        List<Double> backs = new ArrayList<>();
        try (TimeTravel t = TimeTravel.open(bundle, null, null, false)) {
            long t0 = System.nanoTime();
            checked(t.go(t.resolve("failure")));
            log.printf("  replay to the failure taking snapshots: %.1f s (%d snapshots)%n", (System.nanoTime() - t0) / 1e9,
                    t.machines().values().iterator().next().snapshotCount());
            // three steps back in a row: each lands on a point no move has been to (no snapshot there yet)
            for (int i = 0; i < 3; i++) {
                long b0 = System.nanoTime();
                checked(t.go(t.back(Duration.ofSeconds(1))));
                backs.add((System.nanoTime() - b0) / 1e9);
            }
        }
        double back = Stats.median(backs);
        log.printf("  back 1s, three times from the failure: %s s, median %.2f s%n", backs.stream().map(b -> String.format(java.util.Locale.ROOT, "%.2f", b)).toList(), back);
        log.flush();
        return new double[]{full, back};
    }

    private static void checked(List<TimeTravel.Moved> moved) {
        for (TimeTravel.Moved m : moved) {
            if (m.position().diverged() != null) {
                throw new IllegalStateException(m.machine() + ": the replay diverged: " + m.position().diverged());
            }
        }
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
