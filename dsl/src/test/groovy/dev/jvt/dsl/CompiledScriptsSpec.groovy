package dev.jvt.dsl

import dev.jvt.engine.host.Host
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/** Compiled scenarios are stored by content and loaded from the store; errors still name file and line. */
class CompiledScriptsSpec extends Specification {
    @TempDir
    Path dir

    private Path write(String name, String text) {
        def f = dir.resolve(name)
        Files.writeString(f, text)
        f
    }

    private static Path stored(Path f) {
        def named = f.toAbsolutePath().normalize()
        def key = CompiledScripts.key(new GroovyCodeSource(Files.readString(f), Locations.sourceName(named), named.parent.toUri().toString()))
        Host.cacheDir().resolve('scripts').resolve(key + '.classes')
    }

    private static String loaderOf(List<ScenarioDefinition> defs) {
        defs[0].tests()[0].body().getClass().classLoader.getClass().simpleName
    }

    def "the second load of a scenario runs the stored classes, with the same tests and lines"() {
        given:
        def f = write('stored.groovy', """// ${UUID.randomUUID()}
            scenario('s') {
                machine('a') { memory '128M' }
                test('one') { a.succeed 'true' }
                test('two') { }
            }
        """)
        assert !Files.exists(stored(f))

        when:
        def first = new ScenarioLoader().load(f, 'stored.groovy')
        def second = new ScenarioLoader().load(f, 'stored.groovy')

        then:
        Files.isRegularFile(stored(f))
        loaderOf(first) != 'Stored'
        loaderOf(second) == 'Stored'
        second[0].tests()*.name() == ['one', 'two']
        second[0].tests()*.line() == first[0].tests()*.line()
        second[0].tests()*.line() == [4, 5]
        second[0].machines().a.memoryMiB() == 128
    }

    def "a mistake found while a stored script runs still names its file and line"() {
        given:
        def f = write('mistake.groovy', """// ${UUID.randomUUID()}
            scenario('s') {
                machine('a') { memroy '1G' }
            }
        """)

        when:
        def errors = (1..2).collect {
            try {
                new ScenarioLoader().load(f, 'mistake.groovy')
                null
            } catch (DslException e) {
                e.message
            }
        }

        then:
        Files.isRegularFile(stored(f))
        errors == ["mistake.groovy:3: unknown keyword 'memroy'"] * 2
    }

    def "an edited script is compiled again; a script that does not compile is not stored"() {
        given:
        def id = UUID.randomUUID()
        def f = write('edit.groovy', "// $id\nscenario('s') { machine('a') { }; test('t') { } }\n")
        new ScenarioLoader().load(f, 'edit.groovy')
        def before = stored(f)

        when:
        Files.writeString(f, "// $id\nscenario('s') { machine('a') { }; test('t') { }; test('u') { } }\n")
        def defs = new ScenarioLoader().load(f, 'edit.groovy')

        then:
        stored(f) != before
        loaderOf(defs) != 'Stored'
        defs[0].tests()*.name() == ['t', 'u']

        when:
        Files.writeString(f, "// $id\nscenario('s') {\n machine('a') { \n")
        new ScenarioLoader().load(f, 'edit.groovy')

        then:
        DslException e = thrown()
        e.message.startsWith('edit.groovy:')
        !Files.exists(stored(f))
    }

    def "a damaged stored entry is compiled again, not trusted"() {
        given:
        def f = write('damaged.groovy', "// ${UUID.randomUUID()}\nscenario('s') { machine('a') { }; test('t') { } }\n")
        new ScenarioLoader().load(f, 'damaged.groovy')
        Files.write(stored(f), 'not classes'.bytes)

        when:
        def defs = new ScenarioLoader().load(f, 'damaged.groovy')

        then:
        defs[0].tests()*.name() == ['t']
        loaderOf(defs) != 'Stored'
        Files.size(stored(f)) > 100
    }
}
