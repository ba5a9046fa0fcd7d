package dev.jvt.dsl

import dev.jvt.engine.image.ImageCache
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

/**
 * Real systems on real QEMU (SPEC §6): a Debian image jvt builds (or finds in its cache), booted
 * with systemd, reached over the jvt agent, qemu-guest-agent, a console login and SSH; and the
 * failures a user of such images meets, each with a message that names the machine, what was
 * awaited and the last console lines.
 */
class DebianGuestSpec extends Specification {
    @Shared Path out = JvtCli.tempDir('debian')
    @Shared Path failuresOut = JvtCli.tempDir('debian-failures')
    @Shared JvtCli.Result run
    @Shared JvtCli.Result failures
    @Shared Map<String, Map> cases = [:]

    def setupSpec() {
        // one run builds the image (once: both files have the same recipe) and boots five machines
        run = JvtCli.run('run', '-j', '2', '--out', out.toString(),
                JvtCli.scenario('debian-nginx.groovy'), JvtCli.scenario('debian-channels.groovy'))
        failures = JvtCli.run('run', '-j', '3', '--out', failuresOut.toString(), JvtCli.scenario('selftest/debian-failures.groovy'))
        cases = JvtCli.junitCases([out, failuresOut])
    }

    def "the nginx scenario passes on a Debian image: agent, forward, network, SSH, files, rewind"() {
        expect:
        run.code == 0
        run.out.contains('jvt: 11 passed, 0 failed')
        ['nginx serves the page inside the guest', 'the host fetches the page through the forward',
         'a second machine fetches it over the jvt network', 'SSH runs commands with their exit status',
         'files go both ways, over the agent and over SFTP', 'because every test starts from the snapshot',
         'the guest clock follows the host after a rewind, not the snapshot'].every { cases['nginx on Debian › ' + it]?.kind == 'passed' }
    }

    def "the same image answers over qemu-guest-agent, a console login and SSH"() {
        expect:
        cases['one image, every channel › each channel runs commands with their output and exit status'].kind == 'passed'
        cases['one image, every channel › each channel works again after the rewind'].kind == 'passed'
    }

    def "the image is in the cache, listed by jvt images, and every machine of both scenarios boots that one image"() {
        when:
        def images = JvtCli.run('images')
        // the "image" step of each machine names the image it boots
        def used = (run.out =~ /(\w+): image (debian-bookworm-[0-9a-f]{16}) \(/).collect { [it[1], it[2]] }

        then:
        images.code == 0
        images.out =~ /debian-bookworm-[0-9a-f]{16} +\d+ MB .* curl, nginx/
        used*.getAt(0) as Set == ['web', 'viaQga', 'viaConsole', 'viaSsh'] as Set
        used*.getAt(1).unique().size() == 1
        ImageCache.list().count { it.name() == used[0][1] } == 1
    }

    def "a wrong console password fails the boot at once, saying so"() {
        expect:
        def c = cases['a wrong console password › boot']
        c.kind == 'failure'
        c.text.startsWith('wrongPassword: console login as root refused (Login incorrect): wrong user or password')
        c.text.contains('last console lines of wrongPassword:')
    }

    def "a machine without the chosen channel fails its boot naming the channel and the console"() {
        expect:
        def c = cases['no guest agent in the built-in guest › boot']
        c.kind == 'failure'
        c.text.startsWith('noQga: timed out after 20.0 s waiting for qemu-guest-agent (virtio-serial port org.qemu.guest_agent.0) to answer')
        c.text.contains('last console lines of noQga:')
    }

    def "a port that never opens and a wrong SSH password fail their tests with the last console lines"() {
        expect:
        def port = cases['a port that never opens, a wrong SSH password › a port that never opens']
        port.kind == 'failure'
        port.text.startsWith('closed: timed out after 5.0 s waiting for TCP port 8081 to be listened on inside the guest')
        port.text.contains('last console lines of closed:')
        def ssh = cases['a port that never opens, a wrong SSH password › a wrong SSH password']
        ssh.kind == 'failure'
        ssh.text.startsWith('closed: SSH login as root@127.0.0.1:')
        ssh.text.contains('refused (wrong password or key)')
        ssh.text.contains('last console lines of closed:')
    }

    def "waitForUnit fails at once on a unit that failed, with its status"() {
        expect:
        def c = cases['a port that never opens, a wrong SSH password › a unit that failed fails waitForUnit at once']
        c.kind == 'failure'
        c.text.startsWith('closed: unit jvt-fails.service failed')
        c.text.contains('systemctl status jvt-fails.service:')
    }

    def "a failed test on a systemd guest has the guest's journal attached"() {
        expect:
        Files.list(failuresOut.resolve('a-port-that-never-opens-a-wrong-ssh-password/closed')).toList()
                .any { it.fileName.toString().startsWith('journal-') && Files.readString(it).contains('nginx') }
    }
}
