package dev.jvt.reports

import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path

class ConsoleReporterSpec extends Specification {
    @TempDir Path dir

    def "each step is printed as 'machine: title', nested steps indented, failed ones marked"() {
        given:
        def text = new StringWriter()
        SampleRuns.mixed(dir, [new ConsoleReporter(new PrintWriter(text), false, false)])
        def steps = text.toString().readLines().findAll { it ==~ /^    \S.*/ }*.replaceAll(/ \(\d+\.\d+ s\)/, '')

        expect:
        steps == ['    server: waiting for boot',
                  '    server: must succeed: httpd -p 80',
                  '    server: must succeed: uname -a',
                  '    server: monitor: info registers',
                  '    server: must succeed: nosuchcommand ✘']
    }
}
