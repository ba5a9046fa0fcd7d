package dev.jvt.spock

import dev.jvt.dsl.JvtCli
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

/**
 * Networks in a Spock spec, on real QEMU: two machines on a declared network whose handle cuts
 * them apart, the cut undone by the rewind before the next feature, and a network that only a
 * {@code nic} names (as in SPEC §5's example), created with the defaults and addresses assigned.
 */
class JvtNetworkSpec extends Specification {
    @Shared Path runs = JvtCli.tempDir('spock-net')
    @Shared def result
    @Shared Path run

    def setupSpec() {
        result = JvtCli.runSpec(runs, '''
            import dev.jvt.engine.Machine
            import dev.jvt.engine.net.Network
            import dev.jvt.spock.Jvt
            import spock.lang.*

            @Jvt
            class TwoMachineSpec extends Specification {
                @Shared Network lan = network('lan')
                @Shared Machine server = machine('server') { nic 'lan', ip: '10.0.1.1/24'; nic 'backend' }
                @Shared Machine client = machine('client') { nic 'lan', ip: '10.0.1.2/24'; nic 'backend' }

                def setupSpec() {
                    // resolve ARP both ways before any cut, so the snapshot holds it
                    client.succeed('ping -c 1 -W 2 10.0.1.1')
                    server.succeed('ping -c 1 -W 2 10.0.1.2')
                }

                def "the client reaches the server"() {
                    expect: client.succeed('ping -c 1 -W 2 10.0.1.1').contains('1 packets received')
                }

                def "a partition cuts them apart"() {
                    when: lan.partition(server, client)
                    then: client.execute('ping -c 1 -W 1 10.0.1.1')[0] != 0
                }

                def "the next feature starts from the snapshot: no partition"() {
                    expect: client.succeed('ping -c 1 -W 2 10.0.1.1').contains('1 packets received')
                }

                def "a network only a nic names works, with addresses from its subnet"() {
                    expect:
                    server.succeed('ip -4 addr show eth1').contains('inet 10.0.2.1/24')
                    client.succeed('ping -c 1 -W 2 10.0.2.1').contains('1 packets received')
                }
            }
        ''')
        run = runs.resolve('latest').toRealPath()
    }

    def "every feature passes"() {
        expect:
        result.failures.collect { it.exception.toString() } == []
        result.testsSucceededCount == 4
    }

    def "each network's capture is in the run directory and in the report, and the partition is a step"() {
        given:
        def pcaps = Files.walk(run).withCloseable { s -> s.filter { it.fileName.toString().endsWith('.pcap') && !it.startsWith(run.resolve('allure-results')) }
                .map { it.fileName.toString() }.toList() }
        def json = new JsonSlurper()
        def files = Files.list(run.resolve('allure-results')).toList()
        def containers = files.findAll { it.fileName.toString().endsWith('-container.json') }.collect { json.parse(it.toFile()) as Map }
        def tests = files.findAll { it.fileName.toString().endsWith('-result.json') }.collect { json.parse(it.toFile()) as Map }
        def cut = tests.find { it.name == 'a partition cuts them apart' }

        expect:
        pcaps.sort(false) == ['backend.pcap', 'lan.pcap']
        containers*.afters.flatten()*.attachments.flatten()*.name.containsAll(['lan: packet capture', 'backend: packet capture'])
        cut.steps*.name.any { it.contains('partition') }
    }
}
