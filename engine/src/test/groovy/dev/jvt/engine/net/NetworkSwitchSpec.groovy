package dev.jvt.engine.net

import dev.jvt.engine.JvtException
import dev.jvt.engine.events.Events
import dev.jvt.engine.events.RunListener
import dev.jvt.engine.events.ScenarioRun
import dev.jvt.engine.events.Step
import dev.jvt.engine.events.TestRun
import spock.lang.Specification
import spock.lang.TempDir

import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path

/**
 * The switch without QEMU: plain UNIX socket clients speak QEMU's stream framing (4-byte
 * big-endian length, then the Ethernet frame) to its ports.
 */
class NetworkSwitchSpec extends Specification {
    static final String MAC_A = '52:54:00:00:00:0a'
    static final String MAC_B = '52:54:00:00:00:0b'
    static final String MAC_C = '52:54:00:00:00:0c'
    static final String BROADCAST = 'ff:ff:ff:ff:ff:ff'

    @TempDir
    Path dir

    Network net
    Map<String, SocketChannel> nic = [:]

    def setup() {
        net = Network.start('lan', '10.0.1.0/24', dir.resolve('lan.pcap'), dir, null)
        [a: MAC_A, b: MAC_B, c: MAC_C].each { name, mac ->
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)
            ch.connect(UnixDomainSocketAddress.of(net.attach(name, mac)))
            nic[name] = ch
        }
        // the switch accepts on its own thread: frames sent before it took a port would miss it
        long deadline = System.currentTimeMillis() + 5000
        while (net.connectedPorts() < 3 && System.currentTimeMillis() < deadline) {
            Thread.sleep(5)
        }
        assert net.connectedPorts() == 3
    }

    def cleanup() {
        nic.values()*.close()
        net?.close()
    }

    static byte[] frame(String dst, String src, String payload) {
        def b = ByteBuffer.allocate(14 + payload.length())
        b.put(mac(dst)).put(mac(src)).putShort((short) 0x88b5).put(payload.bytes)
        b.array()
    }

    static byte[] mac(String m) {
        m.split(':').collect { (byte) Integer.parseInt(it, 16) } as byte[]
    }

    void send(String from, byte[] f) {
        def b = ByteBuffer.allocate(4 + f.length).order(ByteOrder.BIG_ENDIAN)
        b.putInt(f.length).put(f).flip()
        while (b.hasRemaining()) {
            nic[from].write(b)
        }
    }

    /** The payloads of the frames that reach {@code who} within {@code ms}. */
    List<String> received(String who, long ms = 300) {
        SocketChannel ch = nic[who]
        ch.configureBlocking(false)
        def buf = ByteBuffer.allocate(65536)
        long end = System.currentTimeMillis() + ms
        while (System.currentTimeMillis() < end) {
            ch.read(buf)
            Thread.sleep(10)
        }
        buf.flip()
        List<String> out = []
        while (buf.remaining() >= 4) {
            int len = buf.getInt()
            byte[] f = new byte[len]
            buf.get(f)
            out << new String(f, 14, len - 14)
        }
        out
    }

    def "a broadcast reaches every other port, and a learned address only its own port"() {
        when: 'a broadcasts, so the switch learns where a is'
        send('a', frame(BROADCAST, MAC_A, 'hello all'))

        then:
        received('b') == ['hello all']
        received('c') == ['hello all']
        received('a') == []

        when: 'b answers a: only a gets it'
        send('b', frame(MAC_A, MAC_B, 'hi a'))

        then:
        received('a') == ['hi a']
        received('c') == []
    }

    def "a frame to an unknown address is flooded"() {
        when:
        send('a', frame('52:54:00:99:99:99', MAC_A, 'anyone'))

        then:
        received('b') == ['anyone']
        received('c') == ['anyone']
    }

    def "a partition drops frames between the groups at once, heal lets them through again"() {
        given:
        send('a', frame(BROADCAST, MAC_A, 'learn a'))
        send('c', frame(BROADCAST, MAC_C, 'learn c'))
        received('a'); received('b'); received('c')

        when:
        net.partition(['c'], ['a', 'b'])
        send('a', frame(BROADCAST, MAC_A, 'cut'))
        send('c', frame(MAC_A, MAC_C, 'c to a'))

        then:
        received('b') == ['cut']
        received('c') == []
        received('a') == []
        net.stats().droppedByFault == 1      // the broadcast still reached b

        when:
        net.heal()
        send('c', frame(MAC_A, MAC_C, 'healed'))

        then:
        received('a') == ['healed']
    }

    def "a link taken down isolates its machine both ways"() {
        when:
        net.link([up: false], 'b')
        send('a', frame(BROADCAST, MAC_A, 'x'))
        send('b', frame(BROADCAST, MAC_B, 'y'))

        then:
        received('b') == []
        received('c') == ['x']
        received('a') == []

        when:
        net.link([up: true], 'b')
        send('a', frame(BROADCAST, MAC_A, 'z'))

        then:
        received('b') == ['z']
    }

    def "delay holds frames back, loss(100) drops them, and restore brings the saved faults back"() {
        when:
        Faults clean = net.faults()
        net.delay(300)
        long t0 = System.nanoTime()
        send('a', frame(MAC_B, MAC_A, 'late'))

        then:
        received('b', 150) == []
        received('b', 400) == ['late']
        (System.nanoTime() - t0) / 1e6 >= 300

        when:
        net.loss(100)
        send('a', frame(MAC_B, MAC_A, 'lost'))

        then:
        received('b', 600) == []
        net.stats().droppedByLoss == 1

        when:
        net.restore(clean)
        send('a', frame(MAC_B, MAC_A, 'back'))

        then:
        net.getFaults() == Faults.NONE
        received('b') == ['back']
    }

    def "each fault is a step on the network with its verb and attributes, titled as before"() {
        given:
        List<Step> steps = []
        def events = new Events(new ScenarioRun('s', null, dir), [new RunListener() {
            void stepFinished(TestRun t, Step s) { steps << s }
        }])
        def lan = Network.start('lan2', '10.0.2.0/24', dir.resolve('lan2.pcap'), dir, events)
        ['a', 'b'].each { lan.attach(it, MAC_A) }

        when:
        lan.partition(['a'], ['b'])
        lan.link('b', false)
        lan.loss(12.5)
        lan.delay(300)
        lan.heal()

        then:
        steps*.machine().unique() == ['lan2']
        steps*.verb() == ['partition', 'link', 'loss', 'delay', 'heal']
        steps*.title() == ['partition [a] | [b]', 'link b down', 'loss 12.5%', 'delay 300 ms', 'heal']
        steps*.attributes() == [[groups: '[a] | [b]'], [link: 'b', up: 'false'], [percent: '12.5'], [delay: '300 ms'], [:]]

        cleanup:
        lan?.close()
    }

    def "every frame the switch receives is in the pcap, dropped ones too"() {
        given:
        net.partition(['a'], ['b'])
        send('a', frame(MAC_B, MAC_A, 'dropped'))
        send('a', frame(MAC_C, MAC_A, 'passed'))
        received('c')
        byte[] pcap = Files.readAllBytes(net.getPcap())
        def b = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN)

        expect: 'the global header: magic, version 2.4, link type 1 (Ethernet)'
        (b.getInt(0) & 0xffffffffL) == 0xa1b2c3d4L
        b.getShort(4) == 2 && b.getShort(6) == 4
        b.getInt(20) == 1

        and: 'two records holding the frames as sent'
        int len1 = b.getInt(24 + 8)
        new String(pcap, 24 + 16 + 14, len1 - 14) == 'dropped'
        int off2 = 24 + 16 + len1
        new String(pcap, off2 + 16 + 14, b.getInt(off2 + 8) - 14) == 'passed'
        pcap.length == off2 + 16 + b.getInt(off2 + 8)
    }

    def "faults name machines that are on the network"() {
        when:
        net.partition(['a'], ['nobody'])

        then:
        def e = thrown(JvtException)
        e.message == "network 'lan': machine 'nobody' has no NIC on it (machines on lan: a, b, c)"
    }
}
