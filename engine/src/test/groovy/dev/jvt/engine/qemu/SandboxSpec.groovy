package dev.jvt.engine.qemu

import spock.lang.Requires
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions

/** The sandbox probe and the command-line rewrite of replays, on a fake QEMU and on this host's. */
class SandboxSpec extends Specification {
    @TempDir Path dir

    Path fakeQemu(String body) {
        Path f = dir.resolve('qemu-system-x86_64')
        Files.writeString(f, "#!/bin/sh\n$body\n")
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString('rwx------'))
        f
    }

    def "a QEMU built without seccomp is found out by the probe, runs without -sandbox, and doctor says so"() {
        given:
        Path q = fakeQemu('echo "qemu-system-x86_64: -sandbox support is not enabled in this QEMU binary" >&2; exit 1')

        expect:
        !Sandbox.support(q).supported()
        Sandbox.support(q).detail() == 'built without seccomp'
        Sandbox.args(q).isEmpty()
        Sandbox.describe(q) == 'not supported by this QEMU (built without seccomp) — QEMU runs unconfined'
    }

    def "a QEMU that refuses one of the settings is not sandboxed, with its words as the reason"() {
        given:
        Path q = fakeQemu('echo "qemu-system-x86_64: -sandbox on,obsolete=deny: Invalid parameter \'spawn\'" >&2; exit 1')

        expect:
        Sandbox.support(q).detail().contains("Invalid parameter 'spawn'")
        Sandbox.args(q).isEmpty()
    }

    def "a replay drops the recorded -sandbox and applies this host's"() {
        given:
        Path q = fakeQemu('exit 1')

        expect:
        Sandbox.reapply([q.toString(), '-m', '256', '-sandbox', 'on,spawn=deny', '-no-reboot']) == [q.toString(), '-m', '256', '-no-reboot']
    }

    @Requires({ Files.isExecutable(Path.of('/usr/bin/qemu-system-x86_64')) })
    def "this host's QEMU takes the sandbox (Debian builds it with seccomp), probed once"() {
        given:
        Path q = Path.of('/usr/bin/qemu-system-x86_64')

        when:
        long t0 = System.nanoTime()
        Sandbox.Support s = Sandbox.support(q)
        double first = (System.nanoTime() - t0) / 1e9
        t0 = System.nanoTime()
        Sandbox.support(q)
        double second = (System.nanoTime() - t0) / 1e9

        then:
        s.supported()
        !Sandbox.wanted() || Sandbox.args(q) == ['-sandbox', Sandbox.OPTIONS]
        first < 5
        second < first
    }
}
