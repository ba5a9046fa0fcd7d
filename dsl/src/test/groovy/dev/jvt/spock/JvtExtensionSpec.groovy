package dev.jvt.spock

import dev.jvt.dsl.JvtCli
import groovy.json.JsonSlurper
import groovy.xml.XmlSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.util.EmbeddedSpecRunner

import javax.xml.XMLConstants
import javax.xml.transform.stream.StreamSource
import javax.xml.validation.SchemaFactory
import java.nio.file.Files
import java.nio.file.Path

/**
 * The Spock entry point, by running small spec texts the way a user's project would: one boots
 * the built-in guest under real QEMU and has passing, failing and data-driven features.
 */
@Stepwise
class JvtExtensionSpec extends Specification {
    @Shared Path runs = JvtCli.tempDir('spock')
    @Shared def result
    @Shared Path run
    @Shared List<Map> tests
    @Shared Map container

    def setupSpec() {
        result = JvtCli.runSpec(runs, '''
            import dev.jvt.engine.Machine
            import dev.jvt.spock.Jvt
            import spock.lang.*

            @Jvt
            class GuestSpec extends Specification {
                @Shared Machine box = machine('box') { memory '256M' }

                def "the guest runs Linux"() {
                    expect: box.succeed('uname -s').trim() == 'Linux'
                }

                def "a failing command fails the feature"() {
                    expect: box.succeed('echo about to fail; exit 3')
                }

                def "each iteration is a test: #word"() {
                    expect: box.succeed("echo $word").trim() == word
                    where: word << ['one', 'two']
                }

                def "a feature leaves a file behind"() {
                    expect: box.succeed('echo x > /root/left-behind; ls /root').contains('left-behind')
                }

                def "the next feature starts from the snapshot, without it"() {
                    expect: box.execute('test -e /root/left-behind')[0] == 1
                }
            }
        ''', ['jvt.reuse': 'false']) // the boot's own steps are checked below
        run = runs.resolve('latest').toRealPath()
        def json = new JsonSlurper()
        def files = Files.list(run.resolve('allure-results')).toList()
        tests = files.findAll { it.fileName.toString().endsWith('-result.json') }.collect { json.parse(it.toFile()) as Map }
        container = json.parse(files.find { it.fileName.toString().endsWith('-container.json') }.toFile()) as Map
    }

    def "features run against the machine declared in a @Shared field, and Spock sees their outcome"() {
        expect:
        result.testsSucceededCount == 6        // the data-driven feature counts besides its two iterations
        result.testsFailedCount == 1
        result.failures[0].exception.message.contains('box: command failed with exit code 3: echo about to fail; exit 3')
    }

    def "the machine boots once for the whole spec, is snapshotted after setupSpec and rewound before each later feature"() {
        given:
        def later = tests.findAll { it.name != 'the guest runs Linux' }

        expect:
        Files.readAllLines(run.resolve('guestspec/box/qemu-cmdline.txt')).size() == 1
        container.befores*.name == ['boot', 'setupSpec']
        container.befores[0].steps*.name == ['box: waiting for boot']
        container.befores[1].steps*.name == ["box: snapshot 'jvt-setup'"]
        tests.find { it.name == 'the guest runs Linux' }.steps*.name == ['box: must succeed: uname -s']
        later.size() == 5
        later.every { it.steps[0].name == "box: rewind to 'jvt-setup'" && it.steps[0].status == 'passed' }
        tests.find { it.name == 'the next feature starts from the snapshot, without it' }.status == 'passed'
    }

    def "every feature iteration is an Allure result with its steps, like a scenario's test"() {
        given:
        def linux = tests.find { it.name == 'the guest runs Linux' }

        expect:
        tests.collectEntries { [it.name, it.status] } == ['the guest runs Linux': 'passed', 'a failing command fails the feature': 'failed',
                'each iteration is a test: one': 'passed', 'each iteration is a test: two': 'passed',
                'a feature leaves a file behind': 'passed', 'the next feature starts from the snapshot, without it': 'passed']
        linux.steps*.name == ['box: must succeed: uname -s']
        linux.steps[0].parameters.collectEntries { [it.name, it.value] } == [machine: 'box', command: 'uname -s']
        linux.labels.find { it.name == 'suite' }.value == 'GuestSpec'
        container.afters.find { it.name == 'machine files' }.attachments*.name ==
                ['box: serial console', 'box: console cast (asciinema)', 'box: QEMU command line', 'box: QEMU log']
    }

    def "a failing feature carries the message, the console at the failure and a screenshot"() {
        given:
        def failed = tests.find { it.name == 'a failing command fails the feature' }
        def console = failed.attachments.find { it.name == 'box: console at the failure' }
        def shot = failed.steps.find { it.name == "box: screenshot 'failure-001'" }.attachments[0]

        expect:
        shot.name == 'screenshot failure-001'
        shot.type == 'image/png'
        Files.readAllBytes(run.resolve('allure-results').resolve(shot.source))[0..3] == [0x89, 0x50, 0x4e, 0x47] as byte[]
        failed.statusDetails.message.startsWith('box: command failed with exit code 3: echo about to fail; exit 3\nstdout:\n  about to fail')
        failed.statusDetails.message.contains('last console lines:\nbox # ')
        Files.readString(run.resolve('allure-results').resolve(console.source)).contains('Run /init as init process')
    }

    def "the run's JUnit XML has the spec as a suite and is valid against the Ant schema"() {
        given:
        Path junit = run.resolve('junit.xml')
        def xml = new XmlSlurper().parse(junit.toFile())

        when:
        if (Files.isRegularFile(JvtCli.junitSchema())) {
            SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI).newSchema(JvtCli.junitSchema().toFile())
                    .newValidator().validate(new StreamSource(junit.toFile()))
        }

        then:
        noExceptionThrown()
        xml.testsuite.@name.text() == 'GuestSpec'
        xml.testsuite.@tests.text() == '6'
        xml.testsuite.@failures.text() == '1'
    }

    def "a mistake in a machine block fails the spec with the DSL's message, also through the static import"() {
        when:
        def r = new EmbeddedSpecRunner(throwFailure: false).run('''
            import dev.jvt.engine.Machine
            import dev.jvt.spock.Jvt
            import spock.lang.*
            import static dev.jvt.spock.JvtDsl.machine

            @Jvt
            class BadSpec extends Specification {
                @Shared Machine box = machine('box') { memory 256 }
                def "never runs"() { expect: true }
            }
        ''')

        then:
        r.containersFailedCount == 1
        r.testsSucceededCount == 0
        r.failures[0].exception.message == "memory 256: give a size with a unit, e.g. memory '256M'"
    }

    def "machine(...) outside a @Shared field of a @Jvt spec says where it belongs"() {
        when:
        def r = new EmbeddedSpecRunner(throwFailure: false).run('''
            import dev.jvt.engine.Machine
            import spock.lang.*
            import static dev.jvt.spock.JvtDsl.machine

            class NotJvtSpec extends Specification {
                @Shared Machine box = machine('box')
                def "never runs"() { expect: true }
            }
        ''')

        then:
        r.failures[0].exception.message.startsWith("machine('box'): machines are declared in @Shared fields of a Spock spec annotated with @Jvt")
    }
}
