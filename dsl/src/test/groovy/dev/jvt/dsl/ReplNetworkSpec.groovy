package dev.jvt.dsl

import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Path

/**
 * The REPL's snapshot and rewind take the networks' faults along with the machines
 * (`jvt repl scenarios/network.groovy`, two real guests on a jvt network, driven through a pipe).
 */
class ReplNetworkSpec extends Specification {
    @Shared Path dir = JvtCli.tempDir('repl-network')
    @Shared ReplProcess repl

    static final String PING = "client.execute('ping -c 1 -W 1 10.0.1.1 >/dev/null')"

    def setupSpec() {
        repl = ReplProcess.run(dir, JvtCli.scenario('network.groovy'), 'server> ', [
                "client.succeed('ping -c 1 -W 2 10.0.1.1 >/dev/null')",   // ARP resolved before any snapshot
                'snapshot open',
                'lan.partition([client], [server])',
                PING,
                'rewind open',
                'lan.faults',
                PING,
                'lan.partition([client], [server])',
                'snapshot cut',
                'lan.heal()',
                PING,
                'rewind cut',
                'lan.faults',
                PING,
                'exit',
        ])
    }

    def "rewinding to a snapshot taken before a partition heals the network"() {
        expect:
        repl.code == 0
        repl.out.contains("server> snapshot open\nsaved snapshot 'open' on server, client\n")
        // partitioned: the ping fails; after the rewind the faults are those of the snapshot (none) and it works again
        repl.out.contains("server> lan.partition([client], [server])\n" + "server> " + PING + "\n=> [1, '']\n")
        repl.out.contains("server> rewind open\nrewound to 'open' on server, client\nserver> lan.faults\n=> no faults\nserver> " + PING + "\n=> [0, '']\n")
    }

    def "rewinding to a snapshot taken during a partition cuts the network again"() {
        expect:
        repl.out.contains("server> lan.heal()\n" + "server> " + PING + "\n=> [0, '']\n")
        repl.out =~ /server> rewind cut\nrewound to 'cut' on server, client\nserver> lan.faults\n=> partition \[client\] \| \[server\]\nserver> \Q${PING}\E\n=> \[1, ''\]\n/
    }

    def "leaving the REPL stopped both QEMUs"() {
        expect:
        repl.qemuSeen.size() == 2
        repl.qemuLeft.isEmpty()
    }
}
