package dev.jvt.reports

import dev.jvt.engine.JvtException
import dev.jvt.engine.events.Action
import dev.jvt.engine.events.Events
import dev.jvt.engine.events.RunListener
import dev.jvt.engine.events.ScenarioRun
import dev.jvt.engine.events.Status
import dev.jvt.engine.events.TestRun

import java.nio.file.Files
import java.nio.file.Path

/**
 * Scenario runs made of events, as a runner would send them, without QEMU: every outcome a test
 * or fixture can have, steps nested and attached, console lines with characters XML cannot hold.
 */
class SampleRuns {
    /**
     * One scenario 'web' (file web.groovy): boot and setup pass; tests passed, failed (a command
     * failed), broken (QEMU died), skipped; a teardown that fails. A second scenario 'dead' whose
     * boot is broken and whose only test is skipped.
     */
    static List<ScenarioRun> mixed(Path dir, List<RunListener> listeners = []) {
        listeners.each { it.runStarted(dir) }
        def web = new ScenarioRun('web', dir.resolve('web.groovy'), dir.resolve('web'))
        Files.createDirectories(web.directory().resolve('server'))
        def ev = new Events(web, listeners)
        ev.scenarioStarted()
        ev.machineStarted('server', web.directory().resolve('server'))
        ev.consoleOutput('server', 'Linux version 6.1\r\n'.bytes, System.nanoTime())

        def boot = ev.startTest('boot', TestRun.Kind.BOOT)
        ev.step('server', 'waiting for boot') { ev.consoleLine('server', 'Run /init as init process') }
        ev.finishTest(boot, null)

        def setup = ev.startTest('setup', TestRun.Kind.SETUP)
        ev.step(Action.of('server', 'must succeed').with('command', 'httpd -p 80')) {}
        ev.finishTest(setup, null)

        def ok = ev.startTest('the guest runs Linux', TestRun.Kind.TEST)
        ev.step(Action.of('server', 'must succeed').with('command', 'uname -a')) { ev.consoleLine('server', 'bell \u0007 and escape \u001b[0m <&>') }
        Path monitor = web.directory().resolve('server/monitor-001.txt')
        Files.writeString(monitor, '(qemu) info registers\nRIP=0000000000000000\n')
        ev.step(Action.of('server', 'monitor').with('monitor command', 'info registers')) { ev.attach('monitor: info registers', monitor, 'text/plain') }
        ev.finishTest(ok, null)

        def failed = ev.startTest('a failing command', TestRun.Kind.TEST)
        ev.consoleLine('server', 'sh: nosuchcommand: not found')
        try {
            ev.step(Action.of('server', 'must succeed').with('command', 'nosuchcommand')) {
                throw JvtException.testFailure('server: command failed with exit code 127: nosuchcommand')
            }
        } catch (JvtException e) {
            ev.finishTest(failed, e)
        }

        def broken = ev.startTest('QEMU dies', TestRun.Kind.TEST)
        ev.finishTest(broken, JvtException.infrastructure('server: QEMU exited unexpectedly with code 1\n'
                + 'last console lines of server:\nKernel panic'))

        def skipped = ev.startTest('never runs', TestRun.Kind.TEST)
        ev.finishTest(skipped, Status.SKIPPED, JvtException.testFailure('not run: machine server is down'))

        def teardown = ev.startTest('teardown', TestRun.Kind.TEARDOWN)
        ev.finishTest(teardown, new AssertionError('teardown assertion'))

        ev.consoleOutput('server', 'bye\r\n'.bytes, System.nanoTime())
        Path log = web.directory().resolve('server/console.log')
        Files.writeString(log, 'Linux version 6.1\r\nbye\r\n')
        ev.attachToScenario('server: serial console', log, 'text/plain')
        Files.write(web.directory().resolve('lan.pcap'), [0xd4, 0xc3, 0xb2, 0xa1] as byte[])
        ev.scenarioFinished()

        def dead = new ScenarioRun('dead', dir.resolve('web.groovy'), dir.resolve('dead'))
        def ev2 = new Events(dead, listeners)
        ev2.scenarioStarted()
        def boot2 = ev2.startTest('boot', TestRun.Kind.BOOT)
        ev2.finishTest(boot2, JvtException.infrastructure('client: QEMU exited with code 1 before connecting its monitor'))
        def t2 = ev2.startTest('pings', TestRun.Kind.TEST)
        ev2.finishTest(t2, Status.SKIPPED, JvtException.testFailure('not run: boot failed'))
        ev2.scenarioFinished()
        [web, dead]
    }
}
