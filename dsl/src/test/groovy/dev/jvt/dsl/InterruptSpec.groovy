package dev.jvt.dsl

import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * SIGINT and SIGTERM in the middle of a run: QEMU stopped, JUnit/Allure/console reports written for
 * what ran (the running test as interrupted, the rest as not run), exit 128 + the signal.
 */
class InterruptSpec extends Specification {
    Process cleanupJvt

    def cleanup() {
        cleanupJvt?.destroyForcibly()
    }

    def "#signal mid-test stops QEMU, writes the reports and exits #code"() {
        given: 'a jvt run in a JVM of its own'
        def out = JvtCli.tempDir('interrupt')
        def java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        def cmd = [java, '-cp', System.getProperty('java.class.path'), 'dev.jvt.dsl.cli.Main', 'run', '--out', out.resolve('run').toString(),
                   JvtCli.scenario('selftest/interrupted.groovy')]
        def log = out.resolve('jvt.out')
        def jvt = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start()
        cleanupJvt = jvt

        when: "the guest runs the test that hangs"
        def console = out.resolve('run/interrupted-run/box/console.log')
        def deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120)
        while (!log.text.contains("test 'hangs'") && System.nanoTime() < deadline && jvt.isAlive()) {
            sleep 100
        }
        sleep 2000 // past the rewind, into the command
        def qemus = KillSpec.qemuChildrenOf(jvt.pid())
        long t0 = System.nanoTime()
        new ProcessBuilder('kill', "-$signal", "${jvt.pid()}").start().waitFor()
        boolean ended = jvt.waitFor(30, TimeUnit.SECONDS)
        double seconds = (System.nanoTime() - t0) / 1e9
        def said = log.text

        then: 'jvt ended by itself with 128 + the signal'
        qemus.size() == 1
        ended
        jvt.exitValue() == code
        said.contains("interrupted by SIG$signal")
        said.contains("exit code $code")
        println "jvt ended ${String.format('%.2f', seconds)} s after SIG$signal"

        and: 'its QEMU is gone'
        !Files.exists(Path.of("/proc/${qemus[0]}"))

        and: 'JUnit XML: the first test passed, the running one is an error saying why, the last was not run'
        def cases = JvtCli.junitCases([out.resolve('run')], false)
        cases['passes'].kind == 'passed'
        cases['hangs'].kind == 'error'
        cases['hangs'].text.contains("interrupted by SIG$signal")
        cases['never starts'].kind == 'skipped'
        cases['never starts'].skipped.contains("not run: interrupted by SIG$signal")

        and: 'Allure results and the console transcript are there'
        def allure = Files.list(out.resolve('run/allure-results')).withCloseable { s -> s.map { it.fileName.toString() }.toList() }
        allure.count { it.endsWith('-result.json') } == 3
        allure.any { it.endsWith('-container.json') }
        Files.list(out.resolve('run/allure-results')).withCloseable { s ->
            s.filter { it.fileName.toString().endsWith('-result.json') }.map { it.text }.toList()
        }.any { it.contains('"status":"broken"') && it.contains("interrupted by SIG$signal") }
        console.text.contains('Linux version')

        where:
        signal | code
        'INT'  | 130
        'TERM' | 143
    }
}
