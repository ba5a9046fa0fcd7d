package dev.jvt.dsl

import spock.lang.Requires
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * `jvt repl` on a real terminal (a pseudo-terminal from util-linux `script`), against the built-in
 * guest: Tab completion, Ctrl-C interrupting a blocking call without leaving, and exit stopping QEMU.
 */
@Stepwise
@Requires({ Files.isExecutable(Path.of('/usr/bin/script')) })
class ReplTerminalSpec extends Specification {
    @Shared Process p
    @Shared StringBuffer screen = new StringBuffer()
    @Shared Path dir = JvtCli.tempDir('repl-tty')
    @Shared Set<Long> qemuSeen = [] as Set

    def setupSpec() {
        def java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        def jvt = [java, '-cp', System.getProperty('java.class.path'), 'dev.jvt.dsl.cli.Main', 'repl',
                   '--out', dir.resolve('run').toString(), JvtCli.scenario('hello.groovy')].collect { "'" + it.replace("'", "'\\''") + "'" }.join(' ')
        p = new ProcessBuilder('/usr/bin/script', '-q', '-f', '-e', '-c', "stty cols 150 rows 50; exec $jvt", '/dev/null')
                .redirectErrorStream(true).start()
        Thread.startDaemon {
            def buf = new byte[4096]
            int n
            while ((n = p.inputStream.read(buf)) > 0) {
                screen.append(new String(buf, 0, n, 'UTF-8'))
            }
        }
    }

    def cleanupSpec() {
        if (p?.alive) {
            p.destroyForcibly()
        }
        Files.writeString(dir.resolve('screen.txt'), screen.toString())
    }

    /** Waits until the screen, after position {@code from}, contains {@code text}; returns the position after it. */
    int await(String text, int from = 0, int seconds = 60) {
        def deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds)
        while (System.nanoTime() < deadline) {
            qemuSeen.addAll(qemuDescendantsOf(p.pid()))
            int i = screen.indexOf(text, from)
            if (i >= 0) {
                return i + text.length()
            }
            sleep 50
        }
        throw new AssertionError("not on the screen within $seconds s: '$text'\n--- screen ---\n$screen")
    }

    void type(String keys) {
        p.outputStream.write(keys.getBytes('UTF-8'))
        p.outputStream.flush()
    }

    static List<Long> qemuDescendantsOf(long root) {
        Map<Long, Long> parent = [:]
        Map<Long, String> cmd = [:]
        Files.list(Path.of('/proc')).withCloseable { s ->
            s.filter { it.fileName.toString() ==~ /\d+/ }.forEach { d ->
                try {
                    def stat = Files.readString(d.resolve('stat'))
                    long pid = d.fileName.toString() as long
                    parent[pid] = stat.substring(stat.lastIndexOf(')') + 2).split(' ')[1] as long
                    cmd[pid] = new String(Files.readAllBytes(d.resolve('cmdline')), 'UTF-8')
                } catch (IOException ignored) {
                }
            }
        }
        parent.keySet().findAll { pid ->
            // a machine's QEMU (-name jvt-NAME), not the short-lived probes of KVM and the sandbox
            if (!cmd[pid]?.contains('qemu-system') || !cmd[pid].replace('\u0000', ' ').contains(' -name jvt-')) {
                return false
            }
            for (Long q = parent[pid]; q != null && q > 1; q = parent[q]) {
                if (q == root) {
                    return true
                }
            }
            false
        }.toList()
    }

    def "the prompt opens on the paused machine"() {
        when:
        int at = await('hello> ', 0, 240)
        type('info status\r')

        then:
        await('VM status: paused', at) > 0
    }

    def "Tab completes a handle method, and the completed call runs in the guest"() {
        when:
        int at = screen.length()
        type('hello.su\t')
        await('hello.succeed', at, 10)
        type("('uname -s')\r")

        then:
        await('=> Linux', at, 60) > 0
    }

    def "Ctrl-C interrupts a blocking call and the REPL goes on, the guest still up"() {
        when:
        int at = screen.length()
        type("hello.succeed('sleep 40')\r")
        await("sleep 40')", at, 10)
        sleep 2000
        long t0 = System.nanoTime()
        type('\u0003')
        int after = await('interrupted', at, 20)
        double seconds = (System.nanoTime() - t0) / 1e9
        type('info status\r')

        then:
        seconds < 10
        await('VM status: paused', after, 20) > 0
        p.alive
    }

    def "exit stops every QEMU and jvt exits 0"() {
        when:
        int at = screen.length()
        type('exit\r')
        await('jvt repl: stopped every machine', at, 60)
        p.waitFor(30, TimeUnit.SECONDS)
        def gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
        while (qemuSeen.any { Files.exists(Path.of("/proc/$it")) } && System.nanoTime() < gone) {
            sleep 100
        }

        then:
        !p.alive
        p.exitValue() == 0
        qemuSeen.size() == 1
        qemuSeen.every { !Files.exists(Path.of("/proc/$it")) }
    }
}
