package dev.jvt.engine.qemu

import dev.jvt.engine.JvtException
import spock.lang.Specification
import spock.lang.TempDir

import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.nio.charset.StandardCharsets
import java.nio.file.Path
import java.time.Duration

/** The QMP client against a fake QEMU on a UNIX socket, which answers each command with {@code replies}. */
class QmpSpec extends Specification {
    @TempDir
    Path dir

    ServerSocketChannel server
    SocketChannel qemu
    Qmp qmp

    def cleanup() {
        qmp?.close()
        qemu?.close()
        server?.close()
    }

    /** Connects a Qmp to a fake QEMU; {@code reply} maps each request line to the lines sent back. */
    void connect(Closure<List<String>> reply) {
        def path = dir.resolve('qmp.sock')
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(path))
        Thread.start {
            qemu = server.accept()
            send('{"QMP": {"version": {}, "capabilities": []}}')
            def lines = new BufferedReader(new InputStreamReader(java.nio.channels.Channels.newInputStream(qemu), StandardCharsets.UTF_8))
            try {
                String line
                while ((line = lines.readLine()) != null) {
                    String id = (line =~ /"id":"([^"]+)"/)[0][1]
                    reply(line).each { send(it.replace('ID', id)) }
                }
            } catch (IOException ignored) {
                // the fake QEMU went away
            }
        }
        def ch = SocketChannel.open(StandardProtocolFamily.UNIX)
        ch.connect(UnixDomainSocketAddress.of(path))
        qmp = new Qmp('vm', ch, Duration.ofSeconds(5))
    }

    void send(String line) {
        def b = ByteBuffer.wrap((line + '\n').getBytes(StandardCharsets.UTF_8))
        synchronized (this) {
            while (b.hasRemaining()) {
                qemu.write(b)
            }
        }
    }

    def "a malformed message from QEMU is skipped; the replies after it still arrive"() {
        given:
        connect { String req -> req.contains('query-status') ? ['{"return": {"status": "running"', '{"return": {"status": "running"}, "id": "ID"}'] : ['{"return": {}, "id": "ID"}'] }

        expect:
        qmp.execute('query-status', [:], Duration.ofSeconds(5)).path('status').asText() == 'running'
        !qmp.isClosed()
    }

    def "an event listener that throws does not stop the reader"() {
        given:
        List<String> seen = []
        connect { String req -> req.contains('query-status') ? ['{"event": "STOP"}', '{"return": {"status": "paused"}, "id": "ID"}'] : ['{"return": {}, "id": "ID"}'] }
        qmp.addEventListener { throw new IllegalStateException('listener bug') }
        qmp.addEventListener { seen << it.path('event').asText() }

        expect:
        qmp.execute('query-status', [:], Duration.ofSeconds(5)).path('status').asText() == 'paused'
        seen == ['STOP']
    }

    def "when QEMU goes away, a waiting command fails as infrastructure"() {
        given:
        connect { String req -> req.contains('quit') ? { qemu.close(); [] }() : ['{"return": {}, "id": "ID"}'] }

        when:
        qmp.execute('quit', [:], Duration.ofSeconds(5))

        then:
        JvtException e = thrown()
        e.kind() == JvtException.Kind.INFRASTRUCTURE
        e.message == 'vm: QMP connection to QEMU closed'
    }
}
