package dev.jvt.dsl.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code jvt bench}: measures this host, each figure against a baseline measured in the same run. */
@Command(name = "bench", description = "Measure this host: each figure against its baseline in the same run.")
public final class BenchCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "BENCHMARK", description = "boot (default: all)")
    List<String> which;

    @Override
    public Integer call() {
        throw dev.jvt.engine.JvtException.badInput("jvt bench: not built yet");
    }
}
