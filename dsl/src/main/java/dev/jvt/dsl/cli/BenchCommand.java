package dev.jvt.dsl.cli;

import dev.jvt.dsl.bench.Benchmark;
import dev.jvt.dsl.bench.BootBenchmark;
import dev.jvt.dsl.bench.NetworkBenchmark;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.host.Prerequisites;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;

/**
 * {@code jvt bench}: measures this host, each figure against its baseline measured in the same
 * run; prints a table, then one {@code name: ratio=X} line per figure.
 */
@Command(name = "bench", description = "Measure this host: each figure against its baseline in the same run.")
public final class BenchCommand implements Callable<Integer> {
    /** Every benchmark by name; each takes the number of rounds. */
    static final Map<String, IntFunction<Benchmark>> BENCHMARKS = new LinkedHashMap<>();

    static {
        BENCHMARKS.put("boot", BootBenchmark::new);
        BENCHMARKS.put("network", NetworkBenchmark::new);
        BENCHMARKS.put("rewind", dev.jvt.dsl.bench.RewindBenchmark::new);
        BENCHMARKS.put("replay", dev.jvt.dsl.bench.ReplayBenchmark::new);
        BENCHMARKS.put("guest", dev.jvt.dsl.bench.GuestBenchmark::new);
        BENCHMARKS.put("reuse", dev.jvt.dsl.bench.ReuseBenchmark::new);
        BENCHMARKS.put("faults", dev.jvt.dsl.bench.FaultsBenchmark::new);
        BENCHMARKS.put("shards", dev.jvt.dsl.bench.ShardsBenchmark::new);
    }

    @Parameters(arity = "0..*", paramLabel = "BENCHMARK", description = "Which: ${COMPLETION-CANDIDATES} (default: all).",
            completionCandidates = Names.class)
    List<String> which;

    @Option(names = "--rounds", defaultValue = "3", description = "Repetitions of each measurement (median is reported).")
    int rounds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    static final class Names extends ArrayList<String> {
        Names() {
            super(BENCHMARKS.keySet());
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<String> names = which == null || which.isEmpty() ? new ArrayList<>(BENCHMARKS.keySet()) : which;
        for (String n : names) {
            if (!BENCHMARKS.containsKey(n)) {
                throw JvtException.badInput("jvt bench: unknown benchmark '" + n + "' (known: " + String.join(", ", BENCHMARKS.keySet()) + ")");
            }
        }
        Prerequisites.ensure(true);
        List<Benchmark.Figure> figures = new ArrayList<>();
        for (String n : names) {
            out.println("bench " + n + " ...");
            out.flush();
            figures.addAll(BENCHMARKS.get(n).apply(rounds).run(out));
        }
        out.println();
        out.printf(Locale.ROOT, "%-14s %-52s %12s %12s %8s%n", "benchmark", "what", "jvt", "baseline", "ratio");
        for (Benchmark.Figure f : figures) {
            out.printf(Locale.ROOT, "%-14s %-52s %10.3f %s %10.3f %s %8.3f  (%s is better)%n", f.name(), f.what(),
                    f.jvt(), f.unit(), f.baseline(), f.unit(), f.ratio(), f.better());
        }
        out.println();
        for (Benchmark.Figure f : figures) {
            out.printf(Locale.ROOT, "%s: ratio=%.3f%n", f.name(), f.ratio());
        }
        out.flush();
        return 0;
    }
}
