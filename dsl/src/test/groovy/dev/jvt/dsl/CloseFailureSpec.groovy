package dev.jvt.dsl

import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Path

/**
 * A machine whose close throws (its recording cannot be finished) on real QEMU under --record:
 * the testbed still closes the other machine, the scenario reports a broken "cleanup", the next
 * scenario of the run still runs, and no QEMU is left behind.
 */
class CloseFailureSpec extends Specification {
    @Shared Path out = JvtCli.tempDir('close-fails')
    @Shared JvtCli.Result result
    @Shared Map<String, Map> cases = [:]
    @Shared List<Long> qemuBefore
    @Shared List<Long> qemuAfter

    def setupSpec() {
        long self = ProcessHandle.current().pid()
        qemuBefore = KillSpec.qemuChildrenOf(self)
        result = JvtCli.run('run', '--record', '-j', '2', '--out', out.toString(), JvtCli.scenario('selftest/close-fails.groovy'))
        qemuAfter = KillSpec.qemuChildrenOf(self)
        cases = JvtCli.junitCases([out])
    }

    def "the failed close is a broken 'cleanup' of its scenario and the run exits 4"() {
        expect:
        result.code == 4
        def c = cases['close fails › cleanup']
        c != null
        c.kind == 'error'
        c.text.contains('first: cannot finish the recording')
        cases['close fails › the recording folder of first is replaced by a file'].kind == 'passed'
    }

    def "the other machine was closed all the same: its recording is in the bundle"() {
        expect:
        def manifest = new JsonSlurper().parse(out.resolve('replay/manifest.json').toFile())
        def machines = manifest.segments.collect { it.scenario + '/' + it.machine } as Set
        machines == ['close fails/second', 'after it/third'] as Set
    }

    def "the next scenario of the run still ran and passed"() {
        expect:
        cases['after it › still runs'].kind == 'passed'
    }

    def "no QEMU of the run is left"() {
        expect:
        (qemuAfter - qemuBefore).isEmpty()
    }
}
