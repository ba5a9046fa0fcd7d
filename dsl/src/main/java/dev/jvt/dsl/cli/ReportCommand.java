package dev.jvt.dsl.cli;

import dev.jvt.engine.JvtException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code jvt report RUN}: turns a run's Allure results into one self-contained HTML file,
 * {@code RUN/report/index.html}, that opens from disk without a network. Uses Allure's own
 * command-line generator, which the build unpacks next to jvt ({@code dsl/target/allure}).
 */
@Command(name = "report", description = "Build the HTML report of a run: one file that opens offline.")
public final class ReportCommand implements Callable<Integer> {
    /** Where the build unpacks Allure, relative to the folder holding jvt's jar (or classes). */
    static final String ALLURE_FOLDER = "allure";
    private static final long TIMEOUT_MINUTES = 10;

    @Parameters(index = "0", paramLabel = "RUN", description = "A run directory (e.g. build/jvt/runs/latest) or its allure-results folder.")
    Path run;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", description = "Where to write index.html (default: RUN/report).")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path results = Files.isDirectory(run.resolve("allure-results")) ? run.resolve("allure-results") : run;
        if (!Files.isDirectory(run)) {
            throw JvtException.badInput("jvt report: no run directory " + run);
        }
        if (!hasResults(results)) {
            throw JvtException.badInput("jvt report: " + run + " holds no Allure results (expected "
                    + run.resolve("allure-results") + " as written by jvt run)");
        }
        Path target = out != null ? out : (results.equals(run) ? run.getParent() : run).resolve("report");
        Path home = allureHome();
        Path log = Files.createTempFile("jvt-allure-", ".log");
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.add("-Xshare:auto");
            cmd.add("-cp");
            cmd.add(home.resolve("lib") + "/*:" + home.resolve("lib/config"));
            cmd.add("io.qameta.allure.CommandLine");
            cmd.addAll(List.of("generate", "--single-file", "--clean", "--name", "jvt",
                    "-o", target.toAbsolutePath().toString(), results.toAbsolutePath().toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("APP_HOME", home.toString());
            pb.environment().put("ALLURE_NO_ANALYTICS", "true");   // no tracking script: the file must open offline
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw JvtException.infrastructure("Allure's report generator did not finish within " + TIMEOUT_MINUTES + " min");
            }
            Path index = target.resolve("index.html");
            if (p.exitValue() != 0 || !Files.isRegularFile(index)) {
                throw JvtException.infrastructure("Allure's report generator failed (exit code " + p.exitValue() + "):\n"
                        + Files.readString(log, StandardCharsets.UTF_8).strip());
            }
            spec.commandLine().getOut().println("jvt: report " + index.toAbsolutePath().normalize());
            spec.commandLine().getOut().flush();
            return 0;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static boolean hasResults(Path results) throws IOException {
        if (!Files.isDirectory(results)) {
            return false;
        }
        try (Stream<Path> s = Files.list(results)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith("-result.json"));
        }
    }

    /**
     * Allure's command line: {@code -Djvt.allure.home} or {@code $JVT_ALLURE_HOME}, else the
     * {@code allure/allure-*} folder next to jvt's jar.
     */
    static Path allureHome() throws IOException {
        String configured = System.getProperty("jvt.allure.home", System.getenv("JVT_ALLURE_HOME"));
        if (configured != null && !configured.isBlank()) {
            return checked(Path.of(configured));
        }
        Path base;
        try {
            base = Path.of(ReportCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException | RuntimeException e) {
            throw JvtException.prerequisite("cannot tell where jvt is installed: " + e.getMessage());
        }
        Path folder = base.resolve(ALLURE_FOLDER);
        if (Files.isDirectory(folder)) {
            try (Stream<Path> s = Files.list(folder)) {
                Path found = s.filter(p -> p.getFileName().toString().startsWith("allure-") && Files.isDirectory(p.resolve("lib")))
                        .sorted().reduce((a, b) -> b).orElse(null);
                if (found != null) {
                    return found;
                }
            }
        }
        throw JvtException.prerequisite("Allure's report generator is not in " + folder
                + "\nfix: mvn -B install -DskipTests   (in the jvt folder; the build unpacks it there)");
    }

    private static Path checked(Path home) {
        if (!Files.isDirectory(home.resolve("lib"))) {
            throw JvtException.prerequisite("no Allure command line in " + home + " (expected " + home.resolve("lib") + ")");
        }
        return home.toAbsolutePath();
    }
}
