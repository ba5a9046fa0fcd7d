package dev.jvt.dsl

import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * Every scenario of the repository compiles with Groovy's static type checking against the
 * scenario base class (ScenarioLoader.typeCheck: @TypeChecked with dev/jvt/dsl/ScenarioTypeChecking.groovy),
 * and the type checker finds at their lines the mistakes an IDE would underline.
 */
class ScenarioTypeCheckingSpec extends Specification {
    /** Broken on purpose, for the suite: they must not type-check. */
    static final Set<String> BROKEN = ['syntax-error.groovy', 'unknown-keyword.groovy'] as Set

    @TempDir
    Path dir

    static List<Path> scenarioFiles() {
        ['scenarios', 'scenarios/selftest'].collectMany { sub ->
            Files.list(JvtCli.REPO.resolve(sub)).withCloseable { s -> s.filter { it.toString().endsWith('.groovy') }.sorted().toList() }
        }
    }

    def "#file.fileName type-checks"() {
        expect:
        ScenarioLoader.typeCheck(file, file.fileName.toString()) == []

        where:
        file << scenarioFiles().findAll { !(it.fileName.toString() in BROKEN) }
    }

    def "there are scenarios to check: every one of scenarios/ and scenarios/selftest/ but the two broken on purpose"() {
        expect:
        scenarioFiles().size() >= 25
        scenarioFiles().findAll { it.fileName.toString() in BROKEN }.size() == 2
    }

    def "a misspelt keyword, a misspelt machine name and a wrong argument type are found at their lines"() {
        given:
        Path f = dir.resolve('typos.groovy')
        f.text = '''scenario('typos') {
    machine('web') {
        memroy '256M'
        cpus 'two'
    }
    test('uses the machine') {
        assert wbe.succeed('true') == ''
        web.succed 'true'
        def (status, out) = web.execute('exit 3')
        assert status == 3 && out.isEmpty()
    }
}
'''

        when:
        List<String> errors = ScenarioLoader.typeCheck(f, 'typos.groovy')

        then:
        errors.size() == 4
        errors[0].startsWith('typos.groovy:3: [Static type checking] - Cannot find matching method')
        errors[0].contains('#memroy(java.lang.String)')
        errors[1].startsWith('typos.groovy:4: [Static type checking] - Cannot find matching method')
        errors[1].contains('cpus(java.lang.String)')
        errors[2] == 'typos.groovy:7: [Static type checking] - The variable [wbe] is undeclared.'
        errors[3].startsWith('typos.groovy:8: [Static type checking] - Cannot find matching method dev.jvt.engine.Machine#succed(java.lang.String)')
    }

    def "the broken selftest scenario with a misspelt keyword is caught by the type checker too"() {
        expect:
        ScenarioLoader.typeCheck(JvtCli.REPO.resolve('scenarios/selftest/unknown-keyword.groovy'), 'unknown-keyword.groovy')
                .find { it.startsWith('unknown-keyword.groovy:4: ') && it.contains('memroy') }
    }

    def "jvt's jar carries the GroovyDSL descriptor IDEA reads, and it is valid Groovy"() {
        given:
        URL gdsl = ScenarioLoader.getResource('/dev/jvt/dsl/jvt.gdsl')

        when:
        new GroovyShell().parse(gdsl.text, 'jvt.gdsl')

        then:
        noExceptionThrown()
        gdsl.text.contains("delegatesTo(findClass('dev.jvt.dsl.ScenarioScript'))")
        ScenarioLoader.getResource('/' + ScenarioLoader.TYPE_CHECKING_EXTENSION) != null
    }
}
