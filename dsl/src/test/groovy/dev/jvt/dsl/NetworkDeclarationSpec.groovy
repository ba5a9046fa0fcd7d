package dev.jvt.dsl

import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/** Network declarations as the loader resolves them: subnets, default addresses, errors. No QEMU. */
class NetworkDeclarationSpec extends Specification {
    @TempDir
    Path dir

    private ScenarioDefinition load(String text) {
        def f = dir.resolve('net.groovy')
        Files.writeString(f, text)
        new ScenarioLoader().load(f, 'net.groovy')[0]
    }

    private String errorOf(String text) {
        try {
            load(text)
        } catch (DslException e) {
            return e.message
        }
        throw new AssertionError('expected a DslException')
    }

    def "the Nth network gets 10.0.N.0/24 unless it names a subnet"() {
        when:
        def d = load("""scenario('s') {
            network 'one'
            network 'two'
            network 'three', subnet: '192.168.7.0/24'
        }""")

        then:
        d.networks().values()*.subnet() == ['10.0.1.0/24', '10.0.2.0/24', '192.168.7.0/24']
    }

    def "a nic without ip gets the lowest free address of its network, in declaration order"() {
        when:
        def d = load("""scenario('s') {
            network 'lan'
            machine('a') { nic 'lan' }
            machine('b') { nic 'lan', ip: '10.0.1.2/24' }
            machine('c') { nic 'lan' }
            machine('d') { nic 'lan', ip: 'none' }
        }""")

        then:
        d.machines().values().collect { it.nics()[0].address() } == ['10.0.1.1/24', '10.0.1.2/24', '10.0.1.3/24', 'none']
    }

    def "an address outside the network's subnet is an error with the line"() {
        expect:
        errorOf("""scenario('s') {
            network 'lan'
            machine('a') { nic 'lan', ip: '10.0.9.1/24' }
        }""") == "net.groovy:3: machine 'a': nic address 10.0.9.1/24 is outside network 'lan' (10.0.1.0/24); " +
                "give the network a subnet: network 'lan', subnet: '...'"
    }

    def "the same address twice on a network is an error"() {
        expect:
        errorOf("""scenario('s') {
            network 'lan'
            machine('a') { nic 'lan', ip: '10.0.1.5/24' }
            machine('b') { nic 'lan', ip: '10.0.1.5/24' }
        }""").endsWith("machine 'b': nic address 10.0.1.5/24 is already used on network 'lan'")
    }

    def "a machine with nat() cannot have an address in the NAT network"() {
        expect:
        errorOf("""scenario('s') {
            network 'one'
            network 'two'
            machine('a') { nic 'two'; nat() }
        }""").endsWith("machine 'a': nic address 10.0.2.1/24 on network 'two' overlaps the NAT network 10.0.2.0/24 of nat(); give the network another subnet")
    }

    def "a malformed subnet is an error"() {
        expect:
        errorOf("scenario('s') { network 'lan', subnet: '10.0.1/24' }").endsWith("network 'lan': '10.0.1/24' is not a subnet like '10.0.1.0/24'")
    }
}
