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
 * {@code jvt report RUN1 RUN2 …} (the shards of one suite) merges them: one HTML report of every
 * run's results, one {@code junit.xml} holding every run's test suites, and their durations merged
 * into {@code jvt-durations.json} there and in the durations file the next split reads.
 */
@Command(name = "report", description = "Build the HTML report of a run, or merge several runs (shards) into one HTML report and one JUnit file.")
public final class ReportCommand implements Callable<Integer> {
    /** Where the build unpacks Allure, relative to the folder holding jvt's jar (or classes). */
    static final String ALLURE_FOLDER = "allure";
    private static final long TIMEOUT_MINUTES = 10;

    @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run directories (e.g. build/jvt/runs/latest) or their allure-results folders; several are merged.")
    List<Path> runs;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", description = "Where to write index.html (default: RUN/report; build/jvt/report for several runs).")
    Path out;

    @Option(names = "--durations", paramLabel = "FILE", description = "With several runs: also merge their durations into FILE "
            + "(default: $JVT_DURATIONS or build/jvt/jvt-durations.json).")
    Path durations;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        List<Path> results = new ArrayList<>();
        for (Path run : runs) {
            if (!Files.isDirectory(run)) {
                throw JvtException.badInput("jvt report: no run directory " + run);
            }
            Path r = Files.isDirectory(run.resolve("allure-results")) ? run.resolve("allure-results") : run;
            if (hasResults(r)) {
                results.add(r);
            } else if (runs.size() == 1 || !Files.isDirectory(run.resolve("allure-results"))) {
                throw JvtException.badInput("jvt report: " + run + " holds no Allure results (expected "
                        + run.resolve("allure-results") + " as written by jvt run)");
            } else {
                spec.commandLine().getErr().println("jvt report: " + run + " ran no test (an empty shard?): nothing of it to merge");
            }
        }
        if (results.isEmpty()) {
            throw JvtException.badInput("jvt report: none of the " + runs.size() + " runs holds a test result");
        }
        Path target;
        if (runs.size() == 1) {
            Path run = runs.get(0);
            target = out != null ? out : (results.get(0).equals(run) ? run.getParent() : run).resolve("report");
        } else {
            target = out != null ? out : Path.of("build", "jvt", "report");
        }
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
                    "-o", target.toAbsolutePath().toString()));
            results.forEach(r -> cmd.add(r.toAbsolutePath().toString()));
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
            if (runs.size() > 1) {
                // after the generator, which empties its output folder first (--clean)
                int suites = mergeJUnit(target.resolve("junit.xml"));
                spec.commandLine().getOut().println("jvt: junit " + target.resolve("junit.xml").toAbsolutePath().normalize()
                        + " (" + suites + " test suite(s) from " + runs.size() + " runs)");
                mergeDurations(target);
            }
            spec.commandLine().getOut().flush();
            return 0;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /**
     * Every {@code testsuite} of each run's {@code junit.xml} in one {@code testsuites} document at
     * {@code file}; a run without one is named and skipped. Returns how many suites it holds.
     */
    private int mergeJUnit(Path file) throws IOException {
        try {
            javax.xml.parsers.DocumentBuilderFactory f = javax.xml.parsers.DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setExpandEntityReferences(false);
            javax.xml.parsers.DocumentBuilder b = f.newDocumentBuilder();
            org.w3c.dom.Document merged = b.newDocument();
            org.w3c.dom.Element root = merged.createElement("testsuites");
            merged.appendChild(root);
            int id = 0;
            for (Path run : runs) {
                Path junit = run.resolve("junit.xml");
                if (!Files.isRegularFile(junit)) {
                    junit = run.getParent() == null ? junit : run.getParent().resolve("junit.xml");   // given the allure-results folder
                }
                if (!Files.isRegularFile(junit)) {
                    spec.commandLine().getErr().println("jvt report: " + run + " holds no junit.xml; its tests are only in the HTML report");
                    continue;
                }
                org.w3c.dom.Document d;
                try {
                    d = b.parse(junit.toFile());
                } catch (org.xml.sax.SAXException e) {
                    throw JvtException.badInput("jvt report: " + junit + " is not JUnit XML: " + e.getMessage());
                }
                org.w3c.dom.NodeList suites = d.getElementsByTagName("testsuite");
                for (int i = 0; i < suites.getLength(); i++) {
                    org.w3c.dom.Element s = (org.w3c.dom.Element) merged.importNode(suites.item(i), true);
                    s.setAttribute("id", Integer.toString(id++));
                    root.appendChild(merged.createTextNode("\n  "));
                    root.appendChild(s);
                }
            }
            root.appendChild(merged.createTextNode("\n"));
            javax.xml.transform.Transformer t = javax.xml.transform.TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(javax.xml.transform.OutputKeys.ENCODING, "UTF-8");
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".junit-", ".tmp");
            try {
                t.transform(new javax.xml.transform.dom.DOMSource(merged), new javax.xml.transform.stream.StreamResult(tmp.toFile()));
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return id;
        } catch (javax.xml.parsers.ParserConfigurationException | javax.xml.transform.TransformerException e) {
            throw JvtException.infrastructure("jvt report: cannot merge the JUnit files: " + e.getMessage());
        }
    }

    /** The runs' durations, merged, in {@code target} and in the durations file. */
    private void mergeDurations(Path target) throws IOException {
        dev.jvt.dsl.runtime.Durations all = new dev.jvt.dsl.runtime.Durations();
        for (Path run : runs) {
            Path f = run.resolve(dev.jvt.dsl.runtime.Durations.FILE_NAME);
            if (Files.isRegularFile(f)) {
                try {
                    all.merge(dev.jvt.dsl.runtime.Durations.read(f));
                } catch (JvtException e) {
                    spec.commandLine().getErr().println("jvt report: ignoring " + e.getMessage());
                }
            }
        }
        if (all.isEmpty()) {
            return;
        }
        all.write(target.resolve(dev.jvt.dsl.runtime.Durations.FILE_NAME));
        Path file = durations != null ? durations : dev.jvt.dsl.runtime.Durations.defaultFile();
        dev.jvt.dsl.runtime.Durations.update(file, all);
        spec.commandLine().getOut().println("jvt: durations of " + all.size() + " scenario file(s) merged into " + file);
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
