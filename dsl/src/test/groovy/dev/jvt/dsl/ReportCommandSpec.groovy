package dev.jvt.dsl

import spock.lang.Specification

import java.nio.file.Files

/** `jvt report` without a real run: what it says when there is nothing to report. */
class ReportCommandSpec extends Specification {

    def "a folder without Allure results exits 2 and says what it expected"() {
        given:
        def dir = JvtCli.tempDir('no-results')

        when:
        def r = JvtCli.run('report', dir.toString())

        then:
        r.code == 2
        r.err.trim() == "jvt report: $dir holds no Allure results (expected ${dir.resolve('allure-results')} as written by jvt run)"
        !Files.exists(dir.resolve('report'))
    }

    def "a run directory that does not exist exits 2"() {
        when:
        def r = JvtCli.run('report', '/no/such/run')

        then:
        r.code == 2
        r.err.trim() == 'jvt report: no run directory /no/such/run'
    }
}
