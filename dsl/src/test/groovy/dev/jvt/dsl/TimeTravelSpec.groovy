package dev.jvt.dsl

import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

import java.nio.file.Files
import java.nio.file.Path

/**
 * Time travel on real replays: a two-machine scenario (scenarios/selftest/time-travel.groovy)
 * is recorded once; its failure, steps and console lines are then visited in read-only REPLs
 * inside the replay, and the single-machine expectation-fails scenario is opened with the exact
 * command its recorded run prints.
 */
@Stepwise
class TimeTravelSpec extends Specification {
    static final String ALPHA = 'alpha@replay> '
    static final String BETA = 'beta@replay> '
    @Shared Path out = JvtCli.tempDir('time-travel')
    @Shared JvtCli.Result recorded
    @Shared String findBeta

    def setupSpec() {
        recorded = JvtCli.run('run', '--record', '--out', out.toString(), JvtCli.scenario('selftest/time-travel.groovy'))
    }

    /** The command a failed recorded run prints, as arguments of jvt. */
    static List<String> printedCommand(String output) {
        def line = output.readLines().find { it.startsWith('jvt: stand inside the failure with: jvt replay ') }
        assert line: output
        line.substring('jvt: stand inside the failure with: jvt '.length()).split(' ').collect { it.replaceAll(/^'|'$/, '') }
    }

    def "a failed recorded run prints the command that opens the REPL at the failure"() {
        expect:
        recorded.code == 1
        recorded.out.contains("jvt: stand inside the failure with: jvt replay '" + out + "' --repl --at failure")
        Files.readString(out.resolve('replay/machines/time-travel/alpha/timeline-1.json')).contains('"kind" : "failure"')
    }

    def "at the failure the console shows the failing test's last line and no later one; back then forward returns the same registers; writes are refused"() {
        given:
        def shell = ShellProcess.start(out.resolve('repl-failure.out'), *printedCommand(recorded.out))

        when:
        shell.waitFor(ALPHA)
        ['where', 'console 4', 'r0 = alpha.registers()', 'b0 = beta.registers()', 'backtrace',
         'back 1s', 'where', 'alpha.registers() == r0', 'forward', 'where', 'alpha.registers() == r0', 'beta.registers() == b0',
         'alpha.succeed("true")', 'sendConsole "x"', 'change cd0 /tmp/nothing', 'monitor "system_reset"', 'stop',
         'goto step:3', 'where', 'console 2', 'next-step', 'where', 'goto icount:6000000000', 'where', 'exit'].each { shell.type(it) }
        int code = shell.finish()
        def text = shell.out

        then: 'the replay stands at the failure, its console the recording\'s prefix, on both machines'
        code == 0
        text.contains('alpha: the console so far is the recording\'s')
        text.contains('beta: the console so far is the recording\'s')
        shell.answer(ALPHA, 'where').contains("alpha: icount ")
        shell.answer(ALPHA, 'where').contains("at the failure of 'alpha: must succeed: echo \"the command that fails\"; exit 3' in test 'fails'")

        and: 'the console so far ends with the failing test\'s line, not a later test\'s'
        def console = shell.answer(ALPHA, 'console 4')
        console.contains('alpha: the last line before the failure')
        !console.contains('alpha: after the failure')
        !console.contains('\u001b') // the shell's escape sequences are shown as ^[, not sent to the terminal

        and: 'where the guest kernel was, symbolized'
        shell.answer(ALPHA, 'backtrace') =~ /RIP: ffffffff[0-9a-f]+ [a-z_0-9.]+\+0x[0-9a-f]+\/0x[0-9a-f]+/
        shell.answer(ALPHA, 'backtrace').contains('Call Trace:')

        and: 'one second back is another point; forward returns to the very same registers'
        shell.answer(ALPHA, 'where', 2).contains('1.00 s before the failure')
        shell.answer(ALPHA, 'alpha.registers() == r0').contains('=> false')
        shell.answer(ALPHA, 'where', 3) == shell.answer(ALPHA, 'where')
        shell.answer(ALPHA, 'alpha.registers() == r0', 2).contains('=> true')
        shell.answer(ALPHA, 'beta.registers() == b0').contains('=> true')

        and: 'anything that would change a guest is refused with the reason'
        ['alpha.succeed("true")', 'sendConsole "x"', 'change cd0 /tmp/nothing', 'stop'].every {
            shell.answer(ALPHA, it).contains('is refused in a replay') && shell.answer(ALPHA, it).contains('the recording fixes the future')
        }
        shell.answer(ALPHA, 'monitor "system_reset"').contains("'system_reset' is refused in a replay: only reads")

        and: 'goto a step and next-step move both machines to those marks, their consoles checked'
        shell.answer(ALPHA, 'where', 4).contains("alpha: icount")
        shell.answer(ALPHA, 'where', 4) =~ /alpha: .* in step 3 'alpha: must succeed: echo "alpha: first test"/
        shell.answer(ALPHA, 'where', 4) =~ /beta: .* in step 3 'alpha: must succeed/
        !shell.answer(ALPHA, 'console 2').contains('alpha: first test')
        shell.answer(ALPHA, 'where', 5) =~ /alpha: .* in step 4 'beta: must succeed: echo "beta: first test"/
        shell.answer(ALPHA, 'where', 6).contains('alpha: icount 6,000,000,000 ')
        !text.contains('DIVERGED')
    }

    def "--when finds the instruction and the step at which a console line was written"() {
        when:
        def r = JvtCli.run('replay', out.toString(), '--when', 'beta: first test')
        findBeta = (r.out =~ /--machine beta --at icount:(\d+)/).with { it.find() ? it.group(1) : null }

        then:
        r.code == 0
        r.out =~ /beta: line \d+ ".*beta: first test" was written at icount \d+, step 4 'beta: must succeed: echo "beta: first test" > \/dev\/ttyS0' of test 'first'/
        findBeta != null
    }

    def "the icount --when printed is exact: the whole line (its newline too) is on the console there and not one instruction before; gdb reads the same registers"() {
        given:
        long n = findBeta as long
        def shell = ShellProcess.start(out.resolve('repl-when.out'), 'replay', out.toString(), '--repl', '--gdb', '--machine', 'beta',
                '--at', "icount:$n")

        when:
        shell.waitFor(BETA)
        ['where', 'beta.console.contains("beta: first test\\n")', "goto icount:${n - 1}", 'beta.console.contains("beta: first test\\n")',
         "goto icount:$n", 'beta.registers().RIP', 'gdb'].each { shell.type(it) }
        def gdbLine = shell.waitFor("gdb -ex 'target remote ").readLines().find { it.startsWith("gdb -ex 'target remote ") }
        def socket = gdbLine.replaceFirst(/^gdb -ex 'target remote ([^']+)'.*/, '$1')
        def gdb = new ProcessBuilder('gdb', '-batch', '-ex', "target remote $socket", '-ex', 'p/x $rip').redirectErrorStream(true).start()
        def gdbOut = gdb.inputStream.text
        gdb.waitFor()
        shell.type('exit')
        int code = shell.finish()

        then:
        code == 0
        shell.answer(BETA, 'where').contains("beta: icount ${String.format('%,d', n)} ")
        shell.answer(BETA, 'beta.console.contains("beta: first test\\n")').contains('=> true')
        shell.answer(BETA, 'beta.console.contains("beta: first test\\n")', 2).contains('=> false')
        def rip = (shell.answer(BETA, 'beta.registers().RIP') =~ /\(0x([0-9a-f]+)\)/).with { it.find() ? it.group(1) : 'none' }
        gdbOut.contains('$1 = 0x' + rip)
    }

    def "a tampered bundle still fails, and a recording without a timeline says why it cannot be stopped"() {
        given:
        def tampered = JvtCli.tempDir('tampered').resolve('bundle')
        ReplaySpec.copyTree(out.resolve('replay'), tampered)
        def timeline = tampered.resolve('machines/time-travel/beta/timeline-1.json')
        Files.writeString(timeline, Files.readString(timeline).replaceFirst('"icount" : \\d+', '"icount" : 1'))
        def old = JvtCli.tempDir('no-timeline').resolve('bundle')
        ReplaySpec.copyTree(out.resolve('replay'), old)
        def manifest = old.resolve('manifest.json')
        Files.writeString(manifest, Files.readString(manifest).replaceAll(/"timeline" : "[^"]+",/, '"timeline" : null,'))

        when:
        def t = JvtCli.run('replay', tampered.toString(), '--repl', '--at', 'failure')
        def o = JvtCli.run('replay', old.toString(), '--repl', '--at', 'failure')

        then:
        t.code == 2
        t.err.contains('machines/time-travel/beta/timeline-1.json was changed after recording')
        o.code == 2
        o.err.contains('has no timeline (recorded by an older jvt)')
    }

    def "jvt run --record on expectation-fails prints a command that opens the REPL at its failure"() {
        given:
        def run = JvtCli.tempDir('expectation-fails')
        def r = JvtCli.run('run', '--record', '--out', run.toString(), JvtCli.scenario('selftest/expectation-fails.groovy'))
        def shell = ShellProcess.start(run.resolve('repl.out'), *printedCommand(r.out))

        when:
        shell.waitFor('box@replay> ')
        ['where', 'exit'].each { shell.type(it) }
        int code = shell.finish()

        then:
        r.code == 1
        code == 0
        shell.out.contains("box: the console so far is the recording's")
        shell.answer('box@replay> ', 'where').contains("at the failure of 'box: must succeed: echo about to fail; echo on-stderr >&2; exit 7' "
                + "in test 'a failing command fails the test'")
    }
}
