package example

import dev.jvt.engine.Machine
import dev.jvt.spock.Jvt
import spock.lang.Shared
import spock.lang.Specification

/** Boots jvt's built-in guest once for the spec; each feature starts from the same snapshot. */
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

    def "a feature may leave a mess"() {
        expect:
        guest.succeed('rm -rf /bin/ls; echo mess > /root/mess; cat /root/mess') == 'mess\n'
    }

    def "the next feature does not see it: the guest was rewound"() {
        expect:
        guest.execute('test -e /root/mess')[0] == 1
        guest.succeed('ls /bin').contains('busybox')
    }
}
