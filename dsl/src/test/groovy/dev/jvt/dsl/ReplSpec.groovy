package dev.jvt.dsl

import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** `jvt repl scenarios/hello.groovy` driven through a pipe (no terminal), in a separate JVM, against the real guest. */
@Stepwise
class ReplSpec extends Specification {
    @Shared Path dir = JvtCli.tempDir('repl')
    @Shared String out
    @Shared int code
    @Shared List<Long> qemuSeen = []
    @Shared List<Long> qemuLeft

    def setupSpec() {
        def java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        def cmd = [java, '-cp', System.getProperty('java.class.path'), 'dev.jvt.dsl.cli.Main', 'repl',
                   '--out', dir.resolve('run').toString(), JvtCli.scenario('hello.groovy')]
        def p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve('repl.out').toFile()).start()
        def lines = [
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
        ]
        // wait for the prompt (the guest booted and is paused) while noting its QEMU
        def deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180)
        while (p.alive && !Files.readString(dir.resolve('repl.out')).contains('hello> ') && System.nanoTime() < deadline) {
            qemuSeen.addAll(KillSpec.qemuChildrenOf(p.pid()) - qemuSeen)
            sleep 100
        }
        qemuSeen.addAll(KillSpec.qemuChildrenOf(p.pid()) - qemuSeen)
        p.outputStream.withWriter('UTF-8') { w -> lines.each { w.write(it + '\n') } }
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly()
        }
        code = p.exitValue()
        out = Files.readString(dir.resolve('repl.out'))
        def gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
        while (qemuSeen.any { Files.exists(Path.of("/proc/$it")) } && System.nanoTime() < gone) {
            sleep 100
        }
        qemuLeft = qemuSeen.findAll { Files.exists(Path.of("/proc/$it")) }
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
