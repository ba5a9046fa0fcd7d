package dev.jvt.dsl

import groovy.json.JsonSlurper
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
        // --no-reuse: the boot's own steps are what the reports are checked for (BootCacheSpec covers reuse)
        result = JvtCli.run('run', JvtCli.scenario('hello.groovy'), '--out', out.toString(), '--junit', junit.toString(), '--no-reuse')
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
        def schemaFile = JvtCli.junitSchema()
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

    def "the Allure results hold one result per test, each DSL action a step with its machine, and the machine's files"() {
        given:
        Path results = out.resolve('allure-results')
        def json = new JsonSlurper()
        def all = Files.list(results).toList()
        def tests = all.findAll { it.fileName.toString().endsWith('-result.json') }.collect { json.parse(it.toFile()) }
        def container = json.parse(all.find { it.fileName.toString().endsWith('-container.json') }.toFile())
        def linux = tests.find { it.name == 'the guest runs Linux' }
        def monitor = tests.find { it.name == 'the monitor shows the registers' }.steps.find { it.name.startsWith('hello: monitor:') }
        def files = container.afters.find { it.name == 'machine files' }.attachments

        expect:
        tests*.name as Set == ['the guest runs Linux', 'a command returns its exact output and exit status',
                'fail passes when the command fails', 'the serial console shows the shell', 'the monitor shows the registers'] as Set
        tests.every { it.status == 'passed' }
        linux.steps*.name == ['hello: must succeed: uname -a']
        linux.steps[0].parameters.collectEntries { [it.name, it.value] } == [machine: 'hello', command: 'uname -a']
        linux.steps[0].stop >= linux.steps[0].start
        monitor.name == 'hello: monitor: info registers'
        Files.readString(results.resolve(monitor.attachments[0].source)).startsWith('(qemu) info registers')
        container.befores*.name == ['boot', 'setup']
        container.befores[0].steps*.name == ['hello: waiting for boot']
        container.befores[1].steps*.name == ["hello: snapshot 'jvt-setup'"]
        tests.findAll { it.name != 'the guest runs Linux' }.every { it.steps[0].name == "hello: rewind to 'jvt-setup'" }
        files*.name == ['hello: serial console', 'hello: console cast (asciinema)', 'hello: QEMU command line', 'hello: QEMU log']
        Files.readString(results.resolve(files[0].source)).contains('Run /init as init process')
    }

    def "each machine's console is also recorded as an asciinema v2 cast"() {
        given:
        def lines = Files.readAllLines(out.resolve('hello/hello/console.cast'))
        def json = new JsonSlurper()
        def events = lines.drop(1).collect { json.parseText(it) }

        expect:
        json.parseText(lines[0]).version == 2
        events.every { it[1] == 'o' }
        events*.getAt(0) == events*.getAt(0).sort(false)
        events.collect { it[2] }.join('').contains('Run /init as init process')
        events.collect { it[2] }.join('').contains('typed-on-the-console')
    }

    def "jvt report builds one HTML file that opens offline and holds every test name"() {
        when:
        def r = JvtCli.run('report', out.toString())
        Path index = out.resolve('report/index.html')
        String html = Files.readString(index)
        // a single-file report carries its data as base64 in d('data/…', '…') calls
        String data = (html =~ /d\('([^']+)','([^']*)'\)/).collect { new String(it[2].decodeBase64(), 'UTF-8') }.join('\n')

        then:
        r.code == 0
        r.out == "jvt: report ${index.toAbsolutePath().normalize()}\n"
        Files.list(out.resolve('report')).toList()*.fileName*.toString() == ['index.html']
        !(html =~ /(src|href)=["']?https?:/)
        !html.contains('googletagmanager')
        ['the guest runs Linux', 'a command returns its exact output and exit status', 'fail passes when the command fails',
         'the serial console shows the shell', 'the monitor shows the registers', 'hello: must succeed: uname -a'].every { data.contains(it) }
    }
}
