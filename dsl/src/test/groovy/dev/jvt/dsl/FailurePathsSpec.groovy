package dev.jvt.dsl

import groovy.json.JsonSlurper
import groovy.xml.XmlSlurper
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Path

/**
 * The failure paths of SPEC §3, on real QEMU: each self-test scenario fails on purpose and the
 * run must say so the way the contract promises.
 */
class FailurePathsSpec extends Specification {
    @Shared Path out = JvtCli.tempDir('failures')
    @Shared JvtCli.Result three
    @Shared def cases = [:]

    def setupSpec() {
        // three failing scenarios in one parallel run; their verdicts are read from the JUnit XML
        three = JvtCli.run('run', '-j', '3', '--out', out.toString(),
                JvtCli.scenario('selftest/expectation-fails.groovy'),
                JvtCli.scenario('selftest/failon.groovy'),
                JvtCli.scenario('selftest/timeout.groovy'))
        cases = JvtCli.junitCases([out], false)
    }

    def "a failed expectation exits 1 and shows the exit code, the output and the last console lines"() {
        expect:
        three.code == 1
        def c = cases['a failing command fails the test']
        c.kind == 'failure'
        c.text.startsWith('box: command failed with exit code 7: echo about to fail; echo on-stderr >&2; exit 7')
        c.text.contains('stdout:\n  about to fail')
        c.text.contains('stderr:\n  on-stderr')
        three.out.contains('✘ a failing command fails the test')
    }

    def "a test after a failed one still runs from a good state"() {
        expect:
        cases['the next test still runs'].kind == 'passed'
    }

    def "failOn stops the scenario at once"() {
        expect:
        def c = cases['the guest prints the failure pattern']
        c.kind == 'failure'
        c.text.startsWith('box: console matched failOn /BOOM-[0-9]+/: ')
        c.text.readLines()[0].endsWith('BOOM-42')
        cases['is not run after failOn'].kind == 'skipped'
        cases['is not run after failOn'].skipped == 'not run: failOn matched on box'
    }

    def "failOn interrupts a running command instead of waiting for it"() {
        given:
        def xml = new XmlSlurper().parse(out.resolve('junit.xml').toFile())
        def tc = xml.testsuite.testcase.find { it.@name == 'the guest prints the failure pattern' }

        expect:
        (tc.@time.text() as double) < 20
    }

    def "a console wait that times out names what it waited for and shows the last console lines"() {
        expect:
        def c = cases['waits for text that never comes']
        c.kind == 'failure'
        c.text.startsWith("box: timed out after 3.0 s waiting for console output 'text-that-never-appears'")
        c.text.contains('last console lines of box:')
        c.text.contains('box # some-console-output')
    }

    def "a command that hangs times out with its command line"() {
        expect:
        def c = cases['a command that hangs times out']
        c.kind == 'failure'
        c.text.startsWith('box: command did not finish within 2.0 s: sleep 60')
        c.text.contains('last console lines of box:')
    }

    def "in the Allure results a failed test carries its message, the failed step and the last console lines"() {
        given:
        def json = new JsonSlurper()
        def results = java.nio.file.Files.list(out.resolve('allure-results')).toList()
                .findAll { it.fileName.toString().endsWith('-result.json') }.collect { json.parse(it.toFile()) }
        def failed = results.find { it.name == 'a failing command fails the test' }
        def waited = results.find { it.name == 'waits for text that never comes' }

        expect:
        failed.status == 'failed'
        failed.statusDetails.message.startsWith('box: command failed with exit code 7: echo about to fail')
        failed.statusDetails.message.contains('\nlast console lines:\nbox # ')
        failed.steps*.name == ['box: must succeed: echo about to fail; echo on-stderr >&2; exit 7']
        failed.steps[0].status == 'failed'
        waited.statusDetails.message.contains('last console lines of box:\n')
        waited.statusDetails.message.contains('some-console-output')
        waited.statusDetails.message.count('last console lines') == 1
        results.find { it.name == 'is not run after failOn' }.status == 'skipped'
        results.find { it.name == 'the next test still runs' }.status == 'passed'
    }

    def "a QEMU killed mid-test fails that test, and the run goes on to the next scenario"() {
        given:
        def dir = JvtCli.tempDir('qemu-dies')

        when:
        def r = JvtCli.run('run', '--out', dir.toString(), JvtCli.scenario('selftest/qemu-dies.groovy'), JvtCli.scenario('hello.groovy'))

        then:
        r.code == 4
        r.out.contains('✘ (broken) QEMU is killed while the test runs')
        r.out.contains('victim: QEMU exited unexpectedly (killed by signal 9, SIGKILL)')
        r.out.contains('✔ the next test starts from the snapshot in a new QEMU')
        r.out.contains('✔ the guest runs Linux')
        r.out.contains('✔ the monitor shows the registers')
    }

    def "a script with a syntax error exits 2 with file and line, and nothing runs"() {
        given: 'a relative path, as a user types it'
        def rel = Path.of('').toAbsolutePath().relativize(JvtCli.REPO.resolve('scenarios/selftest/syntax-error.groovy')).toString()

        when:
        def r = JvtCli.run('run', rel, JvtCli.scenario('hello.groovy'))

        then: 'the path is printed as given'
        r.code == 2
        r.err.startsWith(rel + ':8: ')
        !r.err.contains('\tat ')
        !r.out.contains('▶ scenario')
    }

    def "a misspelt keyword exits 2 naming file, line and keyword"() {
        when:
        def r = JvtCli.run('run', JvtCli.scenario('selftest/unknown-keyword.groovy'))

        then:
        r.code == 2
        r.err.trim() == JvtCli.scenario('selftest/unknown-keyword.groovy') + ":4: unknown keyword 'memroy'"
    }

    def "a missing kernel exits 2 naming the path"() {
        when:
        def r = JvtCli.run('run', JvtCli.scenario('selftest/missing-kernel.groovy'))

        then:
        r.code == 2
        r.err.contains("machine 'box': file not found: " + JvtCli.REPO.resolve('scenarios/selftest/no-such-vmlinuz'))
    }

    def "a file QEMU refuses as a kernel fails the boot with QEMU's own words and exit code"() {
        when:
        def r = JvtCli.run('run', '--out', JvtCli.tempDir('not-a-kernel').toString(), JvtCli.scenario('selftest/not-a-kernel.groovy'))

        then:
        r.code == 4
        r.out.contains('✘ (broken) boot')
        r.out.contains('box: QEMU exited with code 1 before it was up. QEMU said:')
        r.out.contains('qemu: invalid kernel header')
        !r.out.contains('QMP connection')
    }

    def "every subcommand answers --help with its usage, exit 0"() {
        expect:
        ['run', 'replay', 'report', 'repl', 'doctor', 'bench', 'images', 'cache'].every { c ->
            def r = JvtCli.run(c, '--help')
            assert r.code == 0 : c
            assert r.out.startsWith("Usage: jvt $c ") : c
            assert !r.err.contains('Missing required') : c
            true
        }
    }
}
