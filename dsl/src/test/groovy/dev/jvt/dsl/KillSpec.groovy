package dev.jvt.dsl

import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** No QEMU outlives jvt, even when jvt is killed with SIGKILL in the middle of a run. */
class KillSpec extends Specification {

    /** The machines' QEMU processes that are children of {@code parent}. */
    static List<Long> qemuChildrenOf(long parent) {
        def found = []
        Files.list(Path.of('/proc')).withCloseable { s ->
            s.filter { it.fileName.toString() ==~ /\d+/ }.forEach { p ->
                try {
                    def cmd = new String(Files.readAllBytes(p.resolve('cmdline')), 'UTF-8').replace('\u0000', ' ')
                    def stat = new String(Files.readAllBytes(p.resolve('stat')), 'UTF-8')
                    long ppid = stat.substring(stat.lastIndexOf(')') + 2).split(' ')[1] as long
                    // a machine's QEMU (-name jvt-NAME), not the short-lived probes of KVM and the sandbox,
                    // which a poll may or may not catch
                    if (cmd.contains('qemu-system') && cmd.contains(' -name jvt-') && ppid == parent) {
                        found << (p.fileName.toString() as long)
                    }
                } catch (IOException ignored) {
                }
            }
        }
        found
    }

    def "killing jvt with SIGKILL mid-run leaves no QEMU behind"() {
        given: 'a jvt run in a separate JVM'
        def out = JvtCli.tempDir('kill')
        def java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        def cmd = [java, '-cp', System.getProperty('java.class.path'), 'dev.jvt.dsl.cli.Main', 'run', '--out', out.toString(),
                   JvtCli.scenario('hello.groovy')]
        def jvt = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolve('jvt.out').toFile()).start()

        when: 'its QEMU is running'
        def deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
        while (qemuChildrenOf(jvt.pid()).isEmpty() && System.nanoTime() < deadline && jvt.isAlive()) {
            sleep 100
        }
        def before = qemuChildrenOf(jvt.pid())
        jvt.destroyForcibly()
        jvt.waitFor(10, TimeUnit.SECONDS)

        then:
        before.size() == 1

        and: 'the kernel killed QEMU with its parent'
        def gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
        while (before.any { Files.exists(Path.of("/proc/$it")) } && System.nanoTime() < gone) {
            sleep 100
        }
        before.every { !Files.exists(Path.of("/proc/$it")) }
    }
}
