package dev.jvt.dsl.bench;

import java.io.PrintWriter;
import java.util.List;

/**
 * One {@code jvt bench} measurement: the jvt figure and its baseline, measured in the same run,
 * so the ratio means something on a noisy machine.
 */
public interface Benchmark {
    /** A measured pair and its ratio. {@code name} is what the final {@code name: ratio=X} line says. */
    record Figure(String name, String what, double jvt, double baseline, String unit, double ratio, String better) {
    }

    String name();

    /** Runs the measurement, printing progress to {@code log}; returns one or more figures. */
    List<Figure> run(PrintWriter log) throws Exception;
}
