package dev.jvt.dsl

import dev.jvt.dsl.bench.InjectedFaults
import spock.lang.Specification

/**
 * Each fault of {@link InjectedFaults} injected into a real run: the test it hits fails naming the
 * cause, the next test passes, no QEMU is left, the user image keeps every byte. Also: eight
 * machines in one scenario on this (2-core) host.
 */
class FaultsSpec extends Specification {

    def "#fault.name: fails only what it touches, says why, and the run goes on"() {
        when:
        def outcome = InjectedFaults.inject(fault, JvtCli.REPO, JvtCli.REPO.resolve('dsl/target/test-runs'))

        then:
        outcome.detail == 'survived'
        outcome.exitCode == fault.exitCode
        outcome.qemuLeft == 0
        outcome.imageBytesChanged == 0

        where:
        fault << InjectedFaults.all().findAll { InjectedFaults.injectable(it) }
    }

    def "eight machines in one scenario boot, reach each other and rewind together"() {
        given:
        def out = JvtCli.tempDir('eight')

        when:
        def r = JvtCli.run('run', '--out', out.toString(), JvtCli.scenario('selftest/eight-machines.groovy'))

        then:
        r.code == 0
        r.out.contains('✔ every machine reaches m1')
        r.out.contains('✔ after a rewind, m1 reaches every machine')
        dev.jvt.engine.qemu.ProcessLauncher.liveCount() == 0
    }
}
