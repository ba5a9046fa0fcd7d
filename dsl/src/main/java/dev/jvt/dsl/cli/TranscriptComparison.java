package dev.jvt.dsl.cli;

import dev.jvt.engine.events.ScenarioRun;
import dev.jvt.engine.replay.Replayer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Compares the console transcripts of repeated runs of the same scenarios (--deterministic --repeat N). */
final class TranscriptComparison {
    private TranscriptComparison() {
    }

    /** One line per machine whose transcript differs between repetitions; empty when all are identical. */
    static List<String> compare(List<ScenarioRun> runs) throws IOException {
        Map<String, List<ScenarioRun>> byScenario = new LinkedHashMap<>();
        for (ScenarioRun r : runs) {
            byScenario.computeIfAbsent(r.file() + "\\0" + r.name(), k -> new ArrayList<>()).add(r);
        }
        List<String> out = new ArrayList<>();
        for (List<ScenarioRun> reps : byScenario.values()) {
            ScenarioRun first = reps.get(0);
            List<Path> machines;
            try (Stream<Path> s = Files.list(first.directory())) {
                machines = s.filter(p -> Files.isRegularFile(p.resolve(dev.jvt.engine.MachineFolder.CONSOLE))).sorted().toList();
            }
            for (Path m : machines) {
                byte[] a = Files.readAllBytes(m.resolve(dev.jvt.engine.MachineFolder.CONSOLE));
                for (int i = 1; i < reps.size(); i++) {
                    Path other = reps.get(i).directory().resolve(m.getFileName()).resolve(dev.jvt.engine.MachineFolder.CONSOLE);
                    byte[] b = Files.exists(other) ? Files.readAllBytes(other) : new byte[0];
                    int d = Replayer.firstDifference(a, b);
                    if (d >= 0) {
                        out.add(first.name() + " › " + m.getFileName() + ": run 1 and run " + (i + 1) + " differ at byte " + d
                                + ": " + Replayer.around(a, d) + " vs " + Replayer.around(b, d));
                    }
                }
            }
        }
        return out;
    }
}
