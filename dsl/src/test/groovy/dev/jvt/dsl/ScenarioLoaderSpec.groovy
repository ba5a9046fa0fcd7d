package dev.jvt.dsl

import dev.jvt.engine.JvtException
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path

class ScenarioLoaderSpec extends Specification {
    @TempDir
    Path dir

    private List<ScenarioDefinition> load(String name, String text) {
        def f = dir.resolve(name)
        java.nio.file.Files.writeString(f, text)
        new ScenarioLoader().load(f, name)
    }

    private String errorOf(String name, String text) {
        try {
            load(name, text)
        } catch (DslException e) {
            assert e.kind() == JvtException.Kind.BAD_INPUT
            return e.message
        }
        throw new AssertionError('expected a DslException')
    }

    def "a scenario declares machines, tests and setup"() {
        when:
        def defs = load('ok.groovy', '''
            scenario('two machines') {
                network 'lan'
                machine('a') { memory '128M'; cpus 2; nic 'lan', ip: '10.0.1.1/24' }
                machine('b')
                setup { a.succeed 'true' }
                test('one') { }
                test('two') { }
            }
            scenario('second') { machine('c') { } }
        ''')

        then:
        defs*.name() == ['two machines', 'second']
        defs[0].machines().keySet() as List == ['a', 'b']
        defs[0].machines().a.memoryMiB() == 128
        defs[0].machines().a.cpus() == 2
        defs[0].machines().a.nics()[0].mac() ==~ /52:54:00(:[0-9a-f]{2}){3}/
        defs[0].tests()*.name() == ['one', 'two']
        defs[0].tests()*.line() == [7, 8]
        defs[0].setups().size() == 1
    }

    def "MAC addresses are the same on every load"() {
        given:
        def text = "scenario('s') { network 'lan'; machine('a') { nic 'lan' } }"

        expect:
        load('m1.groovy', text)[0].machines().a.nics()[0].mac() == load('m2.groovy', text)[0].machines().a.nics()[0].mac()
    }

    def "a syntax error names the file and line"() {
        expect:
        errorOf('broken.groovy', "scenario('x') {\n  machine('a') {\n  ]\n}\n") ==~ /broken\.groovy:3: .+/
    }

    def "an unknown keyword names the file, line and keyword"() {
        expect:
        errorOf('typo.groovy', "scenario('x') {\n  machine('a') {\n    memroy '256M'\n  }\n}\n") == "typo.groovy:3: unknown keyword 'memroy'"
    }

    def "a keyword with the wrong argument says so"() {
        expect:
        errorOf('arg.groovy', "scenario('x') {\n  machine('a') {\n    cpus 'many'\n  }\n}\n") == "arg.groovy:3: wrong arguments for 'cpus': (String); it takes cpus(Number)"
        errorOf('mem.groovy', "scenario('x') {\n  machine('a') {\n    memory 256\n  }\n}\n") == "mem.groovy:3: memory 256: give a size with a unit, e.g. memory '256M'"
    }

    def "a bad value names the line it is on"() {
        expect:
        errorOf('bad.groovy', "scenario('x') {\n  machine('a') {\n    memory 'lots'\n  }\n}\n") == "bad.groovy:3: memory 'lots' is not a size like '256M' or '1G'"
    }

    def "a missing kernel file names its full path, at the kernel's line"() {
        when:
        def msg = errorOf('k.groovy', "scenario('x') {\n  machine('a') {\n    kernel 'nope/vmlinuz'\n  }\n}\n")

        then:
        msg == "k.groovy:3: machine 'a': file not found: ${dir.resolve('nope/vmlinuz')}"
    }

    def "a nic on an undeclared network is refused"() {
        expect:
        errorOf('net.groovy', "scenario('x') {\n  machine('a') { nic 'wan' }\n}\n").contains("nic on network 'wan', which this scenario does not declare")
    }

    def "two tests with one name are refused"() {
        expect:
        errorOf('dup.groovy', "scenario('x') {\n machine('a')\n test('t') {}\n test('t') {}\n}\n") == "dup.groovy:4: scenario 'x' has two tests named 't'"
    }

    def "a file without scenarios is refused"() {
        expect:
        errorOf('empty.groovy', "println 'hi'\n") == 'empty.groovy:1: declares no scenario (expected: scenario(\'name\') { ... })'
    }

    def "a missing scenario file names its path"() {
        when:
        new ScenarioLoader().load(dir.resolve('nope.groovy'), 'nope.groovy')

        then:
        def e = thrown(DslException)
        e.message == "scenario file not found: ${dir.resolve('nope.groovy')}"
    }
}
