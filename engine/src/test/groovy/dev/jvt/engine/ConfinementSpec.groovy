package dev.jvt.engine

import dev.jvt.engine.events.Events
import dev.jvt.engine.events.ScenarioRun
import dev.jvt.engine.host.Prerequisites
import dev.jvt.engine.qemu.Sandbox
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.attribute.PosixFileAttributes
import java.nio.file.attribute.PosixFilePermissions

/**
 * Confinement on real QEMU: while a machine with a jvt network, user-mode NAT and a port forward
 * runs, every socket that its QEMU or this JVM listens on is TCP on loopback or a UNIX socket
 * inside a folder only this user can enter, and QEMU runs under its seccomp filter.
 */
class ConfinementSpec extends Specification {
    @Shared @TempDir Path dir
    @Shared Testbed bed
    @Shared Machine box

    def setupSpec() {
        Prerequisites.ensure(false)
        bed = new Testbed(dir.resolve('bed'), new Events(new ScenarioRun('confinement', null, dir.resolve('bed')), []), RunOptions.DEFAULT)
        bed.network('lan', '10.0.7.0/24')
        MachineConfig c = new MachineConfig('box')
                .nic(new MachineConfig.Nic('lan', '10.0.7.1/24', null, '52:54:00:07:00:01'))
                .forward(new MachineConfig.Forward(0, 22, 'tcp'))
                .forward(new MachineConfig.Forward(0, 53, 'udp'))
        box = bed.machine(c)
        box.launch()
        box.waitBooted()
    }

    def cleanupSpec() {
        bed?.close()
    }

    /** A listening socket: "tcp 127.0.0.1:4000", or "unix /path". */
    record Listener(String kind, String address, int port, String path) {
        String toString() {
            kind == 'unix' ? "unix $path" : "$kind $address:$port"
        }
    }

    /** The socket inodes process {@code pid} holds open. */
    static Set<String> socketInodes(long pid) {
        Set<String> out = [] as Set
        Files.list(Path.of("/proc/$pid/fd")).withCloseable { s ->
            s.each { fd ->
                try {
                    String t = Files.readSymbolicLink(fd).toString()
                    if (t.startsWith('socket:[')) {
                        out << t.substring(8, t.length() - 1)
                    }
                } catch (IOException ignored) {
                    // closed meanwhile
                }
            }
        }
        out
    }

    /** Every socket of {@code pid} that listens (TCP state 0A; UNIX with SO_ACCEPTCON) or is bound for UDP. */
    static List<Listener> listeners(long pid) {
        Set<String> mine = socketInodes(pid)
        List<Listener> out = []
        ['tcp': '0A', 'tcp6': '0A', 'udp': '07', 'udp6': '07'].each { file, state ->
            Path p = Path.of("/proc/$pid/net/$file")
            if (!Files.exists(p)) {
                return
            }
            p.readLines().drop(1)*.trim().findAll { it }.each { line ->
                List<String> f = line.split(/\s+/) as List
                if (f[3] == state && f[9] in mine) {
                    String[] local = f[1].split(':')
                    out << new Listener(file, address(local[0]), Integer.parseInt(local[1], 16), null)
                }
            }
        }
        Path.of("/proc/$pid/net/unix").readLines().drop(1)*.trim().findAll { it }.each { line ->
            List<String> f = line.split(/\s+/) as List
            // Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 = listening
            if ((Long.parseLong(f[3], 16) & 0x10000) != 0 && f[6] in mine) {
                out << new Listener('unix', null, 0, f.size() > 7 ? f[7] : '')
            }
        }
        out
    }

    /** /proc/net's little-endian hex address as text (IPv4 "0100007F" is 127.0.0.1; IPv6 by 32-bit words). */
    static String address(String hex) {
        byte[] b = new byte[hex.length() / 2]
        for (int w = 0; w < b.length / 4; w++) {
            for (int i = 0; i < 4; i++) {
                b[w * 4 + i] = (byte) Integer.parseInt(hex.substring((w * 4 + 3 - i) * 2, (w * 4 + 3 - i) * 2 + 2), 16)
            }
        }
        InetAddress.getByAddress(b).hostAddress
    }

    static boolean loopback(String address) {
        InetAddress.getByName(address).loopbackAddress
    }

    /** The closest folder above {@code socket} that is 0700 and this user's, with every folder between them this user's too; null if none. */
    static Path privateFolder(Path socket) {
        int uid = (Integer) Files.getAttribute(Path.of('/proc/self'), 'unix:uid')
        for (Path d = socket.parent; d != null; d = d.parent) {
            int owner = (Integer) Files.getAttribute(d, 'unix:uid', LinkOption.NOFOLLOW_LINKS)
            if (owner != uid || Files.isSymbolicLink(d)) {
                return null
            }
            def perms = Files.readAttributes(d, PosixFileAttributes, LinkOption.NOFOLLOW_LINKS).permissions()
            if (PosixFilePermissions.toString(perms) == 'rwx------') {
                return d
            }
        }
        null
    }

    def "QEMU listens only on 127.0.0.1: the forwards, nothing else"() {
        when:
        List<Listener> l = listeners(box.process().pid())

        then: 'both forwards, on loopback, and no other TCP or UDP socket is bound'
        l.findAll { it.kind != 'unix' }.every { loopback(it.address) }
        l.find { it.kind == 'tcp' && it.port == box.hostPort(22) && it.address == '127.0.0.1' }
        l.find { it.kind == 'udp' && it.address == '127.0.0.1' }
        l.findAll { it.kind != 'unix' }.size() == 2

        and: 'any UNIX socket it listens on is in a private folder'
        l.findAll { it.kind == 'unix' }.every { privateFolder(Path.of(it.path)) != null }
    }

    def "this JVM listens on no TCP socket off loopback, and its UNIX sockets (the switch's ports) are in a 0700 folder of this user"() {
        when:
        List<Listener> l = listeners(ProcessHandle.current().pid())
        List<Listener> unix = l.findAll { it.kind == 'unix' }

        then:
        l.findAll { it.kind != 'unix' }.every { loopback(it.address) }
        unix.find { it.path.contains('net-lan-') }
        unix.every { !it.path.startsWith('@') && it.path && privateFolder(Path.of(it.path)) != null }
    }

    def "QEMU runs under its seccomp filter when it supports the sandbox"() {
        given:
        long pid = box.process().pid()
        boolean supported = Sandbox.wanted() && Sandbox.support(Path.of(box.process().command()[0])).supported()

        expect:
        Path.of("/proc/$pid/comm").text.trim().startsWith('qemu-system')
        box.process().command().contains('-sandbox') == supported
        !supported || Path.of("/proc/$pid/status").readLines().find { it.startsWith('Seccomp:') }.split(/\s+/)[1] == '2'

        and: 'the probe said so for this host (QEMU 7.2 from Debian is built with seccomp)'
        !Sandbox.wanted() || Sandbox.describe(Path.of(box.process().command()[0])).startsWith('on (seccomp')
    }

    def "a sandboxed QEMU cannot spawn: an exec: migration kills it with SIGSYS (why the boot cache streams over sockets)"() {
        given:
        Path qemu = Path.of(box.process().command()[0])
        List<String> sandbox = Sandbox.args(qemu)
        if (sandbox.isEmpty()) {
            return  // no sandbox on this host: nothing is denied
        }
        Process p = new ProcessBuilder([qemu.toString()] + sandbox + ['-M', 'none', '-nodefaults', '-display', 'none', '-S', '-qmp', 'stdio'])
                .redirectErrorStream(true).start()

        when:
        p.outputStream.withWriter { w ->
            w << '{"execute":"qmp_capabilities"}\n{"execute":"migrate","arguments":{"uri":"exec:cat > /dev/null"}}\n'
            w.flush()
            p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)
        }

        then:
        !p.alive
        p.exitValue() == 128 + 31

        cleanup:
        p?.destroyForcibly()
    }
}
