package dev.jvt.dsl.bench;

import dev.jvt.dsl.runtime.Durations;
import dev.jvt.dsl.runtime.ShardPlan;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code jvt bench shards}: for the repository's scenario files ({@code scenarios/*.groovy}) and
 * their recorded durations, the slowest shard over the mean shard for N = 2, 3, 4 as
 * {@code --shard} splits them now (longest first by duration) against the round-robin split by
 * file order it made before. Files without a recorded duration are run once first ({@code jvt run},
 * which records them), so the first call takes minutes and later ones a moment.
 */
public final class ShardsBenchmark implements Benchmark {

    public ShardsBenchmark(int rounds) {
        // a computation over recorded durations: nothing to repeat
    }

    @Override
    public String name() {
        return "shards";
    }

    @Override
    public List<Figure> run(PrintWriter log) throws Exception {
        Path home = Path.of(System.getProperty("jvt.home", ".")).toAbsolutePath().normalize();
        List<Path> files;
        try (Stream<Path> s = Files.list(home.resolve("scenarios"))) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".groovy")).sorted().toList();
        }
        Path file = Durations.defaultFile();
        Durations known = Durations.read(file);
        List<String> missing = new ArrayList<>();
        for (Path f : files) {
            if (Double.isNaN(known.median(Durations.key(f)))) {
                missing.add(f.toString());
            }
        }
        if (!missing.isEmpty()) {
            log.println("  " + missing.size() + " of " + files.size() + " scenario files have no recorded duration in " + file
                    + ": running them once (jvt run, which records them)");
            log.flush();
            Path out = Files.createTempDirectory("jvt-bench-shards-");
            List<String> args = new ArrayList<>(List.of("run", "--durations", file.toString(), "--out", out.toString()));
            args.addAll(missing);
            StringWriter sink = new StringWriter();
            long t0 = System.nanoTime();
            int code = dev.jvt.dsl.cli.Main.execute(args.toArray(String[]::new), new PrintWriter(sink), new PrintWriter(sink));
            log.printf(Locale.ROOT, "  ran them in %.0f s (exit %d)%n", (System.nanoTime() - t0) / 1e9, code);
            dev.jvt.engine.WorkFolder.deleteTree(out);
            known = Durations.read(file);
        }
        List<String> keys = files.stream().map(Durations::key).toList();
        List<ShardPlan.Entry> entries = ShardPlan.weigh(keys, known);
        double total = entries.stream().mapToDouble(ShardPlan.Entry::weight).sum();
        double longest = entries.stream().mapToDouble(ShardPlan.Entry::weight).max().orElse(0);
        log.printf(Locale.ROOT, "  %d files, %.1f s in all, the longest %.1f s (%s)%n", entries.size(), total, longest,
                entries.stream().filter(e -> e.weight() == longest).map(ShardPlan.Entry::key).findFirst().orElse("-"));
        List<Figure> figures = new ArrayList<>();
        for (int n = 2; n <= 4; n++) {
            ShardPlan balanced = ShardPlan.balanced(entries, n);
            ShardPlan robin = ShardPlan.roundRobin(entries, n);
            double floor = Math.max(1, longest / (total / n));
            log.printf(Locale.ROOT, "  N=%d: balanced shards %s s, round robin %s s; no split of whole files beats %.3f%n", n,
                    weights(balanced), weights(robin), floor);
            figures.add(new Figure("shards-" + n, "slowest shard / mean, N=" + n + " (baseline: round robin)",
                    balanced.imbalance(), robin.imbalance(), "x", balanced.imbalance(), "lower"));
        }
        log.flush();
        return figures;
    }

    private static String weights(ShardPlan p) {
        return p.shards().stream().map(s -> String.format(Locale.ROOT, "%.0f", s.weight())).reduce((a, b) -> a + "/" + b).orElse("");
    }
}
