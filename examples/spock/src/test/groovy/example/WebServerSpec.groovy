package example

import dev.jvt.engine.Machine
import dev.jvt.engine.net.Network
import dev.jvt.spock.Jvt
import spock.lang.Shared
import spock.lang.Specification

/** SPEC §5's example grown a little: a web server and a client on a network, and a partition. */
@Jvt
class WebServerSpec extends Specification {
    @Shared Network lan = network('lan')
    @Shared Machine server = machine('server') { nic 'lan', ip: '10.0.1.1/24' }
    @Shared Machine client = machine('client') { nic 'lan', ip: '10.0.1.2/24' }

    def setupSpec() {
        server.succeed('mkdir -p /srv && echo hello from the server > /srv/index.html && httpd -p 80 -h /srv')
    }

    def "the guest runs Linux"() {
        expect: server.succeed('uname -s').trim() == 'Linux'
    }

    def "the client fetches the page"() {
        expect: client.succeed('timeout 10 wget -qO- http://10.0.1.1/') == 'hello from the server\n'
    }

    def "a partition makes the fetch fail"() {
        when: lan.partition(server, client)
        then: client.execute('timeout 3 wget -qO- http://10.0.1.1/')[0] != 0
    }

    def "the next feature starts from the snapshot, healed"() {
        expect: client.succeed('timeout 10 wget -qO- http://10.0.1.1/') == 'hello from the server\n'
    }
}
