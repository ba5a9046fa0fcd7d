package dev.jvt.dsl

import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

import java.nio.file.Files
import java.nio.file.Path

/**
 * `jvt init DIR` makes a project whose scenario runs and that refuses to overwrite. Its Spock spec
 * needs jvt installed in the local Maven repository, so `./jvt selftest` runs `mvn test` in a
 * fresh `jvt init` project after it installed jvt (as for examples/).
 */
@Stepwise
class InitSpec extends Specification {
    @Shared Path dir = JvtCli.tempDir('init').resolve('my-vm-tests')

    def "it makes the scenario, the spec, the pom, a README and a .gitignore, and says how to run them"() {
        when:
        def r = JvtCli.run('init', '--group', 'org.acme.vm', dir.toString())

        then:
        r.code == 0
        r.out.startsWith("jvt: made $dir: pom.xml, README.md, scenarios/hello.groovy, src/test/groovy/org/acme/vm/HelloSpec.groovy")
        Files.readString(dir.resolve('pom.xml')).contains('<groupId>org.acme.vm</groupId>')
        Files.readString(dir.resolve('pom.xml')).contains('<artifactId>my-vm-tests</artifactId>')
        Files.readString(dir.resolve('src/test/groovy/org/acme/vm/HelloSpec.groovy')).startsWith('package org.acme.vm\n')
        Files.readString(dir.resolve('.gitignore')) == 'target/\nbuild/\n'
        !Files.readString(dir.resolve('README.md')).contains('PACKAGE')
    }

    def "its scenario loads, type-checks and passes on a real guest"() {
        given:
        Path scenario = dir.resolve('scenarios/hello.groovy')

        expect:
        ScenarioLoader.typeCheck(scenario, 'hello.groovy') == []
        JvtCli.run('run', '--out', dir.resolve('build/run').toString(), scenario.toString()).code == 0
        JvtCli.junitCases([dir.resolve('build/run')]).values()*.kind == ['passed'] * 3
    }

    def "a folder that holds anything, a file, or a group that is no package name is refused with exit 2"() {
        expect:
        JvtCli.run('init', dir.toString()).with { code == 2 && err.trim() == "jvt init: $dir is not empty; jvt init makes a new project and overwrites nothing" }
        JvtCli.run('init', dir.resolve('pom.xml').toString()).with { code == 2 && err.contains('is a file') }
        JvtCli.run('init', '--group', 'Not-A.Package', dir.resolveSibling('other').toString()).with {
            code == 2 && err.trim() == 'jvt init: --group Not-A.Package is not a Java package name (lower case, dots, e.g. com.example)'
        }
    }
}
