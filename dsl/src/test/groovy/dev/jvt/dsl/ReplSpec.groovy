package dev.jvt.dsl

import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

import java.nio.file.Path

/** `jvt repl scenarios/hello.groovy` driven through a pipe (no terminal), in a separate JVM, against the real guest. */
@Stepwise
class ReplSpec extends Specification {
    @Shared Path dir = JvtCli.tempDir('repl')
    @Shared String out
    @Shared int code
    @Shared List<Long> qemuSeen
    @Shared List<Long> qemuLeft

    def setupSpec() {
        def r = ReplProcess.run(dir, JvtCli.scenario('hello.groovy'), 'hello> ', [
                'registers().RIP',
                'info registers',
                "hello.succeed('uname -s')",
                'snapshot s1',
                "hello.succeed('touch /root/x')",
                "hello.execute('test -e /root/x')",
                'rewind s1',
                "hello.execute('test -e /root/x')",
                'nosuch.call()',
                'def n = 40',
                'n + 2',
                'info status',
                'exit',
        ])
        out = r.out
        code = r.code
        qemuSeen = r.qemuSeen
        qemuLeft = r.qemuLeft
    }

    def "the REPL boots the guest, opens paused, and exits 0 on 'exit'"() {
        expect:
        code == 0
        out.contains("machines [hello] are paused")
        out.contains('jvt repl: stopped every machine')
    }

    def "a bare handle call goes to the current machine: registers().RIP is a number"() {
        expect:
        out =~ /hello> registers\(\)\.RIP\n=> \d+ \(0x[0-9a-f]+\)\n/
    }

    def "'info registers' runs the monitor command"() {
        expect:
        out =~ /hello> info registers\n(?s).*RIP=[0-9a-f]{16}/
        out =~ /hello> info status\nVM status: paused/
    }

    def "a guest command runs (the machine resumes for it) and its output is printed"() {
        expect:
        out.contains("hello> hello.succeed('uname -s')\n=> Linux\n")
    }

    def "rewind goes back to the snapshot: the file touched after it is gone"() {
        expect:
        out.contains("hello> snapshot s1\nsaved snapshot 's1' on hello\n")
        out.contains("hello> hello.execute('test -e /root/x')\n=> [0, '']\n")
        out.contains("hello> rewind s1\nrewound to 's1' on hello\n")
        out.contains("hello> rewind s1\nrewound to 's1' on hello\nhello> hello.execute('test -e /root/x')\n=> [1, '']\n")
    }

    def "a Groovy error prints its message and the REPL goes on; variables stay between lines"() {
        expect:
        out.contains("hello> nosuch.call()\nerror: no variable or property 'nosuch'\n")
        out.contains("hello> n + 2\n=> 42\n")
    }

    def "leaving the REPL stopped its QEMU"() {
        expect:
        qemuSeen.size() == 1
        qemuLeft.isEmpty()
    }
}
