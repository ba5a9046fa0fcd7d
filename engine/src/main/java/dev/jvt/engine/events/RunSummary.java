package dev.jvt.engine.events;

import dev.jvt.engine.JvtException;

import java.nio.file.Path;
import java.util.List;

/** Every scenario of a run, once they all finished, and the exit code the run ends with. */
public record RunSummary(Path runDirectory, List<ScenarioRun> scenarios, long durationMillis, int exitCode) {

    /** The summary of {@code scenarios}, its exit code computed from their outcomes ({@link #exitCode(List)}). */
    public static RunSummary of(Path runDirectory, List<ScenarioRun> scenarios, long durationMillis) {
        return new RunSummary(runDirectory, scenarios, durationMillis, exitCode(scenarios));
    }

    /**
     * 0 all passed; 1 a test failed; 2 bad input; 3 missing prerequisite; 4 infrastructure failure.
     * When several apply, the one that says most about the run wins: 3 over 2 over 4 over 1.
     */
    public static int exitCode(List<ScenarioRun> runs) {
        int code = 0;
        for (ScenarioRun r : runs) {
            for (TestRun t : r.tests()) {
                if (t.status() == Status.PASSED || t.status() == Status.SKIPPED) {
                    continue;
                }
                int c = JvtException.kindOf(t.failure()).exitCode;
                code = rank(c) > rank(code) ? c : code;
            }
        }
        return code;
    }

    private static int rank(int exitCode) {
        return switch (exitCode) {
            case 1 -> 1;
            case 4 -> 2;
            case 2 -> 3;
            case 3 -> 4;
            default -> 0;
        };
    }

    public long count(Status status) {
        return scenarios.stream().flatMap(s -> s.tests().stream())
                .filter(t -> !t.isFixture() && t.status() == status).count();
    }
}
