package dev.jvt.dsl

import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * Networks on real QEMU guests: `jvt run scenarios/network.groovy scenarios/partition.groovy`,
 * then the packet captures read back with tshark (installed by `./jvt selftest`).
 */
@Stepwise
class NetworkSpec extends Specification {
    @Shared Path out = JvtCli.tempDir('network')
    @Shared JvtCli.Result result
    @Shared Path twoMachines
    @Shared Path threeMachines

    def setupSpec() {
        result = JvtCli.run('run', JvtCli.scenario('network.groovy'), JvtCli.scenario('partition.groovy'), '--out', out.toString())
        twoMachines = out.resolve('two-machines-on-a-network')
        threeMachines = out.resolve('three-machines-and-network-faults')
    }

    def "both network scenarios pass on real guests"() {
        expect:
        result.code == 0
        result.out =~ /jvt: 14 passed, 0 failed in/
        [
                'the machines ping each other',
                'the client fetches a page from the server over TCP',
                'a partition cuts the link and heal restores it',
                'a link taken down and up again',
                'the host reaches the guest service through the forwarded port',
                'a second network with its own subnet is a separate switch',
                'the pcap can be read while the scenario runs',
                'a restarted machine rejoins its network and keeps its forwarded port',
                'every machine got the next free address of the subnet',
                'a partition isolates c from a and b, who still reach each other',
                'a partition given by machine names, and a TCP connection across it',
                'a link taken down cuts a machine off until it comes up',
                'delay adds to the round trip and goes away with delay(0)',
                'loss drops frames at random and loss(0) ends it',
        ].each { assert result.out.contains("✔ $it") }
    }

    def "each machine's QEMU joined the switch as a stream client and the NAT with a forward to port 80"() {
        given:
        String server = Files.readString(twoMachines.resolve('server/qemu-cmdline.txt'))
        String client = Files.readString(twoMachines.resolve('client/qemu-cmdline.txt'))

        expect:
        server =~ /-netdev stream,id=jvt-net0,server=off,addr.type=unix,addr.path=\S+ -device virtio-net-pci,netdev=jvt-net0,mac=52:54:00/
        server =~ /-netdev user,id=jvt-nat,hostfwd=tcp:127.0.0.1:\d+-:80 /
        server.contains('jvt.nic=')
        client =~ /-device e1000,netdev=jvt-net0,mac=52:54:00/
    }

    def "the pcap is read by tshark and holds the ICMP echoes between the two machines"() {
        when:
        def icmp = tshark(twoMachines.resolve('lan.pcap'), 'icmp', 'ip.src', 'ip.dst', 'icmp.type')

        then:
        icmp.contains(['10.0.1.2', '10.0.1.1', '8'])     // echo request client -> server
        icmp.contains(['10.0.1.1', '10.0.1.2', '0'])     // echo reply server -> client
        icmp.contains(['10.0.1.1', '10.0.1.2', '8'])
        icmp.contains(['10.0.1.2', '10.0.1.1', '0'])
    }

    def "the pcap holds the TCP connection that carried the page"() {
        when:
        def syn = tshark(twoMachines.resolve('lan.pcap'), 'tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport==80', 'ip.src', 'ip.dst')
        def page = tshark(twoMachines.resolve('lan.pcap'), 'http.response && ip.src==10.0.1.1', 'http.response.code', 'http.file_data')

        then:
        syn.contains(['10.0.1.2', '10.0.1.1'])
        page.contains(['200', 'hello from server\\n'])
    }

    def "each network has its own capture: the second one holds only its own subnet"() {
        when:
        def backend = tshark(twoMachines.resolve('backend.pcap'), 'ip', 'ip.src', 'ip.dst')

        then:
        backend.contains(['192.168.7.2', '192.168.7.1'])
        backend.every { row -> row.every { it.startsWith('192.168.7.') } }
    }

    def "the faults are visible in the pcap: echo requests that got no reply"() {
        when:
        def unanswered = tshark(twoMachines.resolve('lan.pcap'), 'icmp.type==8 && icmp.resp_not_found', 'ip.src', 'ip.dst')
        def isolated = tshark(threeMachines.resolve('lan.pcap'), 'icmp.type==8 && icmp.resp_not_found', 'ip.src', 'ip.dst')

        then: 'the partition and the downed link each left a probe unanswered'
        unanswered.count { it == ['10.0.1.2', '10.0.1.1'] } >= 2
        isolated.contains(['10.0.1.1', '10.0.1.3'])       // a -> c during the partition
        isolated.contains(['10.0.1.3', '10.0.1.1'])       // c -> a during the partition
        isolated.contains(['10.0.1.1', '10.0.1.2'])       // a -> b while b's link was down
    }

    /** Rows of tab-separated fields tshark prints for the frames matching {@code filter} (two passes, so requests know their replies). */
    static List<List<String>> tshark(Path pcap, String filter, String... fields) {
        assert Files.size(pcap) > 24: "$pcap holds no frames"
        def cmd = ['tshark', '-2', '-n', '-r', pcap.toString(), '-Y', filter, '-T', 'fields']
        fields.each { cmd += ['-e', it] }
        Process p
        try {
            p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start()
        } catch (IOException e) {
            throw new AssertionError("tshark is needed to read the pcap (./jvt selftest installs it; or: apt-get install tshark): $e.message")
        }
        String text = p.inputStream.text
        assert p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0: "tshark failed on $pcap"
        text.readLines().findAll { it }.collect { it.split('\t', -1) as List<String> }
    }
}
