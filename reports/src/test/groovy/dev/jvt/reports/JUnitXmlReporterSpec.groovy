package dev.jvt.reports

import dev.jvt.engine.events.RunSummary
import groovy.xml.XmlSlurper
import org.opentest4j.TestAbortedException
import spock.lang.Specification
import spock.lang.TempDir

import javax.xml.XMLConstants
import javax.xml.transform.stream.StreamSource
import javax.xml.validation.SchemaFactory
import java.nio.file.Files
import java.nio.file.Path

class JUnitXmlReporterSpec extends Specification {
    static final Path REPO = Path.of(System.getProperty('jvt.repo', '..')).toAbsolutePath().normalize()
    /** ../shared/schemas/JUnit.xsd next to the repository (or next to a folder holding a worktree of it). */
    static final Path SCHEMA = schema()

    static Path schema() {
        for (Path p = REPO.parent; p != null; p = p.parent) {
            Path f = p.resolve('shared/schemas/JUnit.xsd')
            if (Files.isRegularFile(f)) {
                return f
            }
        }
        REPO.resolve('../shared/schemas/JUnit.xsd').normalize()
    }

    @TempDir Path dir

    def "every outcome (passed, failed, broken, skipped, failed fixtures) gives XML valid against the Ant JUnit schema"() {
        given:
        if (!Files.isRegularFile(SCHEMA)) {
            throw new TestAbortedException("the Ant JUnit schema is not at $SCHEMA (it lives in ../shared/schemas/ next to the repository)")
        }
        def scenarios = SampleRuns.mixed(dir)
        Path file = dir.resolve('junit.xml')

        when:
        new JUnitXmlReporter(file).runFinished(new RunSummary(dir, scenarios, 1234, 4))
        SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI).newSchema(SCHEMA.toFile())
                .newValidator().validate(new StreamSource(file.toFile()))

        then:
        noExceptionThrown()
    }

    def "tests, failures, errors and skips are counted per scenario, fixtures appear only when they failed"() {
        given:
        def xml = new XmlSlurper().parseText(JUnitXmlReporter.toXml(SampleRuns.mixed(dir)))
        def web = xml.testsuite.find { it.@name == 'web' }
        def dead = xml.testsuite.find { it.@name == 'dead' }

        expect:
        web.testcase*.@name*.text() == ['the guest runs Linux', 'a failing command', 'QEMU dies', 'never runs', 'teardown']
        web.@tests.text() == '5'
        web.@failures.text() == '2'
        web.@errors.text() == '1'
        web.@skipped.text() == '1'
        web.testcase.find { it.@name == 'a failing command' }.failure.@message.text() == 'server: command failed with exit code 127: nosuchcommand'
        web.testcase.find { it.@name == 'QEMU dies' }.error.text().contains('Kernel panic')
        web.testcase.find { it.@name == 'never runs' }.skipped.@message.text() == 'not run: machine server is down'
        web.testcase*.@classname*.text().toSet() == ['web.web'] as Set

        dead.testcase*.@name*.text() == ['boot', 'pings']
        dead.@errors.text() == '1'
        dead.@skipped.text() == '1'
    }

    def "the console transcript is the suite's system-out, without characters XML cannot hold"() {
        given:
        def xml = new XmlSlurper().parseText(JUnitXmlReporter.toXml(SampleRuns.mixed(dir)))
        String out = xml.testsuite.find { it.@name == 'web' }.'system-out'.text()

        expect:
        out == 'server # Run /init as init process\nserver # bell  and escape [0m <&>\nserver # sh: nosuchcommand: not found\n'  // boot lines too
        !out.contains('\u0007')
    }
}
