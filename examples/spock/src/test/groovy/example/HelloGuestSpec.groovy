package example

import dev.jvt.engine.Machine
import dev.jvt.spock.Jvt
import spock.lang.Shared
import spock.lang.Specification

/** Boots jvt's built-in guest once for the spec; each feature uses it. */
@Jvt
class HelloGuestSpec extends Specification {
    @Shared Machine guest = machine('guest') {
        memory '256M'
        expectConsole ~/Run \/init as init process/
        failOn ~/Kernel panic|Oops/
    }

    def "the guest runs Linux"() {
        expect:
        guest.succeed('uname -s').trim() == 'Linux'
    }

    def "a command returns its output and exit status"() {
        when:
        def (status, out) = guest.execute('echo hello; exit 3')

        then:
        status == 3
        out == 'hello\n'
    }

    def "the serial console has a shell"() {
        when:
        guest.sendConsole 'echo typed-on-the-console\n'

        then:
        guest.waitForConsole(~/^typed-on-the-console/, 30)
    }

    def "the QEMU monitor answers"() {
        expect:
        guest.monitor('info status').contains('running')
    }
}
