package dev.jvt.dsl

import dev.jvt.dsl.cli.Main

import java.nio.file.Files
import java.nio.file.Path

/** Runs the jvt command line in this JVM and captures what it prints. */
class JvtCli {
    /** The repository root (where scenarios/ is). */
    static final Path REPO = Path.of(System.getProperty('jvt.repo', '..')).toAbsolutePath().normalize()

    static class Result {
        int code
        String out
        String err

        String toString() { "exit $code\n--- out ---\n$out\n--- err ---\n$err" }
    }

    static Result run(String... args) {
        def out = new StringWriter()
        def err = new StringWriter()
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true))
        new Result(code: code, out: out.toString(), err: err.toString())
    }

    /**
     * Runs the Spock spec {@code text} in this JVM as a user's project would, its jvt run directory
     * under {@code runs}, with {@code properties} set as system properties while it runs.
     */
    static def runSpec(Path runs, String text, Map<String, String> properties = [:]) {
        System.setProperty('jvt.runs', runs.toString())
        properties.each { k, v -> System.setProperty(k, v) }
        try {
            new spock.util.EmbeddedSpecRunner(throwFailure: false).run(text)
        } finally {
            properties.keySet().each { System.clearProperty(it) }
        }
    }

    /**
     * Every test case of the JUnit XML files in {@code runs}, as "scenario › test" (or the test's
     * name alone with {@code qualified} false) to [kind: passed|failure|error|skipped, text: the
     * failure's text, skipped: the skip message].
     */
    static Map<String, Map> junitCases(List<Path> runs, boolean qualified = true) {
        def cases = [:]
        runs.each { dir ->
            new groovy.xml.XmlSlurper().parse(dir.resolve('junit.xml').toFile()).testsuite.each { suite ->
                suite.testcase.each { tc ->
                    def f = tc.failure.size() ? tc.failure : tc.error
                    cases[(qualified ? suite.@name.text() + ' › ' : '') + tc.@name.text()] = [
                            kind   : tc.failure.size() ? 'failure' : tc.error.size() ? 'error' : tc.skipped.size() ? 'skipped' : 'passed',
                            text   : f.text(), skipped: tc.skipped.@message.text()]
                }
            }
        }
        cases
    }

    static String scenario(String relative) {
        REPO.resolve('scenarios').resolve(relative).toString()
    }

    static Path tempDir(String prefix) {
        def base = REPO.resolve('dsl/target/test-runs')
        Files.createDirectories(base)
        Files.createTempDirectory(base, prefix)
    }

    /** ../shared/schemas/JUnit.xsd next to the repository (or next to the folder of a worktree of it). */
    static Path junitSchema() {
        for (Path p = REPO.parent; p != null; p = p.parent) {
            Path f = p.resolve('shared/schemas/JUnit.xsd')
            if (Files.isRegularFile(f)) {
                return f
            }
        }
        REPO.resolve('../shared/schemas/JUnit.xsd').normalize()
    }
}
