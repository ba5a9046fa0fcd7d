package dev.jvt.spock

import dev.jvt.dsl.JvtCli
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

/** A @Jvt spec honours the run's modes: -Djvt.deterministic=true gives its machine the fixed clock of deterministic mode. */
class JvtDeterministicSpec extends Specification {
    @Shared Path runs = JvtCli.tempDir('spock-deterministic')
    @Shared def result
    @Shared String cmdline

    def setupSpec() {
        result = JvtCli.runSpec(runs, '''
            import dev.jvt.engine.Machine
            import dev.jvt.spock.Jvt
            import spock.lang.*

            @Jvt
            class ClockSpec extends Specification {
                @Shared Machine box = machine('box') { memory '256M' }

                def "the guest clock starts at the fixed time"() {
                    expect: box.succeed('date -u +%Y-%m-%d').trim() == '2020-01-01'
                }
            }
        ''', ['jvt.deterministic': 'true'])
        cmdline = Files.readString(runs.resolve('latest').toRealPath().resolve('clockspec/box/qemu-cmdline.txt'))
    }

    def "the spec's machine runs with instruction-counted time and the fixed clock"() {
        expect:
        result.testsFailedCount == 0
        result.testsSucceededCount == 1
        cmdline.contains('-icount shift=5,sleep=off,align=off')
        cmdline.contains('base=2020-01-01T00:00:00,clock=vm')
    }
}
