package dev.jvt.reports

import dev.jvt.engine.events.Action
import dev.jvt.engine.events.Events
import dev.jvt.engine.events.ScenarioRun
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

class AllureReporterSpec extends Specification {
    @TempDir @Shared Path dir
    @Shared Path results
    @Shared List<Map> tests
    @Shared List<Map> containers

    def setupSpec() {
        results = dir.resolve('allure-results')
        SampleRuns.mixed(dir, [new AllureReporter(results)])
        def json = new JsonSlurper()
        tests = Files.list(results).filter { it.fileName.toString().endsWith('-result.json') }.toList().collect { json.parse(it.toFile()) as Map }
        containers = Files.list(results).filter { it.fileName.toString().endsWith('-container.json') }.toList().collect { json.parse(it.toFile()) as Map }
    }

    Map test(String name) { tests.find { it.name == name } }

    String attachment(Map a) { Files.readString(results.resolve(a.source as String)) }

    def "one result per test, with the status jvt gave it"() {
        expect:
        tests.collectEntries { [it.name, it.status] } == ['the guest runs Linux': 'passed', 'a failing command': 'failed',
                'QEMU dies': 'broken', 'never runs': 'skipped', 'pings': 'skipped']
        test('the guest runs Linux').fullName == 'web.web.the guest runs Linux'
        test('the guest runs Linux').labels.find { it.name == 'suite' }.value == 'web'
        test('the guest runs Linux').labels.find { it.name == 'parentSuite' }.value == 'web.groovy'
        tests.every { it.stop >= it.start && it.historyId }
    }

    def "every DSL action is a step named after it, with its machine and argument as parameters"() {
        given:
        def steps = test('the guest runs Linux').steps

        expect:
        steps*.name == ['server: must succeed: uname -a', 'server: monitor: info registers']
        steps[0].status == 'passed'
        steps[0].parameters.collectEntries { [it.name, it.value] } == [machine: 'server', command: 'uname -a']
        steps[1].parameters.collectEntries { [it.name, it.value] } == [machine: 'server', 'monitor command': 'info registers']
    }

    def "the parameters are the step's machine and attributes, whatever its title says"() {
        given:
        def ev = new Events(new ScenarioRun('s', null, dir.resolve('s')), [])
        def params = { Action a -> AllureReporter.parameters(ev.open(a)).collectEntries { [it.name, it.value] } }

        expect: 'a title without ": " still gives the command'
        params(Action.of('server', 'must succeed').with('command', 'uname -a').titled('runs uname')) ==
                [machine: 'server', command: 'uname -a']

        and: 'renaming the title changes nothing'
        params(Action.of('server', 'monitor').with('monitor command', 'info: registers').titled('x: y')) ==
                [machine: 'server', 'monitor command': 'info: registers']

        and: 'every attribute, in order; no machine for a step of the scenario itself'
        params(Action.of('server', 'change').with('device', 'cd0').with('file', 'a.iso')) ==
                [machine: 'server', device: 'cd0', file: 'a.iso']
        params(Action.of('server', 'wait for console').with('pattern', 'login:')) == [machine: 'server', pattern: 'login:']
        params(Action.of(null, 'snapshot').with('name', 'clean')) == [name: 'clean']
        params(Action.of('lan', 'heal')) == [machine: 'lan']
    }

    def "a monitor output is attached to its step, and each test has the console lines seen while it ran"() {
        given:
        def t = test('the guest runs Linux')
        def monitor = t.steps[1].attachments[0]

        expect:
        monitor.name == 'monitor: info registers'
        monitor.type == 'text/plain'
        attachment(monitor).startsWith('(qemu) info registers\nRIP=')
        t.attachments*.name == ["console during 'the guest runs Linux'"]
        attachment(t.attachments[0]).contains('server # bell')
    }

    def "a failed test carries the failure message, the failed step and the last console lines"() {
        given:
        def t = test('a failing command')

        expect:
        t.statusDetails.message.startsWith('server: command failed with exit code 127: nosuchcommand')
        t.statusDetails.message.contains('\nlast console lines:\nserver # Run /init as init process\n')
        t.statusDetails.message.endsWith('server # sh: nosuchcommand: not found\n')
        t.steps[0].status == 'failed'
        t.steps[0].statusDetails.message.contains('exit code 127')
        test('QEMU dies').statusDetails.message.count('last console lines') == 1
        test('never runs').statusDetails.message == 'not run: machine server is down'
    }

    def "a scenario is a container: boot and setup before, teardown and the machines' files after"() {
        given:
        def web = containers.find { it.name == 'web' }
        def files = web.afters.find { it.name == 'machine files' }

        expect:
        web.children.toSet() == tests.findAll { it.labels.find { l -> l.name == 'suite' }.value == 'web' }*.uuid.toSet()
        web.befores*.name == ['boot', 'setup']
        web.befores[0].steps*.name == ['server: waiting for boot']
        web.afters*.name == ['teardown', 'machine files']
        web.afters[0].status == 'failed'
        files.attachments*.name == ['server: serial console', 'pcap: lan.pcap']
        attachment(files.attachments[0]) == 'Linux version 6.1\r\nbye\r\n'
        files.attachments[1].type == 'application/vnd.tcpdump.pcap'
        containers.find { it.name == 'dead' }.befores[0].status == 'broken'
    }

    def "the results folder has the environment and jvt's failure categories"() {
        expect:
        Files.readString(results.resolve('environment.properties')).contains('java=')
        new JsonSlurper().parse(results.resolve('categories.json').toFile())*.name ==
                ['Failed expectations', 'Broken machinery (QEMU, host, test code)']
    }
}
