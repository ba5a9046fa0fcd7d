package dev.jvt.engine

import dev.jvt.engine.events.Events
import dev.jvt.engine.events.ScenarioRun
import dev.jvt.engine.net.Faults
import spock.lang.Specification
import spock.lang.TempDir

import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path

/** The testbed's ownership rules, without QEMU: networks first, faults in checkpoints, the guarded close. */
class TestbedSpec extends Specification {
    @TempDir Path dir

    Testbed bed(String name = 'bed') {
        new Testbed(dir.resolve(name), new Events(new ScenarioRun(name, null, dir.resolve(name)), []), RunOptions.DEFAULT)
    }

    def "a network's switch takes connections as soon as network() returns, before any machine exists"() {
        given:
        def bed = bed()
        def lan = bed.network('lan', '10.0.1.0/24')

        when: 'a NIC port is opened and connected to, as QEMU would'
        Path port = lan.attach('a', '52:54:00:00:00:01')
        def ch = SocketChannel.open(StandardProtocolFamily.UNIX)
        ch.connect(UnixDomainSocketAddress.of(port))

        then:
        ch.connected
        bed.machines().isEmpty()

        cleanup:
        ch?.close()
        bed.close()
    }

    def "machines find the testbed's networks, and a name is declared once"() {
        given:
        def bed = bed()
        bed.network('lan', '10.0.1.0/24')
        def a = bed.machine(new MachineConfig('a'))

        when:
        bed.machine(new MachineConfig('a'))

        then:
        JvtException e = thrown()
        e.message == "machine 'a' is declared twice"
        bed.machines().keySet() as List == ['a']
        a.directory() == dir.resolve('bed').resolve('a')

        cleanup:
        bed.close()
    }

    def "a checkpoint holds the networks' faults: rewind puts back the partition of that moment"() {
        given:
        def bed = bed()
        def lan = bed.network('lan', '10.0.1.0/24')
        lan.attach('a', '52:54:00:00:00:01')
        lan.attach('b', '52:54:00:00:00:02')

        when:
        lan.partition(['a'], ['b'])
        bed.checkpoint('cut')
        lan.heal()
        bed.checkpoint('open')
        lan.loss(50)
        bed.rewind('cut')

        then:
        lan.faults().cuts().size() == 1
        lan.faults().lossPercent() == 0

        when:
        bed.rewind('open')

        then:
        lan.faults() == Faults.NONE
        bed.hasCheckpoint('cut')
        !bed.hasCheckpoint('other')

        cleanup:
        bed.close()
    }

    def "forEach runs on every machine at once and throws the first failure with the others suppressed"() {
        given:
        def bed = bed()
        ['a', 'b', 'c'].each { bed.machine(new MachineConfig(it)) }
        def seen = Collections.synchronizedSet(new HashSet())
        def together = new java.util.concurrent.CountDownLatch(3)

        when: 'each action waits for the other two, which only returns if all three run at once'
        bed.forEach { Machine m ->
            seen << Thread.currentThread().name
            together.countDown()
            assert together.await(10, java.util.concurrent.TimeUnit.SECONDS)
            if (m.name != 'b') {
                throw new IllegalStateException("failed on $m.name")
            }
        }

        then:
        IllegalStateException e = thrown()
        e.message == 'failed on a'
        e.suppressed*.message == ['failed on c']
        seen.size() == 3
        seen.every { it.startsWith('jvt-testbed-bed-') }

        cleanup:
        bed.close()
    }

    def "close closes every part, attaches the captures, deletes the work folder and is idempotent"() {
        given:
        def bed = bed()
        def lan = bed.network('lan', '10.0.1.0/24')
        bed.machine(new MachineConfig('a'))
        Path work = bed.@work

        when:
        bed.close()
        bed.close()

        then:
        !Files.exists(work)
        bed.events().scenario().attachments()*.name == ['lan: packet capture']
        Files.isRegularFile(dir.resolve('bed/lan.pcap'))

        when:
        lan.attach('b', '52:54:00:00:00:02')

        then:
        JvtException e = thrown()
        e.message == "network 'lan' is closed"

        when:
        bed.network('other', '10.0.2.0/24')

        then:
        JvtException closed = thrown()
        closed.message == "the testbed of 'bed' is closed"
    }

    def "the guarded close tries every part, then throws the first error with the rest suppressed"() {
        given:
        def closed = []
        def errors = []

        when:
        Cleanup.guard(errors) { closed << 'first'; throw new IllegalStateException('first broke') }
        Cleanup.guard(errors) { closed << 'second' }
        Cleanup.guard(errors) { closed << 'third'; throw new IOException('third broke') }
        Cleanup.throwFirst(errors)

        then:
        IllegalStateException e = thrown()
        closed == ['first', 'second', 'third']
        e.message == 'first broke'
        e.suppressed*.message == ['third broke']

        when: 'nothing failed'
        Cleanup.throwFirst([])

        then:
        noExceptionThrown()
    }
}
