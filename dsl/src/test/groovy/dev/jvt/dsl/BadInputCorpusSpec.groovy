package dev.jvt.dsl

import dev.jvt.dsl.bench.BadInputCorpus
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

/**
 * The bad-input corpus (scenarios/bad-inputs, see {@link BadInputCorpus}): every broken scenario
 * and command line exits 2 with {@code file:LINE:} at the right line, says what is wrong and shows
 * no stack trace. Nothing boots.
 */
class BadInputCorpusSpec extends Specification {
    @Shared Path folder = BadInputCorpus.folder(JvtCli.REPO)
    @Shared List<BadInputCorpus.Outcome> outcomes = []

    def "#name is clearly reported (exit #input.exit())"() {
        when:
        def o = BadInputCorpus.run(input)
        outcomes << o

        then:
        assert o.clearlyReported() : o.toString()

        where:
        input << BadInputCorpus.cases(BadInputCorpus.folder(JvtCli.REPO))
        name = input.name()
    }

    def "the corpus holds at least 60 cases, and every file in it is one"() {
        given:
        def cases = BadInputCorpus.cases(folder)
        def table = folder.resolve('cases.txt').text
        def files = Files.list(folder).findAll { Files.isRegularFile(it) && it.fileName.toString() != 'cases.txt' && it.fileName.toString() != 'README.md' }

        def uncovered = files.findAll { f -> !cases.any { it.name() == f.fileName.toString() } && !table.contains('{dir}/' + f.fileName) }

        expect:
        cases.size() >= 60
        uncovered == []
    }

    def cleanupSpec() {
        def result = new BadInputCorpus.Result(outcomes)
        println result.summary()
        result.unclear().each { println "  unclear: $it" }
    }
}
