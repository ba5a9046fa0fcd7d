package dev.jvt.dsl

import groovy.xml.XmlSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

import javax.xml.XMLConstants
import javax.xml.transform.stream.StreamSource
import javax.xml.validation.SchemaFactory
import java.nio.file.Files
import java.nio.file.Path

/** Boots the built-in guest under real QEMU through `jvt run scenarios/hello.groovy`. */
@Stepwise
class HelloScenarioSpec extends Specification {
    @Shared Path out = JvtCli.tempDir('hello')
    @Shared Path junit = out.resolve('report.xml')
    @Shared JvtCli.Result result

    def setupSpec() {
        result = JvtCli.run('run', JvtCli.scenario('hello.groovy'), '--out', out.toString(), '--junit', junit.toString())
    }

    def "jvt run exits 0 and shows each test"() {
        expect:
        result.code == 0
        result.out.contains('✔ the guest runs Linux')
        result.out.contains('✔ a command returns its exact output and exit status')
        result.out.contains('✔ the monitor shows the registers')
        result.out.contains('hello: must succeed: uname -a (')
        result.out =~ /jvt: 5 passed, 0 failed in/
    }

    def "the run directory holds the machine's command line, transcript and QEMU log"() {
        given:
        Path m = out.resolve('hello/hello')

        expect:
        Files.readString(m.resolve('qemu-cmdline.txt')).contains('qemu-system-x86_64')
        Files.readString(m.resolve('qemu-cmdline.txt')).contains('-kernel')
        Files.readString(m.resolve('console.log')).contains('Run /init as init process')
        Files.exists(m.resolve('qemu.log'))
        Files.readString(m.resolve('monitor-001.txt')).startsWith('(qemu) info registers')
    }

    def "the JUnit XML is valid against the Ant JUnit schema and holds every test"() {
        given:
        def schemaFile = JvtCli.REPO.resolve('../shared/schemas/JUnit.xsd')
        def xml = new XmlSlurper().parse(junit.toFile())

        when:
        if (Files.exists(schemaFile)) {
            SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI).newSchema(schemaFile.toFile())
                    .newValidator().validate(new StreamSource(junit.toFile()))
        }

        then:
        noExceptionThrown()
        xml.testsuite.size() == 1
        xml.testsuite.@tests.text() == '5'
        xml.testsuite.@failures.text() == '0'
        xml.testsuite.testcase*.@name*.text() as Set == ['the guest runs Linux', 'a command returns its exact output and exit status',
                'fail passes when the command fails', 'the serial console shows the shell', 'the monitor shows the registers'] as Set
        xml.testsuite.'system-out'.text().contains('hello # typed-on-the-console')
    }
}
