package dev.jvt.engine.ssh

import dev.jvt.engine.JvtException
import spock.lang.Specification

/** SFTP get takes one guest file named by the script: a wildcard would let the guest's server choose host file names. */
class SshGetSpec extends Specification {
    def "a guest path #guest is refused with exit 2"() {
        when:
        SshSession.refuseWildcard(guest)

        then:
        JvtException e = thrown()
        e.kind().exitCode == 2
        e.message.contains('without wildcards')

        where:
        guest << ['/var/log/*', '/etc/host?', '/tmp/[ab]', '']
    }

    def "one named file passes"() {
        when:
        SshSession.refuseWildcard('/var/log/syslog')

        then:
        noExceptionThrown()
    }
}
