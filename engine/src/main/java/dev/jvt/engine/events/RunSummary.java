package dev.jvt.engine.events;

import java.nio.file.Path;
import java.util.List;

/** Every scenario of a run, once they all finished, and the exit code the run ends with. */
public record RunSummary(Path runDirectory, List<ScenarioRun> scenarios, long durationMillis, int exitCode) {

    public long count(Status status) {
        return scenarios.stream().flatMap(s -> s.tests().stream())
                .filter(t -> !t.isFixture() && t.status() == status).count();
    }
}
