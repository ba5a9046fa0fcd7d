package dev.jvt.dsl

import dev.jvt.engine.host.Prerequisites
import spock.lang.Requires
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * A scenario's QEMU on a "remote" host over SSH: an sshd in a network namespace this spec creates
 * (a veth pair, 10.99.X.1 here and 10.99.X.2 there, a fresh host key pinned in a known_hosts file
 * of its own, a fresh client key). Needs root (network namespaces; CI is root): skipped otherwise.
 * openssh-server is installed like the suite's other tools (Prerequisites.TEST_TOOLS).
 */
@Stepwise
@Requires({ System.getProperty('user.name') == 'root' })
class RemoteHostSpec extends Specification {
    @Shared String ns
    @Shared String hostVeth
    @Shared int subnet
    @Shared Path dir
    @Shared Process sshd
    @Shared String address

    static String sh(String... cmd) {
        def p = new ProcessBuilder(cmd as List<String>).redirectErrorStream(true).start()
        def out = p.inputStream.text
        if (p.waitFor() != 0) {
            throw new IllegalStateException("${cmd.join(' ')}: exit ${p.exitValue()}: $out")
        }
        out
    }

    def setupSpec() {
        Prerequisites.ensureTestTools(true)
        def rnd = new Random()
        def used = sh('ip', '-o', 'addr')
        subnet = (20..219).findAll { !used.contains("10.99.${it}.") }.with { it[rnd.nextInt(it.size())] }
        String tag = Integer.toHexString(rnd.nextInt(0xfffff))
        ns = "jvt-r$tag"
        hostVeth = "jvr$tag"
        dir = Files.createTempDirectory(Path.of('/tmp'), 'jvt-remote-spec')
        try {
            sh('ip', 'netns', 'add', ns)
            sh('ip', 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', "jvn$tag")
            sh('ip', 'link', 'set', "jvn$tag", 'netns', ns)
            sh('ip', 'addr', 'add', "10.99.${subnet}.1/24", 'dev', hostVeth)
            sh('ip', 'link', 'set', hostVeth, 'up')
            sh('ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', "10.99.${subnet}.2/24", 'dev', "jvn$tag")
            sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', "jvn$tag", 'up')
            sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up')
            sh('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', dir.resolve('host_key').toString())
            sh('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', dir.resolve('id').toString())
            sh('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', dir.resolve('stranger').toString())
            Files.copy(dir.resolve('id.pub'), dir.resolve('authorized_keys'))
            def hostKey = dir.resolve('host_key.pub').text.trim().split(' ')
            dir.resolve('known_hosts').text = "10.99.${subnet}.2 ${hostKey[0]} ${hostKey[1]}\n"
            dir.resolve('empty_known_hosts').text = ''
            dir.resolve('sshd_config').text = """\
                ListenAddress 10.99.${subnet}.2
                HostKey ${dir.resolve('host_key')}
                AuthorizedKeysFile ${dir.resolve('authorized_keys')}
                PermitRootLogin prohibit-password
                PasswordAuthentication no
                UsePAM no
                StrictModes no
                PidFile ${dir.resolve('sshd.pid')}
                AllowStreamLocalForwarding yes
                Subsystem sftp internal-sftp
                """.stripIndent()
            Files.createDirectories(Path.of('/run/sshd'))
            sshd = new ProcessBuilder('ip', 'netns', 'exec', ns, '/usr/sbin/sshd', '-D', '-e', '-f', dir.resolve('sshd_config').toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve('sshd.log').toFile()).start()
            def deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
            while (!dir.resolve('sshd.log').text.contains('Server listening') && System.nanoTime() < deadline && sshd.alive) {
                sleep 50
            }
            assert dir.resolve('sshd.log').text.contains('Server listening'): dir.resolve('sshd.log').text
            address = hostAddress(subnet + '.2', 'id', 'known_hosts')
            // what earlier runs uploaded (the namespace shares this file system): the first run here uploads
            sh('rm', '-rf', System.getProperty('user.home') + '/.cache/jvt/files')
        } catch (Throwable t) {
            cleanupSpec()
            throw t
        }
    }

    String hostAddress(String ip, String key, String knownHosts) {
        "ssh://root@10.99.${ip}?identity=${dir.resolve(key)}&known_hosts=${dir.resolve(knownHosts)}"
    }

    def cleanupSpec() {
        if (sshd != null) {
            sshd.destroyForcibly()
            sshd.waitFor(5, TimeUnit.SECONDS)
        }
        if (ns != null) {
            // sshd's session children, if a test left any
            try {
                sh('ip', 'netns', 'pids', ns).readLines()*.trim().findAll { it }.each { new ProcessBuilder('kill', '-9', it).start().waitFor() }
            } catch (Exception ignored) {
            }
            new ProcessBuilder('ip', 'netns', 'del', ns).start().waitFor()
        }
        if (hostVeth != null) {
            new ProcessBuilder('ip', 'link', 'del', hostVeth).redirectErrorStream(true).start().waitFor()
        }
        if (dir != null) {
            dir.toFile().deleteDir()
        }
    }

    /** The machines' QEMU processes in the namespace (not the KVM probe's: only a machine's is named jvt-NAME). */
    List<String> remoteQemu() {
        sh('ip', 'netns', 'pids', ns).readLines()*.trim().findAll { it }.findAll { pid ->
            try {
                new File("/proc/$pid/comm").text.startsWith('qemu-system') && new File("/proc/$pid/cmdline").text.contains('debug-threads=on')
            } catch (IOException ignored) {
                false
            }
        }
    }

    def "hello.groovy passes with its QEMU on the remote host, its boot files uploaded"() {
        given:
        def out = JvtCli.tempDir('remote1')

        when:
        long t0 = System.nanoTime()
        def r = JvtCli.run('run', '--out', out.toString(), '--host', address, JvtCli.scenario('hello.groovy'))
        println "first run: ${(System.nanoTime() - t0) / 1e9} s"
        def log = out.resolve('hello/hello/remote.log').text
        println log

        then:
        r.code == 0
        r.out.contains('5 passed, 0 failed')
        log.contains("QEMU on host root@10.99.${subnet}.2 in /tmp/jvt-r-")
        log.readLines().count { it.startsWith('uploaded ') } == 2   // the kernel and the initramfs
        out.resolve('hello/hello/console.log').text.contains('Linux version')
        out.resolve('hello/hello/qemu-cmdline.txt').text.contains('server=on,wait=on')

        and: 'nothing is left on the remote host: no QEMU, no run folder'
        remoteQemu().isEmpty()
        !new File('/tmp').list().any { it.startsWith('jvt-r-') && new File("/tmp/$it/hello").exists() }
    }

    def "a second run uploads nothing"() {
        given:
        def out = JvtCli.tempDir('remote2')

        when:
        def r = JvtCli.run('run', '--out', out.toString(), '--host', address, JvtCli.scenario('hello.groovy'))
        def log = out.resolve('hello/hello/remote.log').text
        println log

        then:
        r.code == 0
        !log.contains('uploaded ')
        log.readLines().count { it.startsWith('kept ') } == 2
    }

    def "two machines with their own host keyword: a network through the local switch, overlays made there"() {
        given: 'a user image, and a scenario whose machines name the remote host'
        def work = JvtCli.tempDir('remote-net')
        def base = work.resolve('base.img')
        sh('qemu-img', 'create', '-q', '-f', 'raw', base.toString(), '8M')
        def before = base.bytes.sha256()
        def script = work.resolve('remote-net.groovy')
        script.text = """
            def remote = '${address}'
            scenario('remote network') {
                network 'lan'
                machine('server') {
                    host remote
                    nic 'lan', ip: '10.0.1.1/24'
                    disk '${base}'
                    disk size: '16M'
                    guest { file '/srv/index.html', 'hello from server\\n' }
                }
                machine('client') {
                    host remote
                    nic 'lan', ip: '10.0.1.2/24'
                }
                setup { server.succeed 'httpd -p 80 -h /srv' }
                test('the machines reach each other') {
                    client.succeed 'ping -c 2 -W 2 10.0.1.1'
                    assert client.succeed('wget -qO- http://10.0.1.1/') == 'hello from server\\n'
                }
                test('the overlaid disk is written there') {
                    server.succeed 'echo guest-was-here | dd of=/dev/vda bs=512 conv=sync && sync'
                    assert server.succeed('dd if=/dev/vda bs=14 count=1 2>/dev/null').startsWith('guest-was-her')
                    server.succeed 'echo scratch | dd of=/dev/vdb bs=512 conv=sync && sync'
                }
            }
            """.stripIndent()

        when:
        def r = JvtCli.run('run', '--out', work.resolve('run').toString(), script.toString())

        then:
        r.code == 0
        r.out.contains('2 passed, 0 failed')
        work.resolve('run/remote-network/server/remote.log').text.contains("QEMU on host root@10.99.${subnet}.2")
        work.resolve('run/remote-network/client/remote.log').text.contains("QEMU on host root@10.99.${subnet}.2")
        work.resolve('run/remote-network/server/qemu-cmdline.txt').text.contains('stream,id=jvt-net0,server=on,addr.type=unix')
        base.bytes.sha256() == before
        remoteQemu().isEmpty()
    }

    def "a remote QEMU killed mid-test fails that test, and the next starts from the snapshot in a new remote QEMU"() {
        given:
        def out = JvtCli.tempDir('remote-dies')

        when: 'selftest/qemu-dies.groovy kills victim.process().pid(): the remote PID (the namespace shares the PID space)'
        def r = JvtCli.run('run', '--out', out.toString(), '--host', address, JvtCli.scenario('selftest/qemu-dies.groovy'))
        def cases = JvtCli.junitCases([out], false)

        then:
        r.code == 4
        cases['QEMU is killed while the test runs'].text.contains('QEMU exited unexpectedly (killed by signal 9, SIGKILL)')
        cases['the next test starts from the snapshot in a new QEMU'].kind == 'passed'
        out.resolve('qemu-dies-mid-test/victim/remote.log').text.readLines().count { it.startsWith('QEMU on host') } == 2
        remoteQemu().isEmpty()
    }

    def "killing jvt with SIGKILL leaves no QEMU on the remote host"() {
        given: 'a jvt run in a separate JVM, its QEMU in the namespace'
        def out = JvtCli.tempDir('remote-kill')
        def java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()
        def jvt = new ProcessBuilder(java, '-cp', System.getProperty('java.class.path'), 'dev.jvt.dsl.cli.Main', 'run',
                '--out', out.toString(), '--host', address, JvtCli.scenario('hello.groovy'))
                .redirectErrorStream(true).redirectOutput(out.resolve('jvt.out').toFile()).start()
        def deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90)
        while (remoteQemu().isEmpty() && jvt.alive && System.nanoTime() < deadline) {
            sleep 100
        }
        def before = remoteQemu()

        when:
        long t0 = System.nanoTime()
        jvt.destroyForcibly()
        jvt.waitFor(10, TimeUnit.SECONDS)
        def gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(15)
        while (!remoteQemu().isEmpty() && System.nanoTime() < gone) {
            sleep 50
        }
        println "remote QEMU gone ${(System.nanoTime() - t0) / 1e9} s after jvt was killed"

        then:
        before.size() == 1
        remoteQemu().isEmpty()
    }

    def "failures say what is wrong: no sshd there, an unknown key, a host key not known, missing files, a bad address"() {
        when:
        def r = JvtCli.run('run', '--out', JvtCli.tempDir('remote-bad').toString(), '--host', target, JvtCli.scenario('hello.groovy'))

        then:
        r.code == code
        (r.out + r.err).contains(message)

        where:
        target                                                     | code | message
        hostAddress(subnet + '.1', 'id', 'known_hosts')            | 4    | 'cannot connect'
        hostAddress(subnet + '.2', 'stranger', 'known_hosts')      | 4    | 'authentication failed for root'
        hostAddress(subnet + '.2', 'id', 'empty_known_hosts')      | 4    | 'its host key is not in'
        hostAddress(subnet + '.2', 'id', 'no_such_known_hosts')    | 3    | 'no known_hosts file'
        hostAddress(subnet + '.2', 'no_such_key', 'known_hosts')   | 3    | 'cannot be read'
        'kvmhost'                                                  | 2    | "host 'kvmhost' is not an address like ssh://user@kvmhost"
    }
}
